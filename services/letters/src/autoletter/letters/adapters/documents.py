"""Uploaded documents: stored once per account and content, shared by the letters that name them.

Writers hold the account's lock (`handlers.common.ACCOUNT_LOCK`), so the cleanup never deletes a
document a letter is being created with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, and_, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.letters.adapters.tables import documents, letters
from autoletter.letters.domain.model import OPEN_STATUSES

_REF = re.compile(r"^doc_([0-9a-f]{32})$")


def to_ref(document_id: UUID) -> str:
    """The opaque reference handed to the customer (a random id: nothing to guess from it)."""
    return f"doc_{document_id.hex}"


def from_ref(ref: str) -> UUID | None:
    """The document id in a reference, or None when it is not one we give out."""
    match = _REF.match(ref)
    return UUID(match.group(1)) if match else None


@dataclass(frozen=True)
class StoredDocument:
    """A document's facts, without its bytes."""

    document_id: UUID
    pages: int
    size_bytes: int


async def store(
    session: AsyncSession, account_id: str, pdf: bytes, pages: int, sha256: str, now: datetime
) -> StoredDocument:
    """Keep the PDF once per account and content: the same upload again gets the same reference."""
    known = (
        await session.execute(
            select(documents.c.document_id).where(
                documents.c.account_id == account_id, documents.c.sha256 == sha256
            )
        )
    ).scalar_one_or_none()
    if known is not None:
        await session.execute(
            update(documents).where(documents.c.document_id == known).values(idle_since=now)
        )
        return StoredDocument(known, pages, len(pdf))
    document_id = uuid4()
    await session.execute(
        documents.insert().values(
            document_id=document_id,
            account_id=account_id,
            sha256=sha256,
            size_bytes=len(pdf),
            pages=pages,
            created_at=now,
            idle_since=now,
            pdf=pdf,
        )
    )
    return StoredDocument(document_id, pages, len(pdf))


async def find(session: AsyncSession, account_id: str, ref: str) -> StoredDocument | None:
    """The account's document behind `ref`; None when unknown or another account's."""
    document_id = from_ref(ref)
    if document_id is None:
        return None
    row = (
        await session.execute(
            select(documents.c.document_id, documents.c.pages, documents.c.size_bytes).where(
                documents.c.document_id == document_id, documents.c.account_id == account_id
            )
        )
    ).one_or_none()
    return StoredDocument(row.document_id, row.pages, row.size_bytes) if row else None


async def read(session: AsyncSession, document_ids: Sequence[UUID]) -> dict[UUID, bytes]:
    """The PDFs of these documents (for the dispatcher)."""
    if not document_ids:
        return {}
    rows = await session.execute(
        select(documents.c.document_id, documents.c.pdf).where(documents.c.document_id.in_(document_ids))
    )
    return {r.document_id: r.pdf for r in rows}


async def letters_ended(session: AsyncSession, letter_ids: Sequence[UUID], now: datetime) -> None:
    """Letters finished (sent, rejected, expired, cancelled): their documents' retention starts now."""
    if letter_ids:
        used = select(letters.c.document_id).where(
            letters.c.letter_id.in_(letter_ids), letters.c.document_id.is_not(None)
        )
        await session.execute(
            update(documents).where(documents.c.document_id.in_(used)).values(idle_since=now)
        )


def _deletable(idle_before: datetime) -> ColumnElement[bool]:
    in_use = exists().where(
        letters.c.document_id == documents.c.document_id,
        letters.c.status.in_([s.value for s in OPEN_STATUSES]),
    )
    return and_(documents.c.idle_since <= idle_before, ~in_use)


async def accounts_with_idle_documents(session: AsyncSession, idle_before: datetime, limit: int) -> list[str]:
    return list(
        (
            await session.scalars(
                select(documents.c.account_id).where(_deletable(idle_before)).distinct().limit(limit)
            )
        ).all()
    )


async def delete_idle(session: AsyncSession, account_id: str, idle_before: datetime) -> int:
    """Delete the account's documents idle since before `idle_before` that no open letter uses."""
    result = await session.execute(
        delete(documents).where(documents.c.account_id == account_id, _deletable(idle_before))
    )
    return int(getattr(result, "rowcount", 0) or 0)
