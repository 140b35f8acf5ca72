"""The emulator's own time (Stripe's test clock): retries and `created` stamps follow it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class EmulatorClock:
    """Wall time (or a frozen instant) plus whatever was advanced; never goes backwards."""

    def __init__(self, *, frozen: bool, start: datetime | None = None) -> None:
        self._frozen = frozen
        self._start = (start or datetime.now(UTC)).astimezone(UTC)
        self._offset = timedelta(0)

    def now(self) -> datetime:
        base = self._start if self._frozen else datetime.now(UTC)
        return base + self._offset

    def timestamp(self) -> int:
        """Now as Stripe's unix seconds."""
        return int(self.now().timestamp())

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock never goes backwards")
        self._offset += timedelta(seconds=seconds)

    @property
    def start(self) -> datetime:
        return self._start

    @property
    def offset(self) -> timedelta:
        """How far this clock was advanced (what a restart must keep)."""
        return self._offset

    def restore(self, start: datetime, offset: timedelta) -> None:
        """Take back a saved clock: its frozen start (when frozen) and how far it was advanced."""
        if self._frozen:
            self._start = start
        self._offset = max(offset, timedelta(0))

    def advance_to(self, ts: int) -> None:
        """Move to unix time ts if it is later than now."""
        ahead = ts - self.now().timestamp()
        if ahead > 0:
            self.advance(ahead)
