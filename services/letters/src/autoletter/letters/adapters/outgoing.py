"""Queries of the dispatcher: which letters are due, claiming them, recording the outcome.

Callers hold the account's lock (`handlers.common.ACCOUNT_LOCK`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.letters.adapters import documents as shared_documents
from autoletter.letters.adapters import history
from autoletter.letters.adapters.tables import Record, letter_documents, letters
from autoletter.letters.domain.model import LetterStatus


async def dispatch_candidates(session: AsyncSession, now: datetime, limit: int) -> list[tuple[str, str]]:
    """(account, service) pairs with accepted letters due for dispatch, oldest first."""
    rows = (
        await session.execute(
            select(letters.c.account_id, letters.c.service)
            .where(letters.c.status == LetterStatus.ACCEPTED.value, _dispatch_due(now))
            .group_by(letters.c.account_id, letters.c.service)
            .order_by(func.min(letters.c.seq))
            .limit(limit)
        )
    ).all()
    return [(r.account_id, r.service) for r in rows]


def _dispatch_due(now: datetime) -> Any:
    return or_(letters.c.next_dispatch_at.is_(None), letters.c.next_dispatch_at <= now)


async def claim_accepted(
    session: AsyncSession, account_id: str, service: str, now: datetime, limit: int, max_bytes: int
) -> tuple[list[Record], dict[UUID, bytes], bool]:
    """Accepted letters of one service in arrival order, locked for dispatch, with their documents
    (at most `max_bytes` of them, so a batch of large PDFs stays within memory). Also says whether
    more letters are waiting."""
    rows = (
        await session.execute(
            select(
                letters.c.letter_id,
                letters.c.seq,
                letters.c.recipient,
                letters.c.pages,
                letters.c.sheets,
                letters.c.destination_country,
                letters.c.accepted_on,
                letters.c.correlation_id,
                letters.c.dispatch_attempts,
                letters.c.document_bytes,
                letters.c.document_id,
                letters.c.trace,
            )
            .where(
                letters.c.account_id == account_id,
                letters.c.service == service,
                letters.c.status == LetterStatus.ACCEPTED.value,
                _dispatch_due(now),
            )
            .order_by(letters.c.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    taken: list[Record] = []
    total = 0
    shared: set[UUID] = set()
    for row in rows:
        # A shared document is read once per batch, so it counts once.
        size = 0 if row.document_id in shared else row.document_bytes
        if taken and total + size > max_bytes:
            break
        taken.append(row)
        total += size
        if row.document_id is not None:
            shared.add(row.document_id)
    return taken, await _documents(session, taken), len(rows) == limit or len(taken) < len(rows)


async def _documents(session: AsyncSession, taken: Sequence[Record]) -> dict[UUID, bytes]:
    """Each letter's PDF: its own copy, or the shared document it names (read once per batch)."""
    own = [r.letter_id for r in taken if r.document_id is None]
    found: dict[UUID, bytes] = {}
    if own:
        rows = await session.execute(
            select(letter_documents.c.letter_id, letter_documents.c.pdf).where(
                letter_documents.c.letter_id.in_(own)
            )
        )
        found = {r.letter_id: r.pdf for r in rows}
    shared = await shared_documents.read(session, list({r.document_id for r in taken if r.document_id}))
    found.update({r.letter_id: shared[r.document_id] for r in taken if r.document_id in shared})
    return found


async def mark_sent(session: AsyncSession, sent: Sequence[tuple[UUID, datetime]], now: datetime) -> None:
    """Record letters as sent; one statement per dispatch time (almost always a single one)."""
    by_time: dict[datetime, list[UUID]] = {}
    for letter_id, sent_at in sent:
        by_time.setdefault(sent_at, []).append(letter_id)
    for sent_at, ids in by_time.items():
        await session.execute(
            update(letters)
            .where(letters.c.letter_id.in_(ids))
            .values(
                status=LetterStatus.SENT.value,
                reason=None,
                sent_at=sent_at,
                updated_at=now,
                dispatch_error=None,
                next_dispatch_at=None,
            )
        )
    if sent:
        ids = [i for i, _ in sent]
        await session.execute(delete(letter_documents).where(letter_documents.c.letter_id.in_(ids)))
        await shared_documents.letters_ended(session, ids, now)
        await history.record(session, [(i, LetterStatus.SENT.value, None, at) for i, at in sent])


async def mark_dispatch_failed(
    session: AsyncSession, letter_id: UUID, error: str, retry_at: datetime
) -> None:
    await session.execute(
        update(letters)
        .where(letters.c.letter_id == letter_id)
        .values(
            dispatch_attempts=letters.c.dispatch_attempts + 1,
            dispatch_error=error[:500],
            next_dispatch_at=retry_at,
        )
    )
