"""The close's lease (DESIGN §5): a dead run's period is taken over once its lease lapses, the run
shows as interrupted meanwhile, and a run that cannot keep its lease stops."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from conftest import Prepared
from invoicing_testkit import FakeStripe, customer_created, letter_sent
from sqlalchemy import text

from autoletter.invoicing.adapters import close_lease, runs_repo
from autoletter.invoicing.bootstrap import close_period
from autoletter.invoicing.domain.period import Period
from autoletter.invoicing.handlers import views
from autoletter.invoicing.handlers.runs import CloseRunner
from autoletter.runtime.testing import wait_for

PERIOD = "2026-11"
NOV = datetime(2026, 11, 12, 10, tzinfo=UTC)
EARLY = datetime(2026, 11, 1, tzinfo=UTC)


async def _usage(prepared: Prepared, unique: str, accounts: int = 3) -> None:
    for n in range(accounts):
        acct = f"a{unique}{n}"
        await prepared.deliver(customer_created(acct, EARLY), letter_sent(acct, "standard", NOV))


async def _status(prepared: Prepared, run_id: UUID) -> str:
    async with prepared.runtime.sessions() as session:
        view = await views.run(session, run_id)
    assert view is not None
    return str(view["status"])


async def test_a_dead_runs_lease_lapses_it_shows_interrupted_and_the_next_close_resumes_the_period(
    prepared: Prepared, fake_stripe: FakeStripe, unique: str
) -> None:
    await _usage(prepared, unique)
    dead = await prepared.runtime.deps.runs.request(Period.parse(PERIOD), "schedule")
    async with prepared.runtime.sessions.begin() as session:  # what a process did before it died
        assert (await close_lease.take(session, PERIOD, dead, timedelta(seconds=1))).held
        await runs_repo.set_values(session, dead, status="running")
    assert await _status(prepared, dead) == "running"
    blocked = await close_period(prepared.runtime, PERIOD)
    assert blocked.status == "skipped"  # the lease still holds: nobody else closes the period

    await wait_for(lambda: _interrupted(prepared, dead), timeout=10, what="the lease to lapse")
    resumed = await close_period(prepared.runtime, PERIOD)
    assert (resumed.status, resumed.issued) == ("completed", 3)
    assert await _status(prepared, dead) == "interrupted"
    error = await prepared.scalar("SELECT error FROM billing_runs WHERE run_id = :r", r=dead)
    assert str(resumed.run_id) in str(error)
    assert await prepared.scalar("SELECT count(*) FROM close_leases") == 0  # released at the end


async def _interrupted(prepared: Prepared, run_id: UUID) -> bool:
    return await _status(prepared, run_id) == "interrupted"


class Hanging:
    """Stripe that never answers, as during a long close; records that the close was stopped."""

    def __init__(self, inner: FakeStripe) -> None:
        self.stats = inner.stats
        self.calls = 0
        self.cancelled = 0

    def __getattr__(self, name: str) -> Any:
        async def call(*_: Any, **__: Any) -> Any:
            self.calls += 1
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise

        return call


async def test_a_close_that_loses_its_lease_stops(
    prepared: Prepared, fake_stripe: FakeStripe, unique: str
) -> None:
    hanging, run = await _close_waiting_on_stripe(prepared, fake_stripe, unique, lease_ttl_s=5)
    await prepared.scalar("UPDATE close_leases SET run_id = gen_random_uuid() RETURNING 1")  # another took it

    result = await asyncio.wait_for(run, 10)
    assert result.status == "failed"
    assert hanging.cancelled >= 1, "the close's Stripe call was not stopped"
    error = await prepared.scalar("SELECT error FROM billing_runs WHERE run_id = :r", r=result.run_id)
    assert "LeaseLost" in str(error)


async def _close_waiting_on_stripe(
    prepared: Prepared, fake_stripe: FakeStripe, unique: str, *, lease_ttl_s: float
) -> tuple[Hanging, asyncio.Task[Any]]:
    """A close holding its lease, waiting on a Stripe that never answers."""
    await _usage(prepared, unique, accounts=1)
    hanging = Hanging(fake_stripe)
    prepared.runtime.deps.close._billing = hanging
    rt = prepared.runtime
    runner = CloseRunner(
        rt.deps.units,
        rt.deps.close,
        lease_ttl=timedelta(seconds=lease_ttl_s),
        lease_renew_every=timedelta(milliseconds=100),
    )
    run = asyncio.create_task(runner.close_period(Period.parse(PERIOD)))
    await wait_for(lambda: _leased(prepared), timeout=10, what="the close to take its lease")
    await wait_for(lambda: hanging.calls >= 1, timeout=30, what="the close to be waiting on Stripe")
    return hanging, run


async def _leased(prepared: Prepared) -> bool:
    return bool(await prepared.scalar("SELECT count(*) FROM close_leases"))


async def test_a_close_whose_heartbeat_cannot_reach_the_lease_stops_before_it_lapses(
    prepared: Prepared, fake_stripe: FakeStripe, unique: str
) -> None:
    hanging, run = await _close_waiting_on_stripe(prepared, fake_stripe, unique, lease_ttl_s=1)
    async with prepared.runtime.engine.begin() as conn:  # every renewal now fails in the database
        await conn.execute(text("ALTER TABLE close_leases RENAME TO close_leases_gone"))

    result = await asyncio.wait_for(run, 10)
    assert result.status == "failed"
    assert hanging.cancelled >= 1
    error = await prepared.scalar("SELECT error FROM billing_runs WHERE run_id = :r", r=result.run_id)
    assert "could not renew the lease" in str(error)
