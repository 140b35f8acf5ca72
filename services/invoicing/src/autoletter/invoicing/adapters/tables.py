"""The invoicing tables (SQLAlchemy Core); the schema comes from the connection's search_path."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)

metadata = MetaData()

prices = Table(
    "prices",
    metadata,
    Column("service", Text, nullable=False),
    Column("effective_from", DateTime(timezone=True), nullable=False),
    Column("letter_cents", Integer, nullable=False),
    Column("extra_sheet_cents", Integer, nullable=False),
    Column("currency", Text, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("service", "effective_from"),
)

customers = Table(
    "customers",
    metadata,
    Column("account_id", Text, primary_key=True),
    Column("stripe_customer_id", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

usage_lines = Table(
    "usage_lines",
    metadata,
    Column("letter_id", Uuid, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("service", Text, nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("sheets", Integer, nullable=False),
    # The unit prices in force at sent_at, kept: a later price change never rewrites them.
    Column("letter_cents", Integer, nullable=False),
    Column("extra_sheet_cents", Integer, nullable=False),
    Column("amount_cents", Integer, nullable=False),
    Column("currency", Text, nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("invoice_id", Uuid),
    Index("usage_unbilled", "account_id", "service", "sent_at", postgresql_where=text("invoice_id IS NULL")),
    Index("usage_by_account", "account_id", "sent_at"),
    Index("usage_by_invoice", "invoice_id"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("invoice_id", Uuid, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("service", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("letters", Integer, nullable=False),
    Column("amount_cents", Integer, nullable=False),
    Column("stripe_customer_id", Text, nullable=False),
    Column("stripe_invoice_id", Text),
    # Write-ahead mark: a create may have reached Stripe, so a resume must look before creating.
    Column("draft_requested", Boolean, nullable=False, server_default=text("false")),
    Column("run_id", Uuid),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("issued_at", DateTime(timezone=True)),
    Column("last_failure_code", Text),
    UniqueConstraint("account_id", "service", "period", name="one_invoice_per_account_service_period"),
    Index("invoices_by_period_state", "period", "state"),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    Column("invoice_id", Uuid, nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("key", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_cents", Integer, nullable=False),
    Column("amount_cents", Integer, nullable=False),
    Column("period", Text, nullable=False),
    Column("stripe_item_id", Text),
    PrimaryKeyConstraint("invoice_id", "line_no"),
)

billing_runs = Table(
    "billing_runs",
    metadata,
    Column("run_id", Uuid, primary_key=True),
    Column("period", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("trigger", Text, nullable=False),
    Column("requested_by", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("candidates", Integer, nullable=False, server_default=text("0")),
    Column("issued", Integer, nullable=False, server_default=text("0")),
    Column("carried_over", Integer, nullable=False, server_default=text("0")),
    Column("no_customer", Integer, nullable=False, server_default=text("0")),
    Column("failed", Integer, nullable=False, server_default=text("0")),
    Column("stripe_requests", Integer, nullable=False, server_default=text("0")),
    Column("error", Text),
    Index("billing_runs_by_period", "period", "created_at"),
)

#: The close's lease per period (DESIGN §5): lease_until on the database's wall clock, renewed by the run.
close_leases = Table(
    "close_leases",
    metadata,
    Column("period", Text, primary_key=True),
    Column("run_id", Uuid, nullable=False),
    Column("lease_until", DateTime(timezone=True), nullable=False),
    Column("taken_at", DateTime(timezone=True), nullable=False),
)

#: One recovery invoice per lost dispute (DESIGN §5): the disputed amount billed again, no fee, no
#: letters. Kept apart from `invoices` (one per account, service and period, built by the close).
recovery_invoices = Table(
    "recovery_invoices",
    metadata,
    Column("invoice_id", Uuid, primary_key=True),  # uuid5 of the dispute id: the same after any crash
    Column("dispute_id", Text, nullable=False, unique=True),
    Column("recovers_invoice_id", Uuid, nullable=False),
    Column("account_id", Text, nullable=False),
    Column("service", Text, nullable=False),
    Column("period", Text, nullable=False),  # the disputed invoice's
    Column("amount_cents", Integer, nullable=False),
    Column("currency", Text, nullable=False),
    Column("stripe_customer_id", Text, nullable=False),
    Column("stripe_invoice_id", Text),
    Column("state", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("recovery_invoices_unfinished", "state", postgresql_where=text("state = 'draft'")),
)
