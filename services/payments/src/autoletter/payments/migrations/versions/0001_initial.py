"""Payments schema: accounts, payment methods, services, invoices, stored Stripe events; outbox, inbox.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from autoletter.runtime.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.Text, primary_key=True),
        sa.Column("profile_complete", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("missing", JSONB, nullable=False,
                  server_default=sa.text("'[\"name\", \"email\", \"address\"]'")),
        sa.Column("stripe_customer_id", sa.Text, unique=True),
        sa.Column("default_payment_method_id", sa.Text),
        sa.Column("default_changed_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "payment_methods",
        sa.Column("account_id", sa.Text, sa.ForeignKey("accounts.account_id"), nullable=False),
        sa.Column("payment_method_id", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("brand", sa.Text),
        sa.Column("last4", sa.Text),
        sa.Column("exp_month", sa.Integer),
        sa.Column("exp_year", sa.Integer),
        sa.Column("attached_at", TS, nullable=False),
        sa.Column("detached_at", TS),
        sa.PrimaryKeyConstraint("account_id", "payment_method_id"),
    )
    op.create_table(
        "services",
        sa.Column("account_id", sa.Text, sa.ForeignKey("accounts.account_id"), nullable=False),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("activated", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'inactive'")),
        sa.Column("since", TS),
        sa.Column("reason", sa.Text),
        sa.PrimaryKeyConstraint("account_id", "service"),
    )
    op.create_table(
        "invoices",
        sa.Column("stripe_invoice_id", sa.Text, primary_key=True),
        sa.Column("account_id", sa.Text, sa.ForeignKey("accounts.account_id"), nullable=False),
        sa.Column("invoice_id", sa.Uuid, nullable=False),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("attempt_count", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS),
        sa.Column("hosted_invoice_url", sa.Text),
        sa.Column("failure_code", sa.Text),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("invoices_account_service_state", "invoices", ["account_id", "service", "state"])
    op.create_table(
        "stripe_events",
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("stripe_created", TS, nullable=False),
        sa.Column("customer_key", sa.Text, nullable=False),
        sa.Column("payload", JSONB),
        sa.Column("state", sa.Text, nullable=False, server_default=sa.text("'pending'")),
        sa.Column("outcome", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("processed_at", TS),
    )
    op.create_index(
        "stripe_events_pending", "stripe_events", ["customer_key", "stripe_created", "seq"],
        postgresql_where=sa.text("state = 'pending'"),
    )
    # The claim takes the oldest due event first: without this, every claim sorts the whole backlog.
    op.create_index(
        "stripe_events_pending_by_age", "stripe_events", ["stripe_created", "seq"],
        postgresql_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    for table in ("stripe_events", "invoices", "services", "payment_methods", "accounts"):
        op.drop_table(table)
    drop_messaging_tables()
