"""Invoicing: messaging tables, prices, customers, usage ledger, invoices, billing runs.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from autoletter.runtime.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "prices",
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("effective_from", TS, nullable=False),
        sa.Column("letter_cents", sa.Integer, nullable=False),
        sa.Column("extra_sheet_cents", sa.Integer, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("loaded_at", TS, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("service", "effective_from"),
    )
    op.create_table(
        "customers",
        sa.Column("account_id", sa.Text, primary_key=True),
        sa.Column("stripe_customer_id", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "usage_lines",
        sa.Column("letter_id", sa.Uuid, primary_key=True),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("sent_at", TS, nullable=False),
        sa.Column("sheets", sa.Integer, nullable=False),
        sa.Column("letter_cents", sa.Integer, nullable=False),
        sa.Column("extra_sheet_cents", sa.Integer, nullable=False),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("recorded_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("invoice_id", sa.Uuid),
    )
    op.create_index(
        "usage_unbilled",
        "usage_lines",
        ["account_id", "service", "sent_at"],
        postgresql_where=sa.text("invoice_id IS NULL"),
    )
    op.create_index("usage_by_account", "usage_lines", ["account_id", "sent_at"])
    op.create_index("usage_by_invoice", "usage_lines", ["invoice_id"])
    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.Uuid, primary_key=True),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("letters", sa.Integer, nullable=False),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("stripe_customer_id", sa.Text, nullable=False),
        sa.Column("stripe_invoice_id", sa.Text),
        sa.Column("draft_requested", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("run_id", sa.Uuid),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("issued_at", TS),
        sa.Column("last_failure_code", sa.Text),
        sa.UniqueConstraint("account_id", "service", "period", name="one_invoice_per_account_service_period"),
    )
    op.create_index("invoices_by_period_state", "invoices", ["period", "state"])
    op.create_table(
        "invoice_lines",
        sa.Column("invoice_id", sa.Uuid, nullable=False),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_cents", sa.Integer, nullable=False),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("stripe_item_id", sa.Text),
        sa.PrimaryKeyConstraint("invoice_id", "line_no"),
    )
    op.create_table(
        "billing_runs",
        sa.Column("run_id", sa.Uuid, primary_key=True),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("requested_by", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS),
        sa.Column("finished_at", TS),
        sa.Column("candidates", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("issued", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("carried_over", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("no_customer", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("failed", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("stripe_requests", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("error", sa.Text),
    )
    op.create_index("billing_runs_by_period", "billing_runs", ["period", "created_at"])


def downgrade() -> None:
    for table in ("billing_runs", "invoice_lines", "invoices", "usage_lines", "customers", "prices"):
        op.drop_table(table)
    drop_messaging_tables()
