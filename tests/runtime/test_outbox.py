"""Transactional outbox: committed → published, rolled back → nothing, crash-safe, ordered per account."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from uuid import uuid4

import pytest
import sample_service as sample
from sqlalchemy import text

from autoletter.contracts import new_event
from autoletter.contracts.letters import LetterSent
from autoletter.runtime import migrations
from autoletter.runtime.clock import SystemClock
from autoletter.runtime.db import create_engine, session_factory
from autoletter.runtime.kafka import Producer
from autoletter.runtime.relay import OutboxRelay
from autoletter.runtime.testing import read_events, read_records


def letter_sent(account: str, sheets: int = 1) -> LetterSent:
    now = datetime.now(UTC)
    return new_event(
        LetterSent,
        account_id=account,
        producer="sample",
        occurred_at=now,
        letter_id=uuid4(),
        service="standard",
        sheets=sheets,
        destination_country="FR",
        sent_at=now,
    )


async def test_rolled_back_transaction_publishes_nothing(
    database_url: str, db_schema: str, kafka_bootstrap: str, topic_prefix: str, unique: str
) -> None:
    rt = sample.runtime(sample.settings(database_url, db_schema, kafka_bootstrap, topic_prefix))
    async with rt.running():
        rolled_back, committed = letter_sent(f"acc-{unique}"), letter_sent(f"acc-{unique}")
        with pytest.raises(RuntimeError):
            async with rt.sessions.begin() as session:
                await sample.stage(session, rolled_back)
                raise RuntimeError("the state change failed")
        async with rt.sessions.begin() as session:
            await sample.stage(session, committed)
        # The later, committed event is on the topic; the rolled-back one never is.
        got = await read_events(kafka_bootstrap, f"{topic_prefix}letters.events", count=1)
        assert got == [committed]


_CRASHER = textwrap.dedent("""
    import asyncio, os, signal, sys
    sys.path.insert(0, sys.argv[1])
    import sample_service as sample
    from test_outbox import letter_sent
    from autoletter.runtime import migrations

    async def main():
        cfg = sample.settings(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
        rt = sample.runtime(cfg)
        async with rt.sessions.begin() as session:
            await sample.stage(session, letter_sent(sys.argv[6]))
        print("committed", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # dies after the commit, before any relay ran

    asyncio.run(main())
""")


async def test_event_committed_before_a_sigkill_is_published_after_restart(
    database_url: str, db_schema: str, kafka_bootstrap: str, topic_prefix: str, unique: str
) -> None:
    account = f"acc-{unique}"
    cfg = sample.settings(database_url, db_schema, kafka_bootstrap, topic_prefix)
    await migrations.upgrade(database_url, db_schema, sample.MIGRATIONS)
    here = os.path.dirname(__file__)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _CRASHER,
            here,
            database_url,
            db_schema,
            kafka_bootstrap,
            topic_prefix,
            account,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "committed" in proc.stdout

    rt = sample.runtime(cfg)
    async with rt.running():  # the restarted service's relay finds the row
        got = await read_events(kafka_bootstrap, f"{topic_prefix}letters.events", account_id=account, count=1)
    assert got[0].account_id == account


async def test_one_account_in_commit_order_with_two_relays(
    database_url: str, db_schema: str, kafka_bootstrap: str, topic_prefix: str, unique: str
) -> None:
    account, total = f"acc-{unique}", 1000
    cfg = sample.settings(database_url, db_schema, kafka_bootstrap, topic_prefix)
    await migrations.upgrade(database_url, db_schema, sample.MIGRATIONS)
    rt = sample.runtime(cfg)
    await rt.prepare()
    engine = create_engine(database_url, db_schema)
    sessions = session_factory(engine)
    producers = [Producer(cfg, f"relay-{i}") for i in range(2)]
    relays = [
        OutboxRelay(
            sessions,
            p,
            service="sample",
            topic_prefix=topic_prefix,
            clock=SystemClock(),
            batch_size=50,
        )
        for p in producers
    ]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        # Many small transactions while both relays run, from several writers at once.
        sent: list[LetterSent] = []

        async def writer(n: int) -> None:
            for _ in range(n):
                event = letter_sent(account)
                async with sessions.begin() as session:
                    await sample.stage(session, event)
                    sent.append(event)  # appended while holding the account lock: commit order

        await asyncio.gather(*(writer(total // 4) for _ in range(4)))
        got = await read_events(
            kafka_bootstrap, f"{topic_prefix}letters.events", account_id=account, count=total, timeout=90
        )
        assert [e.event_id for e in got] == [e.event_id for e in sent]
    finally:
        for r in relays:
            r.stop()
        await asyncio.gather(*tasks)
        for p in producers:
            await p.stop()
        await engine.dispose()
        await rt.engine.dispose()


async def test_relay_marks_rows_published(
    database_url: str, db_schema: str, kafka_bootstrap: str, topic_prefix: str, unique: str
) -> None:
    rt = sample.runtime(sample.settings(database_url, db_schema, kafka_bootstrap, topic_prefix))
    async with rt.running():
        async with rt.sessions.begin() as session:
            await sample.stage(session, letter_sent(f"acc-{unique}"), letter_sent(f"acc-{unique}"))
        records = await read_records(kafka_bootstrap, f"{topic_prefix}letters.events", count=2)
        assert {r.key for r in records} == {f"acc-{unique}".encode()}
        assert dict(records[0].headers)["event_type"] == b"LetterSent"
    async with rt.engine.connect() as conn:
        unpublished = await conn.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    assert unpublished == 0


async def test_a_commit_that_staged_rows_wakes_the_relay_instead_of_waiting_for_its_poll(
    database_url: str, db_schema: str, kafka_bootstrap: str, topic_prefix: str, unique: str
) -> None:
    cfg = sample.settings(database_url, db_schema, kafka_bootstrap, topic_prefix)
    rt = sample.runtime(cfg)
    await rt.prepare()
    producer = Producer(cfg, "relay")
    await producer.start()
    # Idle polls an hour apart: only the wake-up can publish within the test's deadline.
    relay = OutboxRelay(
        rt.sessions,
        producer,
        service="sample",
        topic_prefix=topic_prefix,
        clock=SystemClock(),
        idle_interval=3600,
    )
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0)  # the relay's first pass finds nothing and goes idle
        async with rt.sessions.begin() as session:
            rolled_back = letter_sent(f"acc-{unique}")
            await sample.stage(session, rolled_back)
            await session.rollback()
        event = letter_sent(f"acc-{unique}")
        async with rt.sessions.begin() as session:
            await sample.stage(session, event)
        got = await read_events(
            kafka_bootstrap, f"{topic_prefix}letters.events", account_id=f"acc-{unique}", count=1, timeout=20
        )
        assert [e.event_id for e in got] == [event.event_id]
    finally:
        relay.stop()
        await task
        await producer.stop()
        await rt.engine.dispose()
