"""The runtime's periodic jobs, wake-on-commit and typed handler registry."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from autoletter.contracts import CONSUMER_GROUPS, TOPICS
from autoletter.contracts.letters import LetterSent
from autoletter.contracts.payments import ServiceStatusChanged
from autoletter.runtime import db
from autoletter.runtime.jobs import Job
from autoletter.runtime.notify import Channel
from autoletter.runtime.registry import in_batches, on, subscribe
from autoletter.runtime.testing import wait_for
from autoletter.runtime.uow import SqlUnitOfWork


async def test_a_job_survives_a_failing_step_and_runs_again() -> None:
    runs: list[int] = []

    async def step() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("the first step fails")

    task = asyncio.create_task(Job("flaky", step, interval=0.01).run())
    try:
        await wait_for(lambda: len(runs) >= 3, 10, "the job to run after its failure")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert runs[:3] == [0, 1, 2]


async def test_a_woken_job_runs_before_its_interval() -> None:
    wake = asyncio.Event()
    runs: list[str] = []

    async def step() -> None:
        runs.append("ran")

    stopped: list[bool] = []
    task = asyncio.create_task(
        Job("woken", step, interval=3600, wake=wake, on_stop=lambda: stopped.append(True)).run()
    )
    try:
        await wait_for(lambda: len(runs) == 1, 10, "the first step, at start")
        wake.set()
        await wait_for(lambda: len(runs) == 2, 10, "the step the wake-up asked for")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert stopped == [True]


async def test_a_notify_wakes_the_listener_once_its_transaction_commits(
    database_url: str, db_schema: str
) -> None:
    engine = db.create_engine(database_url, db_schema)
    channel = Channel.of(db_schema, "tests")
    listener = asyncio.create_task(channel.listen(engine))
    try:
        await wait_for(channel.wake.is_set, 30, "the listener to catch up at start")
        channel.wake.clear()
        async with db.session_factory(engine).begin() as session:
            await channel.notify_on_commit(session)
        await wait_for(channel.wake.is_set, 30, "the wake-up of the committed NOTIFY")
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        await engine.dispose()


async def record(uow: SqlUnitOfWork[Any], event: ServiceStatusChanged) -> None:
    del uow, event


async def record_all(uow: SqlUnitOfWork[Any], events: list[LetterSent]) -> None:
    del uow, events


def test_a_subscription_is_built_from_the_declared_group_and_typed_handlers() -> None:
    status = subscribe(CONSUMER_GROUPS["letters.service-status"], on(ServiceStatusChanged, record))
    assert (status.topic, status.group) == (TOPICS["payments.events"], "letters.service-status")
    assert dict(status.handlers) == {ServiceStatusChanged: record}
    usage = subscribe(
        CONSUMER_GROUPS["invoicing.usage"], batch=in_batches(LetterSent, record_all), batch_size=50
    )
    assert (usage.batch_handler, usage.batch_types, usage.batch_size) == (record_all, (LetterSent,), 50)


def test_a_handler_for_a_message_of_another_topic_is_refused() -> None:
    with pytest.raises(ValueError, match=r"ServiceStatusChanged is published on payments\.events"):
        subscribe(CONSUMER_GROUPS["invoicing.usage"], on(ServiceStatusChanged, record))
    with pytest.raises(ValueError, match="registered twice"):
        group = CONSUMER_GROUPS["letters.service-status"]
        subscribe(group, on(ServiceStatusChanged, record), on(ServiceStatusChanged, record))


def test_every_consumer_group_reads_a_registered_topic() -> None:
    for name, group in CONSUMER_GROUPS.items():
        assert name == f"{group.service}.{group.purpose}"
        assert group.topic in TOPICS
        assert group.dlq().name == f"{group.topic}.dlq.{name}"


async def test_a_job_that_does_not_repeat_ends_after_its_first_success() -> None:
    runs: list[int] = []

    async def step() -> None:
        runs.append(len(runs))
        if len(runs) < 3:
            raise RuntimeError("not yet")

    await asyncio.wait_for(Job("catch-up", step, interval=0.01, repeat=False).run(), 10)
    assert runs == [0, 1, 2]
