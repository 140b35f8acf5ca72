"""History starts with what was known for letters written before it existed (real PostgreSQL). That
the migrations build exactly the declared tables is checked for every service in tests/foundation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from autoletter.letters.bootstrap import MIGRATIONS
from autoletter.runtime.db import create_engine
from autoletter.runtime.migrations import upgrade

CREATED = datetime(2026, 10, 1, 8, tzinfo=UTC)
UPDATED = datetime(2026, 10, 2, 8, tzinfo=UTC)


@pytest.fixture
async def schema(database_url: str, unique: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    name = f"m{unique}"
    engine = create_engine(database_url, name, pool_size=1)
    yield name, engine
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    await engine.dispose()


def _letter(key: str, initial: tuple[str, str | None], now: tuple[str, str | None]) -> dict[str, Any]:
    return {
        "letter_id": uuid.uuid4(),
        "account_id": "acc-old",
        "key": key,
        "initial_status": initial[0],
        "initial_reason": initial[1],
        "status": now[0],
        "reason": now[1],
        "created_at": CREATED,
        "updated_at": UPDATED,
    }


async def test_letters_written_before_history_get_their_first_answer_and_current_status(
    database_url: str, schema: tuple[str, AsyncEngine]
) -> None:
    name, engine = schema
    await upgrade(database_url, name, MIGRATIONS, "0001_letters")
    released = _letter("k1", ("held", "status_pending"), ("accepted", None))
    rejected = _letter("k2", ("rejected", "service_inactive"), ("rejected", "service_inactive"))
    async with engine.begin() as conn:
        for row in (released, rejected):
            await conn.execute(
                text(
                    "INSERT INTO letters (letter_id, account_id, idempotency_key, fingerprint, service,"
                    " status, reason, initial_status, initial_reason, recipient, destination_country,"
                    " pages, sheets, document_bytes, correlation_id, created_at, updated_at)"
                    " VALUES (:letter_id, :account_id, :key, 'f', 'standard', :status, :reason,"
                    " :initial_status, :initial_reason, '{}', 'FR', 1, 1, 10, :letter_id,"
                    " :created_at, :updated_at)"
                ),
                row,
            )
    await upgrade(database_url, name, MIGRATIONS)

    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT letter_id, status, reason, at FROM letter_transitions ORDER BY letter_id, seq")
            )
        ).all()
    history: dict[Any, list[tuple[str, str | None, datetime]]] = {}
    for r in rows:
        history.setdefault(r.letter_id, []).append((r.status, r.reason, r.at))
    assert history == {
        released["letter_id"]: [("held", "status_pending", CREATED), ("accepted", None, UPDATED)],
        rejected["letter_id"]: [("rejected", "service_inactive", CREATED)],
    }
