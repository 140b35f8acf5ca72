"""Deleting uploaded documents no letter needs any more (a periodic job, safe on several replicas)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from autoletter.letters.adapters import documents
from autoletter.letters.adapters import repository as repo
from autoletter.runtime.clock import Clock

_ACCOUNTS_PER_PASS = 500


async def delete_idle_documents(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, retention: timedelta
) -> int:
    """Delete documents idle for longer than `retention` that no open letter uses; returns how many.

    Each account under its lock, so a letter being created with a document never loses it."""
    total = 0
    while True:
        idle_before = clock.now() - retention
        async with sessions() as session:
            accounts = await documents.accounts_with_idle_documents(session, idle_before, _ACCOUNTS_PER_PASS)
        for account_id in accounts:
            async with sessions.begin() as session:
                await repo.lock(session, account_id)
                total += await documents.delete_idle(session, account_id, idle_before)
        if len(accounts) < _ACCOUNTS_PER_PASS:
            return total
