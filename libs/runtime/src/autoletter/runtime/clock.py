"""An injectable clock, so tests can move past hold limits, retries and month ends without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    """Tells the current time, timezone-aware UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that moves only when told to (tests, emulator test clocks)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime.now(UTC)).astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by delta and return the new time."""
        if delta < timedelta(0):
            raise ValueError("a clock never goes backwards")
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to a later instant."""
        self.advance(when.astimezone(UTC) - self._now)


class OffsetClock:
    """The real time plus an offset read from a file: lets tests and local runs move several
    processes past month ends and retry schedules together. Refused in production (settings)."""

    def __init__(self, offset_file: Path) -> None:
        self._path = offset_file
        self._mtime: float | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._current_offset()

    def _current_offset(self) -> timedelta:
        try:
            mtime = self._path.stat().st_mtime
        except FileNotFoundError:
            return timedelta(0)
        if mtime != self._mtime:
            text = self._path.read_text().strip()
            self._offset = timedelta(seconds=float(text or 0))
            self._mtime = mtime
        return self._offset

    @staticmethod
    def write(offset_file: Path, offset: timedelta) -> None:
        """Move every process reading this file to `offset` from the real time (never backwards)."""
        tmp = offset_file.with_suffix(".tmp")
        tmp.write_text(str(offset.total_seconds()))
        tmp.replace(offset_file)
