"""A database that cannot be reached stops every command with one fix-it line and exit 2, never
a traceback; a database without Maestro's tables says to run `maestro db upgrade`."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc

from app.commands.common import database_problem, safe_url


def _dead_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAESTRO_")}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", [["db", "upgrade"], ["serve"], ["deliveries"]])
def test_unreachable_postgresql_exits_2_naming_the_setting(
    command: list[str], tmp_path: Path
) -> None:
    url = f"postgresql+asyncpg://maestro:hunter2@127.0.0.1:{_dead_port()}/maestro"
    result = _run_cli(*command, env={"MAESTRO_DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Application startup failed" not in result.stderr
    line = result.stderr.strip()
    assert line.startswith("maestro: MAESTRO_DATABASE_URL: cannot connect to ")
    assert "postgresql+asyncpg://maestro:***@127.0.0.1:" in line
    assert "hunter2" not in result.stderr
    assert "Connection refused" in line and "fix: start the database server" in line


@pytest.mark.parametrize(
    "command",
    [["deliveries"], ["deliveries", "retry", "abc"], ["ledger", "show", "0"], ["auditors", "list"]],
)
def test_sqlite_file_in_a_missing_directory_exits_2(command: list[str], tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/m.db"
    result = _run_cli(*command, env={"MAESTRO_DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "MAESTRO_DATABASE_URL: cannot connect to sqlite+aiosqlite:///" in result.stderr
    assert "unable to open database file" in result.stderr
    assert f"fix: create the directory {tmp_path}/no/such/dir" in result.stderr


def test_osv_import_into_an_unreachable_database_exits_2(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/m.db"
    result = _run_cli(
        "osv", "import", str(tmp_path), env={"MAESTRO_DATABASE_URL": url}, cwd=tmp_path
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "MAESTRO_DATABASE_URL: cannot connect" in result.stderr


def test_database_without_tables_says_to_migrate(tmp_path: Path) -> None:
    result = _run_cli(
        "deliveries", env={"MAESTRO_DATABASE_URL": "sqlite+aiosqlite:///./empty.db"}, cwd=tmp_path
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "has no Maestro tables" in result.stderr
    assert "fix: run `maestro db upgrade`" in result.stderr


def test_statement_errors_are_not_disguised_as_configuration_problems() -> None:
    integrity = sa_exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE failed"))
    assert database_problem("sqlite+aiosqlite:///./m.db", integrity) is None
    assert database_problem("sqlite+aiosqlite:///./m.db", ValueError("bug")) is None
    refused = ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 1)")
    message = database_problem("postgresql+asyncpg://u:pw@h:1/d", refused)
    assert message is not None and "u:***@h:1/d" in message


def test_safe_url_masks_only_the_password() -> None:
    assert (
        safe_url("postgresql+asyncpg://u:secret@db:5432/m")
        == "postgresql+asyncpg://u:***@db:5432/m"
    )
    assert safe_url("sqlite+aiosqlite:///./maestro.db") == "sqlite+aiosqlite:///./maestro.db"
