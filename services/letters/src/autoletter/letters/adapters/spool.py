"""Dispatch port and its one adapter: a local print spool, one directory per day.

A letter is `<day>/<letter_id>.pdf` plus `<day>/<letter_id>.json`; the JSON envelope is written last,
by rename, so the print system (and we) treat a letter as dispatched exactly when its envelope exists.
The day is the day the letter was accepted, not today, so a retry after midnight finds the same file.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID


@dataclass(frozen=True)
class OutgoingLetter:
    """Everything the printer needs."""

    letter_id: UUID
    account_id: str
    service: str
    recipient: dict[str, Any]
    pages: int
    sheets: int
    document: bytes
    spool_day: date


@dataclass(frozen=True)
class DispatchReceipt:
    """Proof of dispatch; `already` when an earlier attempt had dispatched it (after a crash)."""

    dispatched_at: datetime
    already: bool


class DispatchPort(Protocol):
    """Hands letters over for printing and posting; idempotent by letter_id. `dispatch` may be called
    from several threads at once; `flush` makes every dispatch so far durable, and is called before
    the letters are recorded as sent."""

    def dispatch(self, letter: OutgoingLetter, now: datetime) -> DispatchReceipt: ...

    def flush(self) -> None: ...


class SpoolDispatcher:
    """Writes letters to a spool directory with write-then-rename; an existing envelope means done."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._dirty: set[Path] = set()
        self._lock = threading.Lock()

    def paths(self, letter_id: UUID, spool_day: date) -> tuple[Path, Path]:
        day = self.root / spool_day.isoformat()
        return day / f"{letter_id}.pdf", day / f"{letter_id}.json"

    def dispatch(self, letter: OutgoingLetter, now: datetime) -> DispatchReceipt:
        pdf_path, envelope_path = self.paths(letter.letter_id, letter.spool_day)
        existing = _read_envelope(envelope_path)
        if existing is not None:
            return DispatchReceipt(datetime.fromisoformat(existing["dispatched_at"]), already=True)
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(pdf_path, letter.document)
        envelope = {
            "letter_id": str(letter.letter_id),
            "account_id": letter.account_id,
            "service": letter.service,
            "recipient": letter.recipient,
            "pages": letter.pages,
            "sheets": letter.sheets,
            "document": pdf_path.name,
            "document_sha256": hashlib.sha256(letter.document).hexdigest(),
            "dispatched_at": now.isoformat(),
        }
        _write_atomically(envelope_path, json.dumps(envelope, indent=2, sort_keys=True).encode())
        with self._lock:
            self._dirty.add(pdf_path.parent)
        return DispatchReceipt(now, already=False)

    def flush(self) -> None:
        """Make the renames durable: one directory fsync per day directory touched, not per letter."""
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        for path in dirty:
            _fsync_dir(path)


def _read_envelope(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    return data


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
