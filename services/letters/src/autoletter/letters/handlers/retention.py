"""Deleting uploaded documents no letter needs any more (a periodic job, safe on several replicas)."""

from __future__ import annotations

from datetime import timedelta

from autoletter.letters.adapters.repository import LettersRepository
from autoletter.letters.handlers.common import ACCOUNT_LOCK
from autoletter.runtime.uow import Units

_ACCOUNTS_PER_PASS = 500


async def delete_idle_documents(units: Units[LettersRepository], retention: timedelta) -> int:
    """Delete documents idle for longer than `retention` that no open letter uses; returns how many.

    Each account under its lock, so a letter being created with a document never loses it."""
    total = 0
    while True:
        idle_before = units.clock.now() - retention
        async with units.read() as repos:
            accounts = await repos.accounts_with_idle_documents(idle_before, _ACCOUNTS_PER_PASS)
        for account_id in accounts:
            async with units.begin() as uow:
                await uow.lock(ACCOUNT_LOCK, account_id)
                total += await uow.repos.delete_idle_documents(account_id, idle_before)
        if len(accounts) < _ACCOUNTS_PER_PASS:
            return total
