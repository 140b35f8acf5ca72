"""SEPA Direct Debit and disputes: a debit's display facts and mandate; invoices processing, disputed,
recovered.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Display facts of a debit (never the IBAN) and the mandate the customer accepted.
    op.add_column("payment_methods", sa.Column("bank_code", sa.Text))
    op.add_column("payment_methods", sa.Column("country", sa.Text))
    op.add_column("payment_methods", sa.Column("mandate_id", sa.Text))
    op.add_column(
        "invoices", sa.Column("failed_for_good", sa.Boolean, nullable=False, server_default=sa.text("false"))
    )
    op.execute("UPDATE invoices SET failed_for_good = true WHERE state = 'failed'")
    op.add_column("invoices", sa.Column("dispute_id", sa.Text))
    op.add_column("invoices", sa.Column("dispute_status", sa.Text))
    op.add_column("invoices", sa.Column("disputed_at", sa.DateTime(timezone=True)))
    op.add_column("invoices", sa.Column("recovered_at", sa.DateTime(timezone=True)))
    op.add_column("invoices", sa.Column("recovers_invoice_id", sa.Uuid))


def downgrade() -> None:
    for column in ("recovers_invoice_id", "recovered_at", "disputed_at", "dispute_status", "dispute_id"):
        op.drop_column("invoices", column)
    op.drop_column("invoices", "failed_for_good")
    for column in ("mandate_id", "country", "bank_code"):
        op.drop_column("payment_methods", column)
