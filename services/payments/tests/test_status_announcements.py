"""Every service has a status from the start: announced inactive once, for new and known accounts."""

from __future__ import annotations

import asyncio

from conftest import PaymentsService
from sqlalchemy import text

from autoletter.contracts.payments import ServiceStatusChanged, StatusReason
from autoletter.payments.handlers import announcements
from autoletter.runtime.testing import wait_for


async def test_a_new_account_has_both_services_announced_inactive_once(
    service: PaymentsService, account: str
) -> None:
    await service.profile_incomplete(account, "email")

    async def announced() -> bool:
        return len(await service.staged(account, "ServiceStatusChanged")) >= 2

    await wait_for(announced, 30, "the first announcements")
    await service.profile_incomplete(account, "email", "address")  # a later profile event
    await service.complete_profile(account)
    events = await service.staged(account, "ServiceStatusChanged")
    assert [(e.service, e.status, e.previous_status, e.reason) for e in events] == [
        ("standard", "inactive", "inactive", StatusReason.NOT_ACTIVATED),
        ("registered", "inactive", "inactive", StatusReason.NOT_ACTIVATED),
    ]
    published = await service.published(account, count=2)
    assert [type(e) for e in published[:2]] == [ServiceStatusChanged, ServiceStatusChanged]


async def test_accounts_known_before_the_rule_are_announced_once_by_replicas_starting_together(
    service: PaymentsService, account: str
) -> None:
    # As the schema held it before this change: an account, one service switched on and announced,
    # the other never announced (its row has no `since`).
    runtime = service.runtime
    async with runtime.sessions.begin() as session:
        await session.execute(text("INSERT INTO accounts (account_id) VALUES (:a)"), {"a": account})
        await session.execute(
            text(
                "INSERT INTO services (account_id, service, activated, status, since, reason)"
                " VALUES (:a, 'standard', false, 'inactive', now(), 'deactivated'),"
                " (:a, 'registered', false, 'inactive', NULL, NULL)"
            ),
            {"a": account},
        )
    # Two replicas' catch-up jobs at once (each checks under the account's lock).
    counts = await asyncio.gather(
        announcements.announce_known_accounts(runtime.deps.units),
        announcements.announce_known_accounts(runtime.deps.units),
    )
    assert sum(counts) >= 1
    events = await service.staged(account, "ServiceStatusChanged")
    assert [(e.service, e.reason) for e in events] == [("registered", StatusReason.NOT_ACTIVATED)]
    assert await announcements.announce_known_accounts(runtime.deps.units) == 0
    await service.published(account, count=1)
