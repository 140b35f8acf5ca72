"""Database engine and session factory: one schema per service, selected by search_path."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def check_schema_name(schema: str) -> str:
    """A schema name safe to put in DDL (it is never user input, but be strict anyway)."""
    if not _SCHEMA.match(schema):
        raise ValueError(f"invalid schema name {schema!r}")
    return schema


def create_engine(url: str, schema: str, *, pool_size: int = 10) -> AsyncEngine:
    """An asyncpg engine whose connections see the service schema first."""
    check_schema_name(schema)
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"server_settings": {"search_path": f"{schema},public"}},
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (handlers read them to build events)."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def ensure_schema(engine: AsyncEngine, schema: str) -> None:
    """Create the service schema if it is missing."""
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{check_schema_name(schema)}"'))


def advisory_key(scope: str, value: str) -> int:
    """A stable signed 64-bit key for pg_advisory_* locks."""
    digest = hashlib.blake2b(f"{scope}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_account(session: AsyncSession, scope: str, account_id: str) -> None:
    """Serialise one account's writes in this service until the transaction ends."""
    await lock_accounts(session, scope, [account_id])


async def lock_accounts(session: AsyncSession, scope: str, account_ids: Iterable[str]) -> None:
    """Lock several accounts in one round trip, always in key order so two writers cannot deadlock."""
    keys = sorted({advisory_key(scope, a) for a in account_ids})
    if keys:
        await session.execute(
            text(
                "SELECT pg_advisory_xact_lock(k)"
                " FROM unnest(CAST(:keys AS bigint[])) WITH ORDINALITY AS t(k, i) ORDER BY i"
            ),
            {"keys": keys},
        )
