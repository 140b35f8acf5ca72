"""Receipts: Stripe's PDF of each invoice and when it was paid.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("invoices", sa.Column("invoice_pdf", sa.Text))
    op.add_column("invoices", sa.Column("paid_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("invoices", "paid_at")
    op.drop_column("invoices", "invoice_pdf")
