"""The states of a billing run (one requested close of a period)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class RunStatus(StrEnum):
    PENDING = "pending"  # requested, not started
    RUNNING = "running"  # holds the period's close lease
    COMPLETED = "completed"  # every candidate issued, carried over or without customer
    FAILED = "failed"  # some invoices failed: a re-run resumes them
    SKIPPED = "skipped"  # another run of the period held the lease
    INTERRUPTED = "interrupted"  # its process stopped renewing the lease; another run resumed it


@dataclass(frozen=True)
class RunCounts:
    """What a close did so far: account-services found, and how each ended."""

    candidates: int = 0
    issued: int = 0
    carried_over: int = 0
    no_customer: int = 0
    failed: int = 0

    def by_outcome(self) -> dict[str, int]:
        return asdict(self)
