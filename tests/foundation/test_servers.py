"""Each real server the test bed started answers the way the services will use it."""

from __future__ import annotations

import asyncio

import pytest
import stripe
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text

from autoletter import stripe as stripe_api
from autoletter.runtime.db import create_engine, ensure_schema


async def _produce_consume_with_manual_commits(bootstrap: str, topic: str, idempotent: bool) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=idempotent)
    await producer.start()
    try:
        for i in range(10):
            await producer.send_and_wait(topic, f"m{i}".encode(), key=b"acc_1")
    finally:
        await producer.stop()

    async def consume(count: int) -> list[bytes]:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=f"{topic}.smoke",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        got: list[bytes] = []
        try:
            async with asyncio.timeout(60):
                while len(got) < count:
                    for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                        for record in records:
                            got.append(record.value)
                            await consumer.commit({TopicPartition(tp.topic, tp.partition): record.offset + 1})
                            if len(got) == count:
                                return got
        finally:
            await consumer.stop()
        return got

    assert await consume(4) == [f"m{i}".encode() for i in range(4)]
    # The group resumes after the last committed offset: nothing lost, nothing twice.
    assert await consume(6) == [f"m{i}".encode() for i in range(4, 10)]


async def test_apache_kafka_consumer_group_with_manual_commits(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    await _produce_consume_with_manual_commits(kafka_bootstrap, f"{topic_prefix}smoke", idempotent=True)


async def test_tansu_consumer_group_with_manual_commits(tansu_bootstrap: str, topic_prefix: str) -> None:
    # Tansu serves groups and commits but not the idempotent producer (PITFALLS).
    await _produce_consume_with_manual_commits(tansu_bootstrap, f"{topic_prefix}smoke", idempotent=False)


async def test_postgres_schema_and_table_through_sqlalchemy(database_url: str, db_schema: str) -> None:
    engine = create_engine(database_url, db_schema)
    try:
        await ensure_schema(engine, db_schema)
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE smoke (id int PRIMARY KEY, note text NOT NULL)"))
            await conn.execute(text("INSERT INTO smoke VALUES (1, 'hello')"))
        async with engine.connect() as conn:
            row = (await conn.execute(text(f"SELECT note FROM {db_schema}.smoke WHERE id = 1"))).one()
        assert row.note == "hello"
    finally:
        await engine.dispose()


@pytest.mark.stripe
async def test_stripe_customer_created_against_stripe_mock(stripe_api_base: str) -> None:
    client = stripe_api.client("sk_test_123", api_base=stripe_api_base)
    customer = await client.v1.customers.create_async(
        params={"name": "ACME", "email": "billing@acme.example", "metadata": {"account_id": "acc_1"}},
        options={"idempotency_key": "customer:acc_1"},
    )
    assert customer.id.startswith("cus_")
    assert customer.object == "customer"
    with pytest.raises(stripe.InvalidRequestError):
        await client.v1.customers.create_async(params={"not_a_parameter": "x"})  # type: ignore[typeddict-unknown-key]
