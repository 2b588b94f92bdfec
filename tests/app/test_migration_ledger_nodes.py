"""Migration 0006 on SQLite: `ledger_nodes` becomes a WITHOUT ROWID table and keeps every node;
a downgrade gives the rowid table back, nodes included."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command

from app.migrate import alembic_config, upgrade

NODES = [(0, 0, b"\x01" * 32), (0, 1, b"\x02" * 32), (1, 0, b"\x03" * 32), (0, 2, b"\x04" * 32)]


def _table(path: Path) -> tuple[str, list[tuple[int, int, bytes]]]:
    with sqlite3.connect(path) as conn:
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'ledger_nodes'"
        ).fetchone()
        rows = conn.execute("SELECT level, idx, hash FROM ledger_nodes ORDER BY level, idx")
        return sql, rows.fetchall()


def test_nodes_survive_the_rebuild_both_ways(tmp_path: Path) -> None:
    path = tmp_path / "maestro.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0005")
    with sqlite3.connect(path) as conn:
        conn.executemany("INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)", NODES)
    before = sorted(NODES)

    upgrade(url, "head")
    sql, rows = _table(path)
    assert sql.rstrip().endswith("WITHOUT ROWID")
    assert rows == before
    with sqlite3.connect(path) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO ledger_nodes VALUES (0, 1, x'00')")  # the key still holds

    command.downgrade(alembic_config(url), "0005")
    sql, rows = _table(path)
    assert "WITHOUT ROWID" not in sql
    assert rows == before
