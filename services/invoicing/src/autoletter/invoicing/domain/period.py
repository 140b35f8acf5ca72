"""A billing period: one calendar month in UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class InvalidPeriod(ValueError):
    """Not a YYYY-MM month."""


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month in UTC; prints as ``YYYY-MM``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        # 9998 keeps next() and end representable as datetimes.
        if not (1 <= self.month <= 12) or not (1970 <= self.year <= 9998):
            raise InvalidPeriod(f"no such period: {self.year:04d}-{self.month:02d}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """``"2026-11"`` → Period(2026, 11); anything else raises InvalidPeriod."""
        match = _PERIOD.match(text.strip()) if isinstance(text, str) else None
        if not match:
            raise InvalidPeriod(f"a period is written YYYY-MM, got {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, at: datetime) -> Period:
        """The period an instant falls in (the instant must be timezone-aware)."""
        if at.tzinfo is None:
            raise ValueError("a naive datetime has no period")
        utc = at.astimezone(UTC)
        return cls(utc.year, utc.month)

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Period:
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def start(self) -> datetime:
        """First instant of the month, UTC (inclusive)."""
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """First instant of the next month, UTC (exclusive)."""
        return self.next().start

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end

    @property
    def label(self) -> str:
        """How a customer reads it: ``November 2026``."""
        return f"{_MONTHS[self.month - 1]} {self.year}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def due_for_close(now: datetime, grace: timedelta) -> Period | None:
    """What the schedule closes at ``now``: the previous month once ``grace`` has passed since its
    end (letters sent at the end of the month may still be on their way to us), else nothing."""
    previous = Period.containing(now).previous()
    return previous if now - previous.end >= grace else None
