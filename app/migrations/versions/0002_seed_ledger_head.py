"""seed the ledger head row

Appends lock this single row; creating it here (not on first append) avoids two first writers
racing to insert it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    head = sa.table(
        "ledger_head",
        sa.column("id", sa.Integer),
        sa.column("size", sa.BigInteger),
        sa.column("head_hash", sa.LargeBinary),
    )
    op.bulk_insert(head, [{"id": 1, "size": 0, "head_hash": bytes(32)}])


def downgrade() -> None:
    op.execute("DELETE FROM ledger_head WHERE id = 1")
