"""waiver owner: who answers for a waiver (`/maestro waive … --owner @user`)

Existing waivers get their author as owner.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("waivers") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=255), nullable=True))
    op.execute("UPDATE waivers SET owner = granted_by WHERE owner IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("waivers") as batch:
        batch.drop_column("owner")
