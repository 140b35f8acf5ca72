"""Every service has a status from the start (DESIGN §5).

The first profile event of an account announces both services `inactive` (reason not_activated);
accounts known before that rule get the same announcement once, from a job every replica runs at
start: each account is re-checked under its lock, so replicas starting together announce it once.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from autoletter.payments.adapters import repository
from autoletter.payments.domain import status
from autoletter.payments.domain.status import AccountFacts, StatusChange
from autoletter.payments.handlers.common import Context, commit_facts

log = logging.getLogger(__name__)

#: Accounts read per query while catching up; each is announced in its own short transaction.
_PAGE = 500


async def with_first_announcements(
    session: AsyncSession, account_id: str, facts: AccountFacts, changed: list[StatusChange]
) -> list[StatusChange]:
    """`changed`, preceded by the announcement of every service never published before."""
    announced = await repository.announced_services(session, account_id)
    return [*status.first_announcements(facts, announced, changed), *changed]


async def announce_account(ctx: Context, session: AsyncSession, account_id: str) -> int:
    """Announce what this account never had announced; how many announcements were staged."""
    account = await repository.lock_account(session, account_id)
    facts = await repository.load_facts(session, account)
    changed = await with_first_announcements(session, account_id, facts, [])
    if changed:
        await commit_facts(session, ctx, account_id, facts, changed, None)
    return len(changed)


async def announce_known_accounts(ctx: Context, sessions: async_sessionmaker[AsyncSession]) -> int:
    """The catch-up at deploy: every account with a service never announced, once; idempotent."""
    total, last = 0, ""
    while True:
        async with sessions() as session:
            page = await repository.accounts_not_fully_announced(session, last, _PAGE)
        for account_id in page:
            async with sessions.begin() as session:
                total += await announce_account(ctx, session, account_id)
        if len(page) < _PAGE:
            return total
        last = page[-1]


async def run_catch_up(
    ctx: Context, sessions: async_sessionmaker[AsyncSession], retry_s: float = 5.0
) -> None:
    """The background job: catch up once, retrying while the database is unavailable."""
    while True:
        try:
            count = await announce_known_accounts(ctx, sessions)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("status_announcement_catch_up_failed", exc_info=True)
            await asyncio.sleep(retry_s)
            continue
        log.info("status_announcement_caught_up", extra={"announced": count})
        return
