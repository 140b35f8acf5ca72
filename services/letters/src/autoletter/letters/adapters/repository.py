"""letters' repository: what its handlers read and write, bound to one unit of work's transaction
(`resources.units(LettersRepository)`). Callers hold the account's lock
(`handlers.common.ACCOUNT_LOCK`) for every write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts.common import ServiceStatus
from autoletter.contracts.letters import LetterReason
from autoletter.letters.adapters import documents, history, outgoing, queries
from autoletter.letters.adapters.documents import StoredDocument
from autoletter.letters.adapters.tables import Record, letter_documents, letters, service_statuses
from autoletter.letters.domain.model import OPEN_STATUSES, LetterStatus, OpenLetter, StatusCopy, Transition
from autoletter.runtime.notify import Channel

TERMINAL = [s.value for s in LetterStatus if s not in OPEN_STATUSES]


def _reason(value: str | None) -> LetterReason | None:
    return LetterReason(value) if value else None


def open_letter(row: Record) -> OpenLetter:
    """A held or accepted letter as the decisions see it, from a row with its columns."""
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


class LettersRepository:
    """letters' reads and writes in one transaction (a unit of work's session)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def status_copy(self, account_id: str, service: str) -> tuple[StatusCopy, datetime] | None:
        row = (
            await self.session.execute(
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
        self,
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
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=["account_id", "service"], set_=values)
        )

    async def by_idempotency_key(self, account_id: str, key: str) -> Record | None:
        return (
            await self.session.execute(
                select(
                    letters.c.letter_id,
                    letters.c.fingerprint,
                    letters.c.initial_status,
                    letters.c.initial_reason,
                ).where(letters.c.account_id == account_id, letters.c.idempotency_key == key)
            )
        ).one_or_none()

    async def insert_letter(self, values: dict[str, Any], document: bytes | None) -> None:
        """A new letter, its first history entry, and its own copy of an inline document (if any)."""
        await self.session.execute(letters.insert().values(**values))
        letter_id, status = values["letter_id"], values["status"]
        await history.record(self.session, [(letter_id, status, values["reason"], values["created_at"])])
        if document is not None:
            await self.session.execute(letter_documents.insert().values(letter_id=letter_id, pdf=document))
        if status in TERMINAL:
            await documents.letters_ended(self.session, [letter_id], values["created_at"])

    async def traces(self, letter_ids: Sequence[UUID]) -> dict[UUID, dict[str, str]]:
        """The trace context each letter's submission left (letters from before tracing have none)."""
        query = select(letters.c.letter_id, letters.c.trace).where(
            letters.c.letter_id.in_(letter_ids), letters.c.trace.isnot(None)
        )
        return {row.letter_id: row.trace for row in await self.session.execute(query)}

    async def open_letters(self, account_id: str, service: str) -> tuple[list[OpenLetter], dict[UUID, UUID]]:
        """Held and accepted letters of one service, in arrival order, with each one's correlation id."""
        rows = (
            await self.session.execute(
                select(*_OPEN_COLUMNS)
                .where(
                    letters.c.account_id == account_id,
                    letters.c.service == service,
                    letters.c.status.in_([s.value for s in OPEN_STATUSES]),
                )
                .order_by(letters.c.seq)
            )
        ).all()
        return [open_letter(r) for r in rows], {r.letter_id: r.correlation_id for r in rows}

    async def held_letters_due(self, account_id: str, now: datetime) -> list[Record]:
        return list(
            (
                await self.session.execute(
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

    async def accounts_with_due_holds(self, now: datetime, limit: int) -> list[str]:
        return list(
            (
                await self.session.scalars(
                    select(letters.c.account_id)
                    .where(letters.c.status == LetterStatus.HELD.value, letters.c.hold_expires_at <= now)
                    .group_by(letters.c.account_id)
                    .order_by(func.min(letters.c.hold_expires_at))
                    .limit(limit)
                )
            ).all()
        )

    async def apply(self, transitions: Sequence[Transition], now: datetime) -> None:
        """Write transitions and their history; documents of letters that will never print are dropped
        (their own copy at once, a shared one after its retention)."""
        if not transitions:
            return
        await self.session.execute(
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
        await history.record(
            self.session,
            [(t.letter_id, t.status.value, t.reason.value if t.reason else None, now) for t in transitions],
        )
        finished = [t.letter_id for t in transitions if t.status.value in TERMINAL]
        if finished:
            await self.session.execute(
                delete(letter_documents).where(letter_documents.c.letter_id.in_(finished))
            )
            await documents.letters_ended(self.session, finished, now)

    # What the handlers use of the other adapters, in the same transaction.

    async def get_letter(self, account_id: str, letter_id: UUID) -> Record | None:
        return await queries.get_letter(self.session, account_id, letter_id)

    async def store_document(
        self, account_id: str, pdf: bytes, pages: int, sha256: str, now: datetime
    ) -> StoredDocument:
        return await documents.store(self.session, account_id, pdf, pages, sha256, now)

    async def find_document(self, account_id: str, ref: str) -> StoredDocument | None:
        return await documents.find(self.session, account_id, ref)

    async def accounts_with_idle_documents(self, idle_before: datetime, limit: int) -> list[str]:
        return await documents.accounts_with_idle_documents(self.session, idle_before, limit)

    async def delete_idle_documents(self, account_id: str, idle_before: datetime) -> int:
        return await documents.delete_idle(self.session, account_id, idle_before)

    async def dispatch_candidates(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        return await outgoing.dispatch_candidates(self.session, now, limit)

    async def claim_accepted(
        self, account_id: str, service: str, now: datetime, limit: int, max_bytes: int
    ) -> tuple[list[Record], dict[UUID, bytes], bool]:
        return await outgoing.claim_accepted(self.session, account_id, service, now, limit, max_bytes)

    async def mark_sent(self, sent: Sequence[tuple[UUID, datetime]], now: datetime) -> None:
        await outgoing.mark_sent(self.session, sent, now)

    async def mark_dispatch_failed(self, letter_id: UUID, error: str, retry_at: datetime) -> None:
        await outgoing.mark_dispatch_failed(self.session, letter_id, error, retry_at)

    async def notify_on_commit(self, channel: Channel) -> None:
        """NOTIFY `channel` when (and only if) this transaction commits."""
        await channel.notify_on_commit(self.session)
