"""The payments schema. Ids and display facts only: no card or bank number has a column."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", Text, primary_key=True),
    Column("profile_complete", Boolean, nullable=False, server_default=text("false")),
    Column("missing", JSONB, nullable=False, server_default=text('\'["name", "email", "address"]\'')),
    Column("stripe_customer_id", Text, unique=True),
    Column("default_payment_method_id", Text),
    #: Stripe time of the last default change we applied: an older customer.updated is stale.
    Column("default_changed_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

payment_methods = Table(
    "payment_methods",
    metadata,
    Column("account_id", Text, ForeignKey("accounts.account_id"), nullable=False),
    Column("payment_method_id", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("brand", Text),
    Column("last4", Text),
    Column("exp_month", Integer),
    Column("exp_year", Integer),
    #: A debit's display facts (never the IBAN) and the mandate the customer accepted.
    Column("bank_code", Text),
    Column("country", Text),
    Column("mandate_id", Text),
    Column("attached_at", DateTime(timezone=True), nullable=False),
    Column("detached_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("account_id", "payment_method_id"),
)

services = Table(
    "services",
    metadata,
    Column("account_id", Text, ForeignKey("accounts.account_id"), nullable=False),
    Column("service", Text, nullable=False),
    Column("activated", Boolean, nullable=False, server_default=text("false")),
    #: The derived status as last published (a cache of the derivation, with its since and reason).
    Column("status", Text, nullable=False, server_default=text("'inactive'")),
    Column("since", DateTime(timezone=True)),
    Column("reason", Text),
    PrimaryKeyConstraint("account_id", "service"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("stripe_invoice_id", Text, primary_key=True),
    Column("account_id", Text, ForeignKey("accounts.account_id"), nullable=False),
    Column("invoice_id", Uuid, nullable=False),
    Column("service", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("attempt_count", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("hosted_invoice_url", Text),
    Column("failure_code", Text),
    #: Failed for good and not settled: a debit submitted since keeps it owed until it succeeds.
    Column("failed_for_good", Boolean, nullable=False, server_default=text("false")),
    Column("dispute_id", Text),
    Column("dispute_status", Text),
    Column("disputed_at", DateTime(timezone=True)),
    #: When the recovery invoice of its lost dispute was paid.
    Column("recovered_at", DateTime(timezone=True)),
    #: On a recovery invoice: our id of the invoice whose lost dispute it recovers.
    Column("recovers_invoice_id", Uuid),
    #: Stripe's PDF of the invoice (the receipt once paid), and when it was paid if Stripe said so.
    Column("invoice_pdf", Text),
    Column("paid_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("invoices_account_service_state", "account_id", "service", "state"),
)

stripe_events = Table(
    "stripe_events",
    metadata,
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
    #: Stripe's event id: a redelivery hits this key and is stored only once.
    Column("event_id", Text, primary_key=True),
    Column("type", Text, nullable=False),
    Column("stripe_created", DateTime(timezone=True), nullable=False),
    #: The Stripe customer the event concerns: events of one customer are processed in order.
    Column("customer_key", Text, nullable=False),
    #: The event body until processed, then cleared (ids and outcome are all we keep).
    Column("payload", JSONB),
    Column("state", Text, nullable=False, server_default=text("'pending'")),
    Column("outcome", Text),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("processed_at", DateTime(timezone=True)),
    #: The W3C trace context of the webhook request that stored it: processing continues that trace.
    Column("trace", JSONB),
    Index(
        "stripe_events_pending",
        "customer_key",
        "stripe_created",
        "seq",
        postgresql_where=text("state = 'pending'"),
    ),
    Index(
        "stripe_events_pending_by_age", "stripe_created", "seq", postgresql_where=text("state = 'pending'")
    ),
)
