"""The states of a billing run (one requested close of a period)."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    PENDING = "pending"  # requested, not started
    RUNNING = "running"  # holds the period's close lease
    COMPLETED = "completed"  # every candidate issued, carried over or without customer
    FAILED = "failed"  # some invoices failed: a re-run resumes them
    SKIPPED = "skipped"  # another run of the period held the lease
    INTERRUPTED = "interrupted"  # its process stopped renewing the lease; another run resumed it
