"""Queries of the letters schema. Callers hold the account's lock (see `lock`) for every write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts.common import ServiceStatus
from autoletter.contracts.letters import LetterReason
from autoletter.letters.adapters.tables import letter_documents, letters, service_statuses
from autoletter.letters.domain.model import OPEN_STATUSES, LetterStatus, OpenLetter, StatusCopy, Transition
from autoletter.runtime.db import lock_account

#: Columns a person may see (never the document).
VIEW_COLUMNS = (
    letters.c.letter_id,
    letters.c.seq,
    letters.c.account_id,
    letters.c.service,
    letters.c.status,
    letters.c.reason,
    letters.c.recipient,
    letters.c.destination_country,
    letters.c.pages,
    letters.c.sheets,
    letters.c.created_at,
    letters.c.updated_at,
    letters.c.hold_expires_at,
    letters.c.sent_at,
)
TERMINAL = [s.value for s in LetterStatus if s not in OPEN_STATUSES]


async def lock(session: AsyncSession, account_id: str) -> None:
    """Serialise this account's letter decisions across requests, consumers and replicas."""
    await lock_account(session, "letters", account_id)


def _reason(value: str | None) -> LetterReason | None:
    return LetterReason(value) if value else None


async def status_copy(
    session: AsyncSession, account_id: str, service: str
) -> tuple[StatusCopy, datetime] | None:
    row = (
        await session.execute(
            select(
                service_statuses.c.status,
                service_statuses.c.hold_reason,
                service_statuses.c.block_reason,
                service_statuses.c.changed_at,
            ).where(service_statuses.c.account_id == account_id, service_statuses.c.service == service)
        )
    ).one_or_none()
    if row is None:
        return None
    copy = StatusCopy(ServiceStatus(row.status), _reason(row.hold_reason), _reason(row.block_reason))
    return copy, row.changed_at


async def save_status_copy(
    session: AsyncSession,
    account_id: str,
    service: str,
    copy: StatusCopy,
    *,
    status_reason: str,
    changed_at: datetime,
    event_id: UUID,
) -> None:
    values = {
        "status": copy.status.value,
        "hold_reason": copy.hold_reason.value if copy.hold_reason else None,
        "block_reason": copy.block_reason.value if copy.block_reason else None,
        "status_reason": status_reason,
        "changed_at": changed_at,
        "event_id": event_id,
    }
    stmt = pg_insert(service_statuses).values(account_id=account_id, service=service, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["account_id", "service"], set_=values))


async def by_idempotency_key(session: AsyncSession, account_id: str, key: str) -> Row[Any] | None:
    return (
        await session.execute(
            select(
                letters.c.letter_id, letters.c.fingerprint, letters.c.initial_status, letters.c.initial_reason
            ).where(letters.c.account_id == account_id, letters.c.idempotency_key == key)
        )
    ).one_or_none()


async def insert_letter(session: AsyncSession, values: dict[str, Any], document: bytes | None) -> None:
    await session.execute(letters.insert().values(**values))
    if document is not None:
        await session.execute(letter_documents.insert().values(letter_id=values["letter_id"], pdf=document))


def _open_letter(row: Row[Any]) -> OpenLetter:
    return OpenLetter(
        row.letter_id,
        row.seq,
        LetterStatus(row.status),
        _reason(row.reason),
        row.held_since,
        row.hold_expires_at,
    )


_OPEN_COLUMNS = (
    letters.c.letter_id,
    letters.c.seq,
    letters.c.status,
    letters.c.reason,
    letters.c.held_since,
    letters.c.hold_expires_at,
    letters.c.correlation_id,
)


async def open_letters(
    session: AsyncSession, account_id: str, service: str
) -> tuple[list[OpenLetter], dict[UUID, UUID]]:
    """Held and accepted letters of one service, in arrival order, with each one's correlation id."""
    rows = (
        await session.execute(
            select(*_OPEN_COLUMNS)
            .where(
                letters.c.account_id == account_id,
                letters.c.service == service,
                letters.c.status.in_([s.value for s in OPEN_STATUSES]),
            )
            .order_by(letters.c.seq)
        )
    ).all()
    return [_open_letter(r) for r in rows], {r.letter_id: r.correlation_id for r in rows}


async def held_letters_due(session: AsyncSession, account_id: str, now: datetime) -> list[Row[Any]]:
    return list(
        (
            await session.execute(
                select(*_OPEN_COLUMNS, letters.c.service)
                .where(
                    letters.c.account_id == account_id,
                    letters.c.status == LetterStatus.HELD.value,
                    letters.c.hold_expires_at <= now,
                )
                .order_by(letters.c.seq)
            )
        ).all()
    )


async def accounts_with_due_holds(session: AsyncSession, now: datetime, limit: int) -> list[str]:
    return list(
        (
            await session.scalars(
                select(letters.c.account_id)
                .where(letters.c.status == LetterStatus.HELD.value, letters.c.hold_expires_at <= now)
                .group_by(letters.c.account_id)
                .order_by(func.min(letters.c.hold_expires_at))
                .limit(limit)
            )
        ).all()
    )


async def apply(session: AsyncSession, transitions: Sequence[Transition], now: datetime) -> None:
    """Write transitions in one round trip; documents of letters that will never print are dropped."""
    if not transitions:
        return
    await session.execute(
        update(letters)
        .where(letters.c.letter_id == bindparam("b_letter_id"))
        .values(
            status=bindparam("b_status"),
            reason=bindparam("b_reason"),
            held_since=bindparam("b_held_since"),
            hold_expires_at=bindparam("b_hold_expires_at"),
            updated_at=now,
            accepted_on=func.coalesce(letters.c.accepted_on, bindparam("b_accepted_on")),
        ),
        [
            {
                "b_letter_id": t.letter_id,
                "b_status": t.status.value,
                "b_reason": t.reason.value if t.reason else None,
                "b_held_since": t.held_since,
                "b_hold_expires_at": t.hold_expires_at,
                "b_accepted_on": now.date() if t.status is LetterStatus.ACCEPTED else None,
            }
            for t in transitions
        ],
        execution_options={"synchronize_session": False},
    )
    finished = [t.letter_id for t in transitions if t.status.value in TERMINAL]
    if finished:
        await session.execute(delete(letter_documents).where(letter_documents.c.letter_id.in_(finished)))


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
) -> tuple[list[Row[Any]], dict[UUID, bytes], bool]:
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
    taken, total = [], 0
    for row in rows:
        if taken and total + row.document_bytes > max_bytes:
            break
        taken.append(row)
        total += row.document_bytes
    documents: dict[UUID, bytes] = {}
    if taken:
        found = await session.execute(
            select(letter_documents.c.letter_id, letter_documents.c.pdf).where(
                letter_documents.c.letter_id.in_([r.letter_id for r in taken])
            )
        )
        documents = {r.letter_id: r.pdf for r in found}
    return taken, documents, len(rows) == limit or len(taken) < len(rows)


async def mark_sent(session: AsyncSession, sent: Sequence[tuple[UUID, datetime]], now: datetime) -> None:
    if not sent:
        return
    await session.execute(
        update(letters)
        .where(letters.c.letter_id == bindparam("b_letter_id"))
        .values(
            status=LetterStatus.SENT.value,
            reason=None,
            sent_at=bindparam("b_sent_at"),
            updated_at=now,
            dispatch_error=None,
            next_dispatch_at=None,
        ),
        [{"b_letter_id": letter_id, "b_sent_at": sent_at} for letter_id, sent_at in sent],
        execution_options={"synchronize_session": False},
    )
    await session.execute(
        delete(letter_documents).where(letter_documents.c.letter_id.in_([i for i, _ in sent]))
    )


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


async def get_letter(session: AsyncSession, account_id: str, letter_id: UUID) -> Row[Any] | None:
    return (
        await session.execute(
            select(*VIEW_COLUMNS, letters.c.held_since).where(
                letters.c.account_id == account_id, letters.c.letter_id == letter_id
            )
        )
    ).one_or_none()


async def list_letters(
    session: AsyncSession, account_id: str, *, status: str | None, before_seq: int | None, limit: int
) -> list[Row[Any]]:
    """Newest first; `before_seq` is the keyset cursor."""
    query = select(*VIEW_COLUMNS).where(letters.c.account_id == account_id)
    if status is not None:
        query = query.where(letters.c.status == status)
    if before_seq is not None:
        query = query.where(letters.c.seq < before_seq)
    return list((await session.execute(query.order_by(letters.c.seq.desc()).limit(limit))).all())


async def counts_by_status(session: AsyncSession) -> list[Row[Any]]:
    return list(
        (
            await session.execute(
                select(letters.c.service, letters.c.status, func.count()).group_by(
                    letters.c.service, letters.c.status
                )
            )
        ).all()
    )


async def oldest_held(session: AsyncSession) -> list[Row[Any]]:
    return list(
        (
            await session.execute(
                select(letters.c.service, func.min(letters.c.held_since))
                .where(letters.c.status == LetterStatus.HELD.value)
                .group_by(letters.c.service)
            )
        ).all()
    )
