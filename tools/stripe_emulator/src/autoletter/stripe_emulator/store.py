"""The emulator's memory on disk: its whole state and clock, one pickled snapshot in SQLite.

Written after every change (it is small: one local run's worth of objects), read once at start.
Only the emulator itself ever writes or reads this file, so pickle's trust model holds.
"""

from __future__ import annotations

import pickle
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from autoletter.stripe_emulator.state import State

_VERSION = 1


@dataclass
class Snapshot:
    """What survives a restart: every object, event, delivery and key, and the test clock."""

    state: State
    clock_start: datetime
    clock_offset: timedelta
    version: int = _VERSION


class Store:
    """One row in one table; `save` skips the write when nothing changed since the last one."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), body BLOB NOT NULL)"
        )
        self._last: bytes | None = None

    def load(self) -> Snapshot | None:
        row = self._db.execute("SELECT body FROM snapshot WHERE id = 1").fetchone()
        if row is None:
            return None
        snapshot = pickle.loads(row[0])  # noqa: S301 - our own file, written by save() below
        if not isinstance(snapshot, Snapshot) or snapshot.version != _VERSION:
            return None
        self._last = row[0]
        return snapshot

    def save(self, snapshot: Snapshot) -> None:
        body = pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL)
        if body == self._last:
            return
        self._db.execute("INSERT OR REPLACE INTO snapshot (id, body) VALUES (1, ?)", (body,))
        self._last = body

    def close(self) -> None:
        self._db.close()
