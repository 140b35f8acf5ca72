"""Prometheus metrics of the letters service. Labels are bounded: never an account or letter id."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from autoletter.letters.adapters import queries
from autoletter.letters.domain.model import LetterStatus

LETTERS = Gauge("letters_letters", "Letters by service and status.", ["service", "status"])
OLDEST_HELD_AGE = Gauge(
    "letters_oldest_held_letter_age_seconds", "How long the oldest held letter has been held.", ["service"]
)
LETTERS_SENT = Counter("letters_sent_total", "Letters dispatched to the print spool.", ["service"])
DISPATCH_FAILURES = Counter("letters_dispatch_failures_total", "Dispatch attempts that failed (retried).")


async def refresh(sessions: async_sessionmaker[AsyncSession], now: datetime) -> None:
    """Read the gauges from the database (every replica reports the same, shared truth)."""
    async with sessions() as session:
        counts = await queries.counts_by_status(session)
        oldest = await queries.oldest_held(session)
    seen = {(service, status): count for service, status, count in counts}
    for service in {s for s, _ in seen} | {"standard", "registered"}:
        for status in LetterStatus:
            LETTERS.labels(service, status.value).set(seen.get((service, status.value), 0))
        OLDEST_HELD_AGE.labels(service).set(0)
    for service, held_since in oldest:
        if held_since is not None:
            OLDEST_HELD_AGE.labels(service).set(max((now - held_since).total_seconds(), 0.0))
