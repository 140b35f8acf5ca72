"""A rolling restart under load on the production topology: while letters flow, every process of every
service is stopped gracefully (SIGTERM) and started again, one at a time, the next only once it is
ready. Every letter is accepted, sent once and billed once, and the closed month reconciles."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import journeys as j
import pytest
from reconciliation_checks import assert_reconciled
from replicated import invoices_in, ready_accounts, roll, sent_once
from system import System
from test_replicas import send

ACCOUNTS = 3
PACE_S = 0.5  # between two letters: a steady stream the restarts cut into, not a flood


#: Eight processes stopped and started one after another on a shared two-core machine: more than the
#: suite's default 300 s (each wait inside has its own deadline).
pytestmark = pytest.mark.timeout(900)


async def test_a_rolling_restart_under_load_sends_and_bills_every_letter_once(replicated: System) -> None:
    system = replicated
    accounts = list(await ready_accounts(system, ACCOUNTS, j.GOOD_CARD))
    period = j.period_of(j.now(system))
    letters: dict[str, set[str]] = defaultdict(set)
    rolled = asyncio.Event()

    async def load() -> None:
        i = 0
        while not rolled.is_set():
            account = accounts[i % ACCOUNTS]
            receipt = await send(system, account, f"roll-{i}")  # retried on a reset, same key
            assert receipt["status"] == "accepted", receipt
            letters[account].add(receipt["letter_id"])
            i += 1
            await asyncio.sleep(PACE_S)

    loader = asyncio.create_task(load())
    try:
        await roll(system, list(system.processes))  # profile, profile#2, payments, … invoicing#2
    finally:
        rolled.set()
        await loader
    assert sum(len(ids) for ids in letters.values()) >= 2 * len(system.processes)  # it flowed throughout

    await sent_once(system, letters)
    await j.consumer_caught_up(system, "invoicing.usage", "letters.events")
    await j.advance_past(system, j.next_month_start(j.now(system)))
    await j.close_period(system, period)
    await invoices_in(system, accounts, "paid")
    await assert_reconciled(system, period)
