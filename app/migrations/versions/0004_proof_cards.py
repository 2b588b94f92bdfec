"""proof_cards: the JSON of each published Proof Card

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "proof_cards",
        sa.Column("check_run_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("repository", sa.String(length=255), nullable=False),
        sa.Column("pull_number", sa.Integer(), nullable=False),
        sa.Column("head_sha", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("conclusion", sa.String(length=16), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("card", sa.Text(), nullable=False),
        sa.Column("card_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("check_run_id"),
    )
    with op.batch_alter_table("proof_cards", schema=None) as batch_op:
        batch_op.create_index(
            "ix_proof_cards_repository_head", ["repository", "head_sha"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("proof_cards", schema=None) as batch_op:
        batch_op.drop_index("ix_proof_cards_repository_head")
    op.drop_table("proof_cards")
