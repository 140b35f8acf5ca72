"""The monthly close survives the kill -9 of the invoicing replica running it (DESIGN §5): the process
holding the period's lease dies while it waits on Stripe (its request to create an invoice still goes
through); the other replica's schedule takes the lapsed lease, marks the dead run `interrupted` and
resumes the close from our rows and Stripe's metadata. One invoice per account and service, in our
database and at Stripe; no line twice; the month reconciles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import journeys as j
import pytest
from reconciliation_checks import assert_reconciled
from replicated import invoices_in, ready_accounts, replica_with_port, sent_once, stripe_invoices
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from system import System, body

from autoletter.runtime.db import create_engine
from autoletter.runtime.testing import wait_for

ACCOUNTS = 4
LETTERS = 2  # per account
GRACE = timedelta(hours=7)  # past the close's 6 h grace: the schedule of each replica closes the month


#: Processes started and stopped on a shared two-core machine: more than the suite's default 300 s.
pytestmark = pytest.mark.timeout(600)


async def test_the_close_is_taken_over_when_the_replica_running_it_is_killed(
    replicated: System, database_url: str
) -> None:
    system = replicated
    customers = await ready_accounts(system, ACCOUNTS, j.GOOD_CARD)
    letters = {a: {(await j.send_letter(system, a))["letter_id"] for _ in range(LETTERS)} for a in customers}
    await sent_once(system, letters)
    await j.consumer_caught_up(system, "invoicing.usage", "letters.events")
    period = j.period_of(j.now(system))

    async with _invoicing_db(system, database_url) as db:
        async with _stripe_held(system, "POST", "/v1/invoices") as held:
            await system.advance(j.next_month_start(j.now(system)) - j.now(system) + GRACE)
            await wait_for(lambda: _held(system, held), 60, "the close to wait on Stripe")
            [lease] = await _rows(db, "SELECT run_id FROM close_leases WHERE period = :p", p=period)
            dead_run = str(lease["run_id"])
            assert (await _run(system, dead_run))["status"] == "running"
            victim = replica_with_port(system, "invoicing", held[0]["client_port"])
            system.kill(victim)  # kill -9 while it holds the lease, mid-call to Stripe
        try:
            # The survivor's schedule (every second) is `skipped` until the lease lapses (30 s), then
            # takes it over and resumes the close.
            await wait_for(lambda: _completed(db, period), 120, "the other replica to complete the close")
            dead = await _run(system, dead_run)
            assert dead["status"] == "interrupted", dead
        finally:
            system.start_again(victim)

    await invoices_in(system, customers, "paid")
    for account, customer in customers.items():
        [ours] = await j.invoices(system, account)
        assert (ours["service"], ours["letters"]) == ("standard", LETTERS)
        [theirs] = await stripe_invoices(system, customer)  # no second draft from the dead run's call
        assert theirs["id"] == ours["stripe_invoice_id"] and theirs["status"] == "paid"
        assert theirs["total"] == ours["amount_cents"]  # each letter billed once, on one invoice
    await assert_reconciled(system, period)


@asynccontextmanager
async def _stripe_held(system: System, method: str, path: str) -> AsyncIterator[list[dict[str, Any]]]:
    """While inside, Stripe keeps those requests waiting; the list fills with what is held."""
    held: list[dict[str, Any]] = []
    async with system.emulator() as emulator:
        response = await emulator.post("/_emulator/hold", json={"method": method, "path": path})
        assert response.status_code == 200, response.text
        try:
            yield held
        finally:
            (await emulator.delete("/_emulator/hold")).raise_for_status()


async def _held(system: System, into: list[dict[str, Any]]) -> bool:
    async with system.emulator() as emulator:
        into[:] = body(await emulator.get("/_emulator/hold"))["held"]
    return bool(into)


@asynccontextmanager
async def _invoicing_db(system: System, database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, f"{system.topic_prefix.rstrip('.')}_invoicing", pool_size=1)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _rows(engine: AsyncEngine, sql: str, **params: Any) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        return [dict(r._mapping) for r in await connection.execute(text(sql), params)]


async def _run(system: System, run_id: str) -> dict[str, Any]:
    async with system.client("invoicing", "ops-person", ops=True) as invoicing:
        response = await invoicing.get(f"/v1/billing-runs/{run_id}")
    assert response.status_code == 200, response.text
    return dict(body(response))


async def _completed(db: AsyncEngine, period: str) -> bool:
    runs = await _rows(db, "SELECT status FROM billing_runs WHERE period = :p", p=period)
    return any(r["status"] == "completed" for r in runs)
