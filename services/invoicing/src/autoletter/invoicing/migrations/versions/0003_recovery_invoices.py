"""Recovery invoices: one per lost dispute, for the disputed amount.

Revision ID: 0003
Revises: 0004 (0004_reconciliation landed first, itself on 0002: this one chains after it, so a
database already at 0004 still gets this table; the ids are only names)
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recovery_invoices",
        sa.Column("invoice_id", sa.Uuid, primary_key=True),
        sa.Column("dispute_id", sa.Text, nullable=False, unique=True),
        sa.Column("recovers_invoice_id", sa.Uuid, nullable=False),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("stripe_customer_id", sa.Text, nullable=False),
        sa.Column("stripe_invoice_id", sa.Text),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "recovery_invoices_unfinished",
        "recovery_invoices",
        ["state"],
        postgresql_where=sa.text("state = 'draft'"),
    )


def downgrade() -> None:
    op.drop_table("recovery_invoices")
