"""Bulk inserts: one statement for many rows, in their order, with conflicts and RETURNING."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from sqlalchemy import BigInteger, Column, Identity, MetaData, Table, Text, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from autoletter.runtime import bulk
from autoletter.runtime.db import create_engine, ensure_schema, session_factory

rows = Table(
    "bulk_rows",
    MetaData(),
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("key", Uuid, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("extra", JSONB, nullable=False),
)


@pytest.fixture
async def engine(database_url: str, db_schema: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, db_schema)
    await ensure_schema(engine, db_schema)
    async with engine.begin() as conn:
        await conn.run_sync(rows.metadata.create_all)
    yield engine
    await engine.dispose()


async def test_rows_are_written_in_their_order_with_identities_drawn_in_it(engine: AsyncEngine) -> None:
    keys = [uuid4() for _ in range(300)]
    names = [f"row-{i}" for i in range(300)][::-1]  # not sorted: the order given must be kept
    async with session_factory(engine).begin() as session:
        await bulk.insert_rows(
            session, rows, {"key": keys, "name": names, "extra": [json.dumps({"i": i}) for i in range(300)]}
        )
    async with engine.connect() as conn:
        stored = (await conn.execute(text("SELECT key, name, extra FROM bulk_rows ORDER BY id"))).all()
    assert [r.key for r in stored] == keys
    assert [r.name for r in stored] == names
    assert [r.extra for r in stored] == [{"i": i} for i in range(300)]


async def test_conflicting_rows_are_skipped_and_only_new_ones_returned(engine: AsyncEngine) -> None:
    old, new = uuid4(), uuid4()
    columns = {"key": [old], "name": ["first"], "extra": ["{}"]}
    async with session_factory(engine).begin() as session:
        await bulk.insert_rows(session, rows, columns)
    async with session_factory(engine).begin() as session:
        result = await bulk.insert_rows(
            session,
            rows,
            {"key": [old, new], "name": ["second", "third"], "extra": ["{}", "{}"]},
            on_conflict="(key) DO NOTHING",
            returning=("key",),
        )
        assert [r.key for r in result] == [new]
    async with engine.connect() as conn:
        names = (await conn.execute(text("SELECT name FROM bulk_rows ORDER BY id"))).scalars().all()
    assert names == ["first", "third"]
