"""Stripe's webhooks and retries while payments restarts (DESIGN §6): the close's invoice events arrive
during a rolling restart of payments' two processes; then Stripe's retries of the declined payments
(+1, +3, +7 days on its clock) fall due while payments is down altogether, so their deliveries fail
and Stripe delivers them again later on its clock (emulator: up to three days). Nothing is lost:
every event reaches payments and is processed once, the paying accounts' invoices are paid, the
declining accounts' services are overdue, and the month reconciles."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import journeys as j
import pytest
from reconciliation_checks import assert_reconciled
from replicated import invoices_in, ready_accounts, roll, sent_once
from system import System, body

from autoletter.contracts import Envelope
from autoletter.payments.adapters.stripe_events import HANDLED_TYPES
from autoletter.runtime.testing import read_all, wait_for

PAYMENTS = ("payments", "payments#2")
RETRIES = 3  # the emulator's default schedule: +1, +3 and +7 days after the first attempt


#: Processes started and stopped on a shared two-core machine: more than the suite's default 300 s.
pytestmark = pytest.mark.timeout(600)


async def test_webhooks_and_retries_during_payments_restarts_are_each_processed_once(
    replicated: System,
) -> None:
    system = replicated
    paying = await ready_accounts(system, 2, j.GOOD_CARD)
    declining = await ready_accounts(system, 2, j.DECLINING_CARD)
    customers = {**paying, **declining}
    letters = {a: {(await j.send_letter(system, a))["letter_id"]} for a in customers}
    await sent_once(system, letters)
    await j.consumer_caught_up(system, "invoicing.usage", "letters.events")
    period = j.period_of(j.now(system))
    await j.advance_past(system, j.next_month_start(j.now(system)))

    restarting = asyncio.create_task(roll(system, PAYMENTS))
    await j.close_period(system, period)  # invoice.finalized, .paid, .payment_failed meanwhile
    await restarting
    await system.advance(timedelta(minutes=5))  # a delivery that failed during the restarts is retried
    await wait_for(lambda: _all_delivered(system, customers.values()), 60, "the close's webhooks delivered")
    await invoices_in(system, paying, "paid")

    # Payments down altogether: Stripe's retries of the declined payments cannot be told.
    await asyncio.gather(*(asyncio.to_thread(system.processes[name].stop) for name in PAYMENTS))
    await system.advance(timedelta(days=8))
    failed = [d for d in await _deliveries(system, customers.values()) if d["next_attempt_at"]]
    assert {d["customer"] for d in failed} == set(declining.values()), failed  # to be retried
    await asyncio.gather(*(asyncio.to_thread(system.start_again, name) for name in PAYMENTS))
    await system.advance(timedelta(minutes=2))  # Stripe delivers them again (a minute after the first try)

    await wait_for(lambda: _all_delivered(system, customers.values()), 60, "every webhook delivered")
    deliveries = await _deliveries(system, customers.values())
    assert any(len(d["attempts"]) > 1 for d in deliveries)  # the outage was lived through by retries
    await wait_for(lambda: _all_processed(system, deliveries), 60, "payments to process every event")

    for account in paying:
        await j.events(system, "payments.events", account, "PaymentSucceeded")
        assert len(await _of_type(system, account, "PaymentSucceeded")) == 1  # once, whatever the retries
        assert not await _of_type(system, account, "PaymentFailed")
    for account in declining:
        failures = await j.events(system, "payments.events", account, "PaymentFailed", count=RETRIES + 1)
        assert len(failures) == len({e.event_id for e in failures}) == RETRIES + 1  # each attempt once
        assert [bool(e.final) for e in failures] == [False] * RETRIES + [True]  # type: ignore[attr-defined]
        await j.events(system, "payments.events", account, "ServiceStatusChanged", status="overdue")
    await invoices_in(system, declining, "uncollectible")  # ours once Stripe stopped retrying
    await assert_reconciled(system, period)


async def _deliveries(system: System, customers: Any) -> list[dict[str, Any]]:
    wanted = set(customers)
    async with system.emulator() as emulator:
        every = body(await emulator.get("/_emulator/webhooks"))
    return [d for d in every if d["customer"] in wanted]


async def _all_delivered(system: System, customers: Any) -> bool:
    deliveries = await _deliveries(system, customers)
    assert all(d["status"] != "failed" for d in deliveries), deliveries  # given up: lost
    return all(d["status"] == "delivered" for d in deliveries)


async def _all_processed(system: System, deliveries: list[dict[str, Any]]) -> bool:
    """Payments stored each delivered event once and processed it (state `done`)."""
    states: Counter[str] = Counter()
    stored = {d["event_id"] for d in deliveries if d["event_type"] in HANDLED_TYPES}  # others: 200, dropped
    assert stored
    async with system.client("payments", "ops-person", ops=True) as payments:
        for event_id in stored:
            response = await payments.get(f"/v1/ops/stripe-events/{event_id}")
            states[body(response)["state"] if response.status_code == 200 else "missing"] += 1
    assert states["failed"] == 0, states
    return set(states) == {"done"}


async def _of_type(system: System, account: str, event_type: str) -> list[Envelope]:
    every = await read_all(system.kafka_bootstrap, system.topic("payments.events"), account_id=account)
    return [e for e in every if e.event_type == event_type]
