"""Tables of the letters schema (created by the alembic migrations)."""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Row

metadata = MetaData()

#: Letters' own copy of each service status, from ServiceStatusChanged.
service_statuses = Table(
    "service_statuses",
    metadata,
    Column("account_id", Text, nullable=False),
    Column("service", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("hold_reason", Text),
    Column("block_reason", Text),
    Column("status_reason", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("event_id", Uuid, nullable=False),
    PrimaryKeyConstraint("account_id", "service"),
)

letters = Table(
    "letters",
    metadata,
    Column("letter_id", Uuid, primary_key=True),
    # Arrival order. Drawn under the account's lock, so increasing within one account.
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
    Column("account_id", Text, nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("service", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("reason", Text),
    # The first answer, replayed to a retry with the same idempotency key.
    Column("initial_status", Text, nullable=False),
    Column("initial_reason", Text),
    Column("recipient", JSONB, nullable=False),
    Column("destination_country", Text, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("sheets", Integer, nullable=False),
    Column("document_bytes", Integer, nullable=False),
    Column("correlation_id", Uuid, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("held_since", DateTime(timezone=True)),
    Column("hold_expires_at", DateTime(timezone=True)),
    Column("accepted_on", Date),
    Column("sent_at", DateTime(timezone=True)),
    Column("dispatch_attempts", Integer, nullable=False, server_default=text("0")),
    Column("dispatch_error", Text),
    Column("next_dispatch_at", DateTime(timezone=True)),
    # An uploaded document sent by reference (else the letter has its own row in letter_documents).
    Column("document_id", Uuid, ForeignKey("documents.document_id", ondelete="SET NULL")),
    #: The W3C trace context of its submission: the letter's later events continue that trace.
    Column("trace", JSONB),
    UniqueConstraint("account_id", "idempotency_key", name="letters_idempotency_key"),
    Index("letters_account_seq", "account_id", "seq"),
    Index(
        "letters_open",
        "account_id",
        "service",
        "seq",
        postgresql_where=text("status IN ('held', 'accepted')"),
    ),
    Index("letters_accepted", "seq", postgresql_where=text("status = 'accepted'")),
    Index("letters_held_expiry", "hold_expires_at", postgresql_where=text("status = 'held'")),
    Index("letters_document", "document_id", postgresql_where=text("document_id IS NOT NULL")),
)

#: The PDF of a letter still in play; deleted once the letter is sent, expired, cancelled or rejected
#: (the spool keeps the printed copy). Kept apart so listing letters never reads documents.
letter_documents = Table(
    "letter_documents",
    metadata,
    Column("letter_id", Uuid, ForeignKey("letters.letter_id", ondelete="CASCADE"), primary_key=True),
    Column("pdf", LargeBinary, nullable=False),
)

#: A PDF uploaded once (POST …/documents) and shared by the letters that name it. Deleted some days
#: after `idle_since` (upload, or the end of the last letter using it) once no open letter uses it.
documents = Table(
    "documents",
    metadata,
    Column("document_id", Uuid, primary_key=True),
    Column("account_id", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("idle_since", DateTime(timezone=True), nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    UniqueConstraint("account_id", "sha256", name="documents_account_sha256"),
    Index("documents_idle", "idle_since"),
)

#: Every status a letter took, with its reason and time; `seq` orders them (drawn under the
#: account's lock, so increasing per letter).
letter_transitions = Table(
    "letter_transitions",
    metadata,
    Column("letter_id", Uuid, ForeignKey("letters.letter_id", ondelete="CASCADE"), nullable=False),
    Column("seq", BigInteger, Identity(), nullable=False),
    Column("status", Text, nullable=False),
    Column("reason", Text),
    Column("at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("letter_id", "seq"),
)

#: A result row of any shape (SQLAlchemy 2.1 types rows by their columns).
Record: TypeAlias = Row[*tuple[Any, ...]]
