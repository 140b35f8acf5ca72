"""The reconciliation's daily lease and its latest report per period.

Revision ID: 0004
Revises: 0002 (the latest revision when this one was written; 0003 was announced for SEPA work but
did not exist yet: whichever lands second chains to the other)
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconciliation_leases",
        sa.Column("job", sa.Text, primary_key=True),
        sa.Column("run_id", sa.Uuid, nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "reconciliation_reports",
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled", sa.Boolean, nullable=False),
        sa.Column("counts", JSONB, nullable=False),
        sa.Column("differences", JSONB, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reconciliation_reports")
    op.drop_table("reconciliation_leases")
