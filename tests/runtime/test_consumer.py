"""Inbox, redelivery, retries and dead letters against the real database, on Apache Kafka and on Tansu."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sample_service as sample
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from test_outbox import letter_sent

from autoletter.contracts import encode, headers_for
from autoletter.devstack.pytest_plugin import Broker
from autoletter.runtime import dlq
from autoletter.runtime.consumer import MessageProcessor
from autoletter.runtime.testing import publish, wait_for
from autoletter.runtime.waiting import RetryPolicy

# Tansu 0.6 holds every JoinGroup until half the consumer's session timeout has passed (about 5 s with
# aiokafka's default), so each test costs about 5 s more there. The Tansu leg keeps what touches the broker
# (inbox under duplicates and batches, dead-letter topics, replay, seeking back, membership during an
# outage); behaviour decided inside the process runs on Kafka only, so that the leg stays within 60 s.
IN_PROCESS = (
    "decided inside the process, not by the broker; off Tansu (about 5 s per consumer join) to keep its leg "
    "within 60 s"
)


@pytest.fixture
def cfg(database_url: str, db_schema: str, broker: Broker, topic_prefix: str) -> sample.SampleSettings:
    """Every test here runs on both brokers (the `broker` fixture), unless marked kafka_only."""
    return sample.settings(
        database_url,
        db_schema,
        broker.bootstrap,
        topic_prefix,
        kafka_idempotent_producer=broker.idempotent_producer,
    )


def topic(cfg: sample.SampleSettings) -> str:
    return f"{cfg.kafka_topic_prefix}letters.events"


async def count_effects(rt: Any, n: int) -> None:
    async def enough() -> bool:
        return len(await sample.effects(rt)) >= n

    await wait_for(enough, 30, f"{n} effects")


async def send_raw(
    cfg: sample.SampleSettings, value: bytes, key: str, headers: list[tuple[str, bytes]] | None = None
) -> None:
    """Produce bytes no service would: what an outside producer, or a bug, can put on a topic."""
    producer = AIOKafkaProducer(bootstrap_servers=cfg.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topic(cfg), value, key=key.encode(), headers=headers or [])
    finally:
        await producer.stop()


async def wait_dead_letters(
    cfg: sample.SampleSettings, rt: Any, n: int, what: str = "the dead letter"
) -> None:
    async def dead_lettered() -> bool:
        return len(await dlq.list_dead_letters(cfg, rt.processors[0].dlq_topic)) == n

    await wait_for(dead_lettered, 30, what)


async def test_the_same_event_delivered_twice_changes_state_once(
    cfg: sample.SampleSettings, unique: str
) -> None:
    rt = sample.runtime(cfg)
    async with rt.running():
        event, marker = letter_sent(f"acc-{unique}"), letter_sent(f"acc-{unique}")
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), event, event, marker)
        await count_effects(rt, 2)  # the marker comes after the duplicate on the same partition
        assert [row.event_id for row in await sample.effects(rt)] == [event.event_id, marker.event_id]


@pytest.mark.parametrize("bulk", [False, True], ids=["per-message", "bulk-handler"])
async def test_batches_deduplicate_too(cfg: sample.SampleSettings, unique: str, bulk: bool) -> None:
    events = [letter_sent(f"acc-{unique}", sheets=i + 1) for i in range(50)]
    rt = sample.runtime(cfg, batch_size=100, bulk=bulk)
    async with rt.running():
        await publish(
            cfg.kafka_bootstrap_servers, topic(cfg), *events, *events[:10], letter_sent(f"acc-{unique}")
        )
        await count_effects(rt, 51)
        ids = [row.event_id for row in await sample.effects(rt)]
    assert len(ids) == len(set(ids)) == 51


@pytest.mark.kafka_only(
    "a second consumer rejoining the same group waits about 18 s on Tansu 0.6 (JoinGroup and SyncGroup "
    "each held up to half the session timeout): a third of the Tansu leg's 60 s"
)
async def test_consumer_dying_between_db_commit_and_offset_commit_changes_state_once(
    cfg: sample.SampleSettings, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = letter_sent(f"acc-{unique}")

    async def offset_never_committed(*_: Any, **__: Any) -> None:
        return None  # as if the process died right after the database commit

    with monkeypatch.context() as patch:
        patch.setattr(MessageProcessor, "_commit", offset_never_committed)
        first = sample.runtime(cfg)
        async with first.running():
            await publish(cfg.kafka_bootstrap_servers, topic(cfg), event)
            await count_effects(first, 1)

    second = sample.runtime(cfg)  # same group: the message is delivered again
    async with second.running():
        marker = letter_sent(f"acc-{unique}")
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), marker)
        await count_effects(second, 2)
        assert [row.event_id for row in await sample.effects(second)] == [event.event_id, marker.event_id]


@pytest.mark.kafka_only(IN_PROCESS)
async def test_a_failing_message_is_retried_and_processed_not_skipped(
    cfg: sample.SampleSettings, unique: str
) -> None:
    failures = {"left": 2}

    async def flaky(uow: Any, event: Any) -> None:
        if event.sheets == 7 and failures["left"] > 0:
            failures["left"] -= 1
            raise ConnectionError("the dispatch backend blinked")
        await sample.record_effect(uow, event)

    rt = sample.runtime(cfg, handler=flaky)
    async with rt.running():
        flaky_one, after = letter_sent(f"acc-{unique}", sheets=7), letter_sent(f"acc-{unique}")
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), flaky_one, after)
        await count_effects(rt, 2)
        assert [r.event_id for r in await sample.effects(rt)] == [flaky_one.event_id, after.event_id]
    assert failures["left"] == 0


async def test_undecodable_message_goes_to_the_dead_letter_topic_and_the_partition_moves_on(
    cfg: sample.SampleSettings, unique: str
) -> None:
    account = f"acc-{unique}"
    rt = sample.runtime(cfg)
    async with rt.running():
        await send_raw(cfg, b"{not json", account)
        after = letter_sent(account)
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), after)
        await count_effects(rt, 1)
        dlq_topic = rt.processors[0].dlq_topic
        assert dlq_topic == f"{cfg.kafka_topic_prefix}letters.events.dlq.sample.effects"
        await wait_dead_letters(cfg, rt, 1)
        [letter] = await dlq.list_dead_letters(cfg, dlq_topic)
        assert letter.value == b"{not json"
        assert letter.key == account.encode()
        assert letter.reason == "undecodable"
        assert "not JSON" in (letter.error or "")
        assert letter.original_topic == topic(cfg)


async def test_replaying_a_dead_letter_after_a_fix_processes_it_once(
    cfg: sample.SampleSettings, unique: str
) -> None:
    broken = {"yes": True}

    async def handler(uow: Any, event: Any) -> None:
        if broken["yes"] and event.sheets == 13:
            raise ValueError("a bug in the handler")
        await sample.record_effect(uow, event)

    rt = sample.runtime(cfg, handler=handler)
    async with rt.running():
        poison, after = letter_sent(f"acc-{unique}", sheets=13), letter_sent(f"acc-{unique}")
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), poison, after)
        await count_effects(rt, 1)
        dlq_topic = rt.processors[0].dlq_topic
        [letter] = await dlq.list_dead_letters(cfg, dlq_topic)
        assert letter.reason == "retries_exhausted" and "a bug in the handler" in (letter.error or "")

        broken["yes"] = False  # the fix is deployed
        assert await dlq.replay(cfg, dlq_topic) == 1
        assert await dlq.replay(cfg, dlq_topic) == 1  # replaying twice is harmless
        marker = letter_sent(f"acc-{unique}")
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), marker)
        await count_effects(rt, 3)
        ids = [r.event_id for r in await sample.effects(rt)]
    assert ids.count(poison.event_id) == 1
    assert set(ids) == {after.event_id, poison.event_id, marker.event_id}


@pytest.mark.kafka_only(IN_PROCESS)
async def test_unknown_event_types_are_skipped(cfg: sample.SampleSettings, unique: str) -> None:
    rt = sample.runtime(cfg)
    async with rt.running():
        other = letter_sent(f"acc-{unique}").model_copy(update={"event_type": "LetterTeleported"})
        await send_raw(cfg, encode(other), other.account_id, headers_for(other))
        after = letter_sent(f"acc-{unique}")
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), after)
        await count_effects(rt, 1)
        assert [r.event_id for r in await sample.effects(rt)] == [after.event_id]
        assert await dlq.list_dead_letters(cfg, rt.processors[0].dlq_topic) == []


@pytest.mark.kafka_only(IN_PROCESS)
async def test_shutdown_lets_the_in_flight_handler_finish_and_commit(
    cfg: sample.SampleSettings, unique: str
) -> None:
    started = asyncio.Event()

    async def slow(uow: Any, event: Any) -> None:
        started.set()
        await asyncio.sleep(1.0)  # the work in flight when the service is told to stop
        await sample.record_effect(uow, event)

    event = letter_sent(f"acc-{unique}")
    rt = sample.runtime(cfg, handler=slow)
    async with rt.running():
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), event)
        await asyncio.wait_for(started.wait(), 30)
    # Stopped: the handler was not cancelled half-way, its effect committed.
    assert [r.event_id for r in await sample.effects(rt)] == [event.event_id]


@pytest.mark.kafka_only("Tansu does not answer the admin's OffsetFetch this test reads the offsets with")
async def test_a_graceful_stop_leaves_every_handled_offset_committed(
    cfg: sample.SampleSettings, unique: str
) -> None:
    events = [letter_sent(f"acc-{unique}") for _ in range(20)]
    rt = sample.runtime(cfg, batch_size=50, bulk=True)
    async with rt.running():
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), *events)
        await count_effects(rt, 20)
    # Offsets are committed in the background: stopping at once must still leave none behind,
    # or a restart would redeliver what was handled.
    admin = AIOKafkaAdminClient(bootstrap_servers=cfg.kafka_bootstrap_servers)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(f"{cfg.kafka_topic_prefix}sample.effects")
    finally:
        await admin.close()
    assert sum(o.offset for o in committed.values() if o.offset > 0) == 20


@pytest.mark.kafka_only(IN_PROCESS)
async def test_a_bad_json_body_labelled_json_goes_to_the_dead_letter_topic_alone(
    cfg: sample.SampleSettings, unique: str
) -> None:
    account = f"acc-{unique}"
    rt = sample.runtime(cfg, batch_size=50)
    async with rt.running():
        await send_raw(cfg, b"{oops", account, [("content-type", b"application/json")])
        after = letter_sent(account)
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), after)
        await count_effects(rt, 1)
        await wait_dead_letters(cfg, rt, 1)


async def test_a_dead_letter_topic_that_cannot_be_written_rewinds_instead_of_skipping(
    cfg: sample.SampleSettings, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = {"left": 2}
    original = MessageProcessor._dead_letter

    async def flaky_dead_letter(self: MessageProcessor, *args: Any) -> None:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise ConnectionError("the broker is unreachable")
        await original(self, *args)

    monkeypatch.setattr(MessageProcessor, "_dead_letter", flaky_dead_letter)
    account = f"acc-{unique}"
    rt = sample.runtime(cfg, retry=RetryPolicy(attempts=2, first_delay=0.01, max_delay=0.2))
    async with rt.running():
        await send_raw(cfg, b"not json", account)
        after = letter_sent(account)
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), after)
        await count_effects(rt, 1)
        await wait_dead_letters(cfg, rt, 1, "the dead letter, once the topic is writable again")
    assert failures["left"] == 0


async def test_a_database_outage_is_waited_out_not_dead_lettered(
    cfg: sample.SampleSettings, unique: str
) -> None:
    from sqlalchemy.exc import OperationalError

    outage = {"left": 8}  # more than the retry budget for handler errors

    async def during_outage(uow: Any, event: Any) -> None:
        if outage["left"] > 0:
            outage["left"] -= 1
            raise OperationalError("SELECT 1", {}, ConnectionError("connection refused"))
        await sample.record_effect(uow, event)

    rt = sample.runtime(
        cfg, handler=during_outage, retry=RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.05)
    )
    async with rt.running():
        event = letter_sent(f"acc-{unique}")
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), event)
        await count_effects(rt, 1)
        assert await dlq.list_dead_letters(cfg, rt.processors[0].dlq_topic) == []
