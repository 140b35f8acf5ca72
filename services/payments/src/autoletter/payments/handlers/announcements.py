"""Every service has a status from the start (DESIGN §5).

The first profile event of an account announces both services `inactive` (reason not_activated);
accounts known before that rule get the same announcement once, from a job every replica runs at
start: each account is re-checked under its lock, so replicas starting together announce it once.
"""

from __future__ import annotations

import asyncio
import logging

from autoletter.payments.adapters.repository import PaymentsRepository
from autoletter.payments.domain import status
from autoletter.payments.domain.status import AccountFacts, StatusChange
from autoletter.payments.handlers.common import PaymentsWork, commit_facts
from autoletter.runtime.uow import Units

log = logging.getLogger(__name__)

#: Accounts read per query while catching up; each is announced in its own short transaction.
_PAGE = 500


async def with_first_announcements(
    uow: PaymentsWork, account_id: str, facts: AccountFacts, changed: list[StatusChange]
) -> list[StatusChange]:
    """`changed`, preceded by the announcement of every service never published before."""
    announced = await uow.repos.announced_services(account_id)
    return [*status.first_announcements(facts, announced, changed), *changed]


async def announce_account(uow: PaymentsWork, account_id: str) -> int:
    """Announce what this account never had announced; how many announcements were staged."""
    account = await uow.repos.lock_account(account_id)
    facts = await uow.repos.load_facts(account)
    changed = await with_first_announcements(uow, account_id, facts, [])
    if changed:
        await commit_facts(uow, account_id, facts, changed, None)
    return len(changed)


async def announce_known_accounts(units: Units[PaymentsRepository]) -> int:
    """The catch-up at deploy: every account with a service never announced, once; idempotent."""
    total, last = 0, ""
    while True:
        async with units.read() as repos:
            page = await repos.accounts_not_fully_announced(last, _PAGE)
        for account_id in page:
            async with units.begin() as uow:
                total += await announce_account(uow, account_id)
        if len(page) < _PAGE:
            return total
        last = page[-1]


async def run_catch_up(units: Units[PaymentsRepository], retry_s: float = 5.0) -> None:
    """The background job: catch up once, retrying while the database is unavailable."""
    while True:
        try:
            count = await announce_known_accounts(units)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("status_announcement_catch_up_failed", exc_info=True)
            await asyncio.sleep(retry_s)
            continue
        log.info("status_announcement_caught_up", extra={"announced": count})
        return
