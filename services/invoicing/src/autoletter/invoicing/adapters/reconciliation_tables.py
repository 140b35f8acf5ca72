"""The reconciliation's tables (migration 0004): its daily lease and the latest report per period."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Table, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB

from autoletter.invoicing.adapters.tables import metadata

#: One row per job (e.g. "daily"): lease_until on the database's wall clock, as the close's lease.
reconciliation_leases = Table(
    "reconciliation_leases",
    metadata,
    Column("job", Text, primary_key=True),
    Column("run_id", Uuid, nullable=False),
    Column("lease_until", DateTime(timezone=True), nullable=False),
    Column("taken_at", DateTime(timezone=True), nullable=False),
)

#: The latest comparison of each period: counts per kind (the metric) and the first differences.
reconciliation_reports = Table(
    "reconciliation_reports",
    metadata,
    Column("period", Text, primary_key=True),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    Column("settled", Boolean, nullable=False),
    Column("counts", JSONB, nullable=False),
    Column("differences", JSONB, nullable=False),
)
