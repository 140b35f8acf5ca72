"""The profile service's own table (in its schema, beside the runtime's outbox and inbox)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

profiles = Table(
    "profiles",
    metadata,
    Column("account_id", Text, primary_key=True),
    Column("name", Text),
    Column("email", Text),
    # The address is one value, possibly partial: its parts are only ever read and written together.
    Column("address", JSONB),
    # Bumped by every write that changes something; the HTTP ETag is derived from it.
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
