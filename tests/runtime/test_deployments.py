"""Deployments never share: Kafka groups carry the topic prefix, advisory locks carry the schema.
And the counters of what a consumer skips or tolerates mean what they say."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
import sample_service as sample
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from test_consumer import count_effects, send_raw, topic
from test_outbox import letter_sent

from autoletter.contracts import decode, encode, headers_for, new_event
from autoletter.contracts.common import unknown_values
from autoletter.contracts.letters import LetterHeld
from autoletter.contracts.payments import ServiceStatusChanged
from autoletter.runtime import db, dlq, metrics
from autoletter.runtime.consumer import MessageProcessor
from autoletter.runtime.testing import publish, wait_for


@pytest.fixture
def cfg(database_url: str, db_schema: str, kafka_bootstrap: str, topic_prefix: str) -> sample.SampleSettings:
    return sample.settings(database_url, db_schema, kafka_bootstrap, topic_prefix)


async def test_a_prefixed_deployment_rereading_history_under_its_new_group_applies_nothing_twice(
    cfg: sample.SampleSettings, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = f"acc-{unique}"
    history = [letter_sent(account, sheets=i + 1) for i in range(5)]
    # Before this change: the Kafka group id was the logical name, whatever the prefix.
    with monkeypatch.context() as patch:
        patch.setattr(MessageProcessor, "kafka_group", property(lambda self: self.sub.group))
        old = sample.runtime(cfg)
        async with old.running():
            await publish(cfg.kafka_bootstrap_servers, topic(cfg), *history)
            await count_effects(old, 5)

    # After it: a new group id with no committed offsets, so the deployment reads the topic again
    # from the start; the inbox keeps the logical name, so every old event is recognised.
    new = sample.runtime(cfg)
    assert new.processors[0].kafka_group == f"{cfg.kafka_topic_prefix}sample.effects"
    async with new.running():
        marker = letter_sent(account)
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), marker)
        await count_effects(new, 6)
        ids = [r.event_id for r in await sample.effects(new)]
        assert ids == [*(e.event_id for e in history), marker.event_id]
        assert new.processors[0].dlq_topic == f"{cfg.kafka_topic_prefix}letters.events.dlq.sample.effects"
        admin = AIOKafkaAdminClient(bootstrap_servers=cfg.kafka_bootstrap_servers)
        await admin.start()
        try:
            groups = {g[0] for g in await admin.list_consumer_groups()}
        finally:
            await admin.close()
        assert f"{cfg.kafka_topic_prefix}sample.effects" in groups


async def test_advisory_locks_of_two_deployments_on_one_database_never_block_each_other(
    database_url: str, unique: str
) -> None:
    one, other = db.create_engine(database_url, f"a{unique}"), db.create_engine(database_url, f"b{unique}")
    try:
        for engine, schema in ((one, f"a{unique}"), (other, f"b{unique}")):
            await db.ensure_schema(engine, schema)
        async with AsyncSession(one) as first, first.begin():
            await db.lock_account(first, "letters", "acc-1")
            held = await first.scalar(select(func.pg_try_advisory_lock(db.lock_key("close", "2026-11"))))
            assert held
            async with AsyncSession(other) as second, second.begin():
                await second.execute(text("SET LOCAL lock_timeout = '200ms'"))
                await db.lock_account(second, "letters", "acc-1")  # another schema: not blocked
                assert await second.scalar(
                    select(func.pg_try_advisory_lock(db.lock_key("close", "2026-11")))
                )  # the other deployment may close the same month
                await second.scalar(select(func.pg_advisory_unlock(db.lock_key("close", "2026-11"))))
            async with AsyncSession(one) as same, same.begin():
                assert not await same.scalar(
                    select(func.pg_try_advisory_xact_lock(db.lock_key("close", "2026-11")))
                )  # the same deployment is still excluded
            await first.scalar(select(func.pg_advisory_unlock(db.lock_key("close", "2026-11"))))
    finally:
        await one.dispose()
        await other.dispose()


def counter(metric: Any, *labels: str) -> float:
    value: float = metric.labels(*labels)._value.get()
    return value


async def test_unknown_and_unhandled_types_are_counted_apart(cfg: sample.SampleSettings, unique: str) -> None:
    account = f"acc-{unique}"
    unknown_before = counter(metrics.UNKNOWN_EVENTS, "sample", "sample.effects", "LetterTeleported")
    unhandled_before = counter(metrics.UNHANDLED_EVENTS, "sample", "sample.effects", "LetterHeld")
    rt = sample.runtime(cfg)
    async with rt.running():
        newer = letter_sent(account).model_copy(update={"event_type": "LetterTeleported"})
        await send_raw(cfg, encode(newer), account, headers_for(newer))
        held = new_event(
            LetterHeld,
            account_id=account,
            producer="letters",
            letter_id=uuid4(),
            service="standard",
            occurred_at=datetime.now(UTC),
            reason="a_reason_from_the_future",  # an open set: tolerated, never a dead letter
        )
        await publish(cfg.kafka_bootstrap_servers, topic(cfg), held, letter_sent(account))
        await count_effects(rt, 1)
        assert await dlq.list_dead_letters(cfg, rt.processors[0].dlq_topic) == []
    await wait_for(
        lambda: (
            counter(metrics.UNHANDLED_EVENTS, "sample", "sample.effects", "LetterHeld")
            == unhandled_before + 1
        )
    )
    assert (
        counter(metrics.UNKNOWN_EVENTS, "sample", "sample.effects", "LetterTeleported") == unknown_before + 1
    )


def test_reason_and_status_values_are_open_sets() -> None:
    event = new_event(
        ServiceStatusChanged,
        account_id="acc",
        producer="payments",
        occurred_at=datetime.now(UTC),
        service="standard",
        status="active",
        previous_status="suspended_for_review",
        reason="payment_disputed_twice",
    )
    decoded = decode(encode(event))
    assert isinstance(decoded, ServiceStatusChanged)
    assert decoded.status == "active" and type(decoded.status).__name__ == "ServiceStatus"
    assert unknown_values(decoded) == [
        ("previous_status", "suspended_for_review"),
        ("reason", "payment_disputed_twice"),
    ]
