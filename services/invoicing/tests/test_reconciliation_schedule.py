"""The daily reconciliation (DESIGN §5): the two latest closed periods, under a lease so one replica
runs it, again at every check while a report is unsettled or has differences."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import uuid4

from conftest import NOW, Prepared

from autoletter.invoicing.adapters import reconciliation_repo as repo
from autoletter.invoicing.adapters import runs_repo
from autoletter.invoicing.adapters.reconciliation_sources import SideUnavailable
from autoletter.invoicing.domain.period import Period
from autoletter.invoicing.entrypoints import reconciliation
from autoletter.runtime.testing import wait_for

LAST_MONTH = Period.containing(NOW).previous()


class RecordingReconciler:
    """Stands in for the comparison (its sides are other services); stores the report it is given."""

    def __init__(self, prepared: Prepared, differences: list[dict[str, str]]) -> None:
        self.prepared = prepared
        self.differences = differences
        self.periods: list[Period] = []

    async def run(self, period: Period) -> Any:
        self.periods.append(period)
        async with self.prepared.runtime.sessions.begin() as session:
            await repo.save_report(session, period, NOW, True, self.differences)


async def _closed(prepared: Prepared, period: Period) -> None:
    run_id = uuid4()
    async with prepared.runtime.sessions.begin() as session:
        await runs_repo.create(session, run_id, str(period), "schedule", None, NOW)
        await runs_repo.set_values(session, run_id, status="completed")


async def test_only_closed_periods_are_due_and_a_clean_one_not_again_for_a_day(prepared: Prepared) -> None:
    deps = prepared.runtime.deps
    assert await reconciliation.due_periods(deps) == []
    await _closed(prepared, LAST_MONTH)
    assert await reconciliation.due_periods(deps) == [LAST_MONTH]

    fake = RecordingReconciler(prepared, [])
    deps = replace(deps, reconciler=fake)
    assert await reconciliation.scheduled_reconciliation(deps) == 1
    assert fake.periods == [LAST_MONTH]
    assert await reconciliation.due_periods(deps) == []


async def test_a_period_with_differences_is_compared_again_at_the_next_check(prepared: Prepared) -> None:
    await _closed(prepared, LAST_MONTH)
    found = [{"kind": "letter_without_usage", "account_id": "a", "ref": "l", "detail": "sent, no usage line"}]
    deps = replace(prepared.runtime.deps, reconciler=RecordingReconciler(prepared, found))
    assert await reconciliation.scheduled_reconciliation(deps) == 1
    assert await reconciliation.due_periods(deps) == [LAST_MONTH]
    await reconciliation.refresh_gauge(deps)
    assert reconciliation.DIFFERENCES.labels("letter_without_usage")._value.get() >= 1


async def test_a_replica_that_does_not_get_the_lease_leaves_the_run_to_its_holder(prepared: Prepared) -> None:
    await _closed(prepared, LAST_MONTH)
    fake = RecordingReconciler(prepared, [])
    deps = replace(prepared.runtime.deps, reconciler=fake)
    holder = uuid4()
    async with prepared.runtime.sessions.begin() as session:
        assert await repo.take_lease(session, reconciliation.DAILY_JOB, holder, timedelta(minutes=5))
        assert not await repo.take_lease(session, reconciliation.DAILY_JOB, uuid4(), timedelta(minutes=5))
    assert await reconciliation.scheduled_reconciliation(deps) == 0
    assert fake.periods == []

    async with prepared.runtime.sessions.begin() as session:
        await repo.release_lease(session, reconciliation.DAILY_JOB, holder)
    assert await reconciliation.scheduled_reconciliation(deps) == 1


async def test_a_lapsed_lease_is_taken_over(prepared: Prepared) -> None:
    async with prepared.runtime.sessions.begin() as session:  # a holder that died: its lease lapses at once
        assert await repo.take_lease(session, reconciliation.DAILY_JOB, uuid4(), timedelta(0))
    async with prepared.runtime.sessions.begin() as session:
        assert await repo.take_lease(session, reconciliation.DAILY_JOB, uuid4(), timedelta(minutes=5))


class FailingReconciler:
    async def run(self, period: Period) -> Any:
        raise SideUnavailable("letters at http://127.0.0.1:9: ConnectError")


async def test_a_failing_pass_is_counted_and_leaves_the_lease_to_the_next_one(prepared: Prepared) -> None:
    await _closed(prepared, LAST_MONTH)
    deps = replace(prepared.runtime.deps, reconciler=FailingReconciler())
    failed = reconciliation.RUNS.labels("failed")
    before = failed._value.get()
    task = asyncio.create_task(reconciliation.schedule_job(deps).run())
    try:
        await wait_for(lambda: failed._value.get() > before, 10, "the failed pass counted")
    finally:
        task.cancel()
    async with prepared.runtime.sessions.begin() as session:
        assert await repo.take_lease(session, reconciliation.DAILY_JOB, uuid4(), timedelta(minutes=5))
    assert await reconciliation.due_periods(deps) == [LAST_MONTH]  # nothing stored: due
