"""Outages are waited out, never dead-lettered: each class of database failure, made for real on
PostgreSQL, for a single consumer and a batch. In each: processed exactly once, nothing dead-lettered
that should not be, and no later offset committed past the message while it waits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import sample_service as sample
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from test_consumer import count_effects, topic, wait_dead_letters
from test_outbox import letter_sent

from autoletter.devstack import postgres
from autoletter.runtime import dlq, metrics
from autoletter.runtime.failures import Failure, TransientError, classify
from autoletter.runtime.testing import publish, wait_for
from autoletter.runtime.waiting import RetryPolicy

#: Quick backoff for the tests; the statement-timeout budget is set per test.
FAST = RetryPolicy(attempts=3, first_delay=0.05, max_delay=0.2, outage_max_delay=0.5, slow_limit=60)
BATCH_SIZES = pytest.mark.parametrize("batch_size", [1, 50], ids=["single", "batch"])


@pytest.fixture
def cfg(database_url: str, db_schema: str, kafka_bootstrap: str, topic_prefix: str) -> sample.SampleSettings:
    return sample.settings(database_url, db_schema, kafka_bootstrap, topic_prefix)


def failures(kind: Failure) -> float:
    return metrics.HANDLER_FAILURES.labels("sample", "sample.effects", kind)._value.get()


async def until_failed(kind: Failure, before: float, times: int = 1, timeout: float = 60) -> None:
    await wait_for(lambda: failures(kind) >= before + times, timeout, f"{times} {kind} failure(s)")


@contextlib.asynccontextmanager
async def admin_engine(url: str) -> AsyncIterator[AsyncEngine]:
    """Another session of the same database: the other party of a lock, a cancel or a terminate."""
    engine = create_async_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def repeatedly(action: Callable[[], Awaitable[None]], seconds: float) -> AsyncIterator[None]:
    """Run `action` every 50 ms for `seconds` (in the background of the block)."""

    async def loop() -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            await action()
            await asyncio.sleep(0.05)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        await task


async def run_and_check(cfg: sample.SampleSettings, rt: Any, account: str, during: Any) -> None:
    """Publish the marked message and one after it, let `during` hurt the database, then check that
    both were processed once, in order, and nothing was dead-lettered."""
    marked, after = letter_sent(account, sheets=7), letter_sent(account)
    async with rt.running():
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), marked, after)
        await during()
        await count_effects(rt, 2)
        assert [r.event_id for r in await sample.effects(rt)] == [marked.event_id, after.event_id]
        assert await dlq.list_dead_letters(cfg, rt.processors[0].dlq_topic) == []


def marked_sleep(seconds: float) -> Callable[[Any, Any], Awaitable[None]]:
    """A handler whose marked message runs a slow query the test can find in pg_stat_activity."""

    async def handler(uow: Any, event: Any) -> None:
        if event.sheets == 7:
            await uow.session.execute(text(f"SELECT 'outage-test', pg_sleep({seconds})"))
        await sample.record_effect(uow, event)

    return handler


async def hit_marked_backends(engine: AsyncEngine, function: str) -> None:
    async with engine.connect() as conn:
        await conn.execute(
            text(
                f"SELECT {function}(pid) FROM pg_stat_activity"
                " WHERE query LIKE '%outage-test%' AND pid <> pg_backend_pid()"
            )
        )


@BATCH_SIZES
@pytest.mark.parametrize(
    ("function", "kind"),
    [("pg_cancel_backend", Failure.SLOW), ("pg_terminate_backend", Failure.OUTAGE)],
    ids=["queries-cancelled", "connections-terminated"],
)
async def test_queries_cancelled_or_connections_terminated_for_seconds_are_waited_out(
    cfg: sample.SampleSettings, unique: str, batch_size: int, function: str, kind: Failure
) -> None:
    """57014 while the database answers: retried within the bounded time; 57P01: an outage."""
    rt = sample.runtime(cfg, handler=marked_sleep(0.3), batch_size=batch_size, retry=FAST)
    before = failures(kind)

    async def hurt_for_a_while() -> None:
        async with (
            admin_engine(cfg.database_url.get_secret_value()) as engine,
            repeatedly(lambda: hit_marked_backends(engine, function), 3),
        ):
            await until_failed(kind, before, times=2)  # real failures of that kind, more than one

    await run_and_check(cfg, rt, f"acc-{unique}", hurt_for_a_while)


@BATCH_SIZES
async def test_a_lock_held_past_the_lock_timeout_is_waited_for(
    cfg: sample.SampleSettings, unique: str, batch_size: int
) -> None:
    async def handler(uow: Any, event: Any) -> None:
        await uow.session.execute(text("SET LOCAL lock_timeout = '100ms'"))
        await sample.record_effect(uow, event)  # needs the table another session has locked

    rt = sample.runtime(cfg, handler=handler, batch_size=batch_size, retry=FAST)
    before = failures(Failure.SLOW)
    held = asyncio.Event()

    async def hold_the_table() -> None:
        async with (
            admin_engine(cfg.database_url.get_secret_value()) as engine,
            engine.connect() as conn,
            conn.begin(),
        ):
            await conn.execute(text(f'LOCK TABLE "{cfg.database_schema}".effects IN ACCESS EXCLUSIVE MODE'))
            held.set()
            await until_failed(Failure.SLOW, before, times=3)  # 55P03 more than once

    async with rt.running():
        locker = asyncio.create_task(hold_the_table())
        await held.wait()
        marked, after = letter_sent(f"acc-{unique}", sheets=7), letter_sent(f"acc-{unique}")
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), marked, after)
        await locker
        await count_effects(rt, 2)
        assert [r.event_id for r in await sample.effects(rt)] == [marked.event_id, after.event_id]
        assert await dlq.list_dead_letters(cfg, rt.processors[0].dlq_topic) == []


async def test_a_statement_slow_by_itself_is_dead_lettered_after_the_bounded_time(
    cfg: sample.SampleSettings, unique: str
) -> None:
    async def handler(uow: Any, event: Any) -> None:
        if event.sheets == 7:  # this message's query always outlives the statement timeout
            await uow.session.execute(text("SET LOCAL statement_timeout = '50ms'"))
            await uow.session.execute(text("SELECT pg_sleep(1)"))
        await sample.record_effect(uow, event)

    retry = RetryPolicy(attempts=3, first_delay=0.05, outage_max_delay=0.2, slow_limit=1.5)
    rt = sample.runtime(cfg, handler=handler, retry=retry)
    async with rt.running():
        slow, after = letter_sent(f"acc-{unique}", sheets=7), letter_sent(f"acc-{unique}")
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), slow, after)
        await count_effects(rt, 1)
        await wait_dead_letters(cfg, rt, 1)
        [letter] = await dlq.list_dead_letters(cfg, rt.processors[0].dlq_topic)
        assert letter.reason == "statement_timeout"
        assert "statement timeout" in (letter.error or "")
        assert [r.event_id for r in await sample.effects(rt)] == [after.event_id]


@BATCH_SIZES
async def test_a_deadlock_rolls_back_and_retries_the_unit_of_work(
    cfg: sample.SampleSettings, unique: str, batch_size: int
) -> None:
    handler_has_first, other_has_second = asyncio.Event(), asyncio.Event()

    async def handler(uow: Any, event: Any) -> None:
        if event.sheets == 7 and not handler_has_first.is_set():  # only the first try meets the other
            await uow.session.execute(text("SELECT pg_advisory_xact_lock(7001)"))
            handler_has_first.set()
            await other_has_second.wait()
            await uow.session.execute(text("SELECT pg_advisory_xact_lock(7002)"))  # waits first: the victim
        await sample.record_effect(uow, event)

    rt = sample.runtime(cfg, handler=handler, batch_size=batch_size, retry=FAST)
    before = failures(Failure.CONFLICT)

    async def deadlock() -> None:
        async with (
            admin_engine(cfg.database_url.get_secret_value()) as engine,
            engine.connect() as conn,
            conn.begin(),
        ):
            await conn.execute(text("SELECT pg_advisory_xact_lock(7002)"))
            await handler_has_first.wait()
            other_has_second.set()
            await asyncio.sleep(0.3)  # let the handler queue on 7002 before we close the cycle
            await conn.execute(text("SELECT pg_advisory_xact_lock(7001)"))
        await until_failed(Failure.CONFLICT, before)  # 40P01 was detected in the handler's session

    await run_and_check(cfg, rt, f"acc-{unique}", deadlock)


async def test_a_serialisation_failure_retries_the_unit_of_work(
    cfg: sample.SampleSettings, unique: str
) -> None:
    account = f"acc-{unique}"
    handler_read, other_committed = asyncio.Event(), asyncio.Event()

    async def handler(uow: Any, event: Any) -> None:
        """Read-then-write under SERIALIZABLE, racing another writer of the same rows once."""
        await uow.session.execute(text("SELECT count(*) FROM effects WHERE account_id = :a"), {"a": account})
        if event.sheets == 7 and not handler_read.is_set():
            handler_read.set()
            await other_committed.wait()
        await sample.record_effect(uow, event)

    rt = sample.runtime(cfg, handler=handler, retry=FAST, isolation_level="SERIALIZABLE")
    before = failures(Failure.CONFLICT)

    async def write_skew() -> None:
        engine = create_async_engine(cfg.database_url.get_secret_value(), isolation_level="SERIALIZABLE")
        try:
            await handler_read.wait()
            async with engine.begin() as conn:
                effects = f'"{cfg.database_schema}".effects'
                await conn.execute(
                    text(f"SELECT count(*) FROM {effects} WHERE account_id = :a"), {"a": account}
                )
                await conn.execute(
                    text(
                        f"INSERT INTO {effects} (event_id, account_id, note)"
                        " VALUES (gen_random_uuid(), :a, 'x')"
                    ),
                    {"a": account},
                )
            other_committed.set()
        finally:
            await engine.dispose()
        await until_failed(Failure.CONFLICT, before)  # 40001 in the handler's transaction

    marked, after = letter_sent(account, sheets=7), letter_sent(account)
    async with rt.running():
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), marked, after)
        await write_skew()
        await count_effects(rt, 3)
        mine = [r.event_id for r in await sample.effects(rt) if r.note == "LetterSent"]
        assert mine == [marked.event_id, after.event_id]
        assert await dlq.list_dead_letters(cfg, rt.processors[0].dlq_topic) == []


@BATCH_SIZES
async def test_postgresql_stopped_longer_than_the_bounded_time_is_waited_out(
    cfg: sample.SampleSettings, unique: str, tmp_path: Path, batch_size: int
) -> None:
    server = postgres.start(tmp_path / "pgdata")
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    cfg = sample.settings(
        server.url, cfg.database_schema, cfg.kafka_bootstrap_servers, cfg.kafka_topic_prefix
    )
    retry = RetryPolicy(attempts=3, first_delay=0.05, outage_max_delay=0.5, slow_limit=1.0)
    rt = sample.runtime(cfg, batch_size=batch_size, retry=retry)
    before = failures(Failure.OUTAGE)
    account = f"acc-{unique}"
    try:
        async with rt.running():
            first = letter_sent(account)
            await publish(cfg.kafka_bootstrap_servers, topic(cfg), first)
            await count_effects(rt, 1)

            async def first_committed() -> bool:
                return sum((await committed(cfg, rt)).values()) == 1

            await wait_for(first_committed, 30, "the first message's offset commit")
            committed_before = await committed(cfg, rt)

            await asyncio.to_thread(server.stop)
            during = [letter_sent(account, sheets=i + 2) for i in range(3)]
            await publish(cfg.kafka_bootstrap_servers, topic(cfg), *during)
            await until_failed(Failure.OUTAGE, before)
            outage = metrics.OUTAGE_SECONDS.labels("sample", "sample.effects")
            # Waited out longer than any bounded retry, and still not given up:
            await wait_for(lambda: outage._value.get() > 2 * retry.slow_limit, 60, "a long outage")
            assert await committed(cfg, rt) == committed_before  # nothing committed past the message

            server = await asyncio.to_thread(postgres.start, tmp_path / "pgdata", port)
            await count_effects(rt, 4)
            ids = [r.event_id for r in await sample.effects(rt)]
            assert ids == [first.event_id, *(e.event_id for e in during)]
            assert await dlq.list_dead_letters(cfg, rt.processors[0].dlq_topic) == []
    finally:
        server.stop()


async def committed(cfg: sample.SampleSettings, rt: Any) -> dict[Any, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=cfg.kafka_bootstrap_servers)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(rt.processors[0].kafka_group)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in offsets.items()}


def test_failures_are_classified_by_their_evidence() -> None:
    """The fast companion of the tests above: codes and types that have no real-server test here.
    (Stripe's errors are mapped to TransientError by autoletter.stripe: tests/stripe.)"""
    from sqlalchemy.exc import DBAPIError, IntegrityError
    from sqlalchemy.exc import TimeoutError as PoolTimeoutError

    class DriverError(Exception):
        def __init__(self, sqlstate: str) -> None:
            super().__init__(sqlstate)
            self.sqlstate = sqlstate

    def wrapped(code: str) -> DBAPIError:
        return DBAPIError("SELECT 1", {}, DriverError(code))

    for code in ("08006", "53300", "53100", "57P01", "57P03", "58030"):
        assert classify(wrapped(code)) is Failure.OUTAGE, code
    for code in ("40001", "40P01"):
        assert classify(wrapped(code)) is Failure.CONFLICT, code
    for code in ("57014", "55P03"):
        assert classify(wrapped(code)) is Failure.SLOW, code
    assert classify(IntegrityError("INSERT", {}, DriverError("23505"))) is Failure.MESSAGE
    assert classify(PoolTimeoutError("QueuePool limit reached")) is Failure.OUTAGE
    assert classify(ConnectionRefusedError()) is Failure.OUTAGE
    assert classify(TransientError("a dependency is down")) is Failure.OUTAGE
    assert classify(RuntimeError("wrapped")) is Failure.MESSAGE
    assert classify(ValueError("a bug")) is Failure.MESSAGE
