"""ledger nodes clustered: on SQLite, `ledger_nodes` becomes a WITHOUT ROWID table

A rowid table with a (level, idx) primary key keeps the nodes in insertion order and a second
B-tree for the key, so every node read by key is two lookups. Clustered on (level, idx), the
range scans that serve proofs and full verification read consecutive pages, and an append
writes one B-tree instead of two. PostgreSQL is unchanged (its heap is not clustered anyway).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild(rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    suffix = "" if rowid else " WITHOUT ROWID"
    op.execute(
        "CREATE TABLE ledger_nodes_new (level INTEGER NOT NULL, idx BIGINT NOT NULL, "
        f"hash BLOB NOT NULL, PRIMARY KEY (level, idx)){suffix}"
    )
    op.execute(
        "INSERT INTO ledger_nodes_new (level, idx, hash) "
        "SELECT level, idx, hash FROM ledger_nodes ORDER BY level, idx"
    )
    op.execute("DROP TABLE ledger_nodes")
    op.execute("ALTER TABLE ledger_nodes_new RENAME TO ledger_nodes")


def upgrade() -> None:
    _rebuild(rowid=False)


def downgrade() -> None:
    _rebuild(rowid=True)
