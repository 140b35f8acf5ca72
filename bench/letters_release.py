"""Releasing held letters: N letters held while a service is overdue, then ServiceStatusChanged(active)
is published; measured from that publish until every LetterSent is on Kafka (consumer decision,
spool write with fsync per letter, sent + outbox in one transaction, relay). Compared with raw
aiokafka produce (acks=all, idempotent) of N messages of the same size on the same broker, same run.

    uv run python bench/letters_release.py [--letters 10000] [--spool DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "services" / "letters" / "tests"))
from _results import report
from _servers import kafka_and_postgres
from letters_testkit import pdf, recipient, status_changed

from autoletter.contracts import encode, headers_for, new_event
from autoletter.contracts.common import Service, ServiceStatus
from autoletter.contracts.letters import LetterSent
from autoletter.contracts.payments import StatusReason
from autoletter.letters.bootstrap import bootstrap as wire_letters
from autoletter.letters.handlers.requests import RecipientIn, prepare
from autoletter.letters.handlers.status import on_service_status_changed
from autoletter.letters.handlers.submission import submit_letter
from autoletter.letters.settings import LettersSettings
from autoletter.runtime.service import ServiceRuntime
from autoletter.runtime.testing import publish, wait_for

ACCOUNT = "acc-bench"


def sample_letter_sent() -> LetterSent:
    return new_event(
        LetterSent,
        account_id=ACCOUNT,
        producer="letters",
        occurred_at=datetime.now(UTC),
        letter_id=uuid.uuid4(),
        service=Service.STANDARD,
        sheets=1,
        destination_country="FR",
        sent_at=datetime.now(UTC),
    )


async def raw_produce(bootstrap: str, count: int) -> float:
    """Seconds to produce `count` LetterSent-sized messages, one key, acks=all, idempotent."""
    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])
    await admin.close()
    messages = [sample_letter_sent() for _ in range(count)]
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [
            await producer.send(topic, encode(m), key=ACCOUNT.encode(), headers=headers_for(m))
            for m in messages
        ]
        await asyncio.gather(*futures)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def seed_held_letters(rt, count: int) -> None:
    """`count` letters held for an overdue service, through the real decision path."""
    overdue = status_changed(ACCOUNT, ServiceStatus.OVERDUE, StatusReason.INVOICE_FAILED)
    async with rt.deps.units.begin() as uow:
        await on_service_status_changed(uow, rt.deps.letters, overdue)
    rules = rt.deps.letters.rules
    request = prepare(Service.STANDARD, RecipientIn.model_validate(recipient()), pdf(2), rules)
    for start in range(0, count, 500):
        async with rt.deps.units.begin() as uow:
            for i in range(start, min(start + 500, count)):
                await submit_letter(uow, rt.deps.letters, ACCOUNT, f"bench-{i}", request)
    while True:  # let the relay publish the LetterHeld events before the clock starts
        async with rt.engine.connect() as conn:
            if not await conn.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")):
                return
        await asyncio.sleep(0.1)


async def release(bootstrap: str, database_url: str, count: int, spool: Path) -> float:
    tag = uuid.uuid4().hex[:8]
    settings = LettersSettings(
        database_url=database_url,
        database_schema=f"bench_{tag}",
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_prefix=f"bench{tag}.",
        environment="test",
        spool_dir=spool,
        expiry_sweep_interval_s=3600,
    )
    rt = ServiceRuntime(wire_letters(settings))
    async with rt.running():
        warmup = status_changed("acc-warmup", ServiceStatus.ACTIVE, StatusReason.ACTIVATED)
        await publish(bootstrap, f"{settings.kafka_topic_prefix}payments.events", warmup)
        await wait_for(lambda: consumed(rt, warmup.event_id), 60, "the status consumer to join its group")
        seeded = time.perf_counter()
        await seed_held_letters(rt, count)
        print(f"  seeded {count} held letters in {time.perf_counter() - seeded:.1f} s")
        topic = f"{settings.kafka_topic_prefix}letters.events"
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
            if not tps:
                await consumer._client.force_metadata_update()
                tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
            consumer.assign(tps)
            await consumer.seek_to_end(*tps)
            for tp in tps:
                await consumer.position(tp)
            started = time.perf_counter()
            await publish(
                bootstrap,
                f"{settings.kafka_topic_prefix}payments.events",
                status_changed(ACCOUNT, ServiceStatus.ACTIVE, StatusReason.INVOICES_SETTLED),
            )
            sent = 0
            while sent < count:
                batch = await consumer.getmany(timeout_ms=500, max_records=2000)
                for records in batch.values():
                    sent += sum(
                        1 for r in records if dict(r.headers or ()).get("event_type") == b"LetterSent"
                    )
            elapsed = time.perf_counter() - started
        finally:
            await consumer.stop()
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{settings.database_schema}" CASCADE'))
    await engine.dispose()
    return elapsed


def raw_spool(root: Path, count: int, *, threads: int = 8, batch: int = 200) -> float:
    """The disk's limit: seconds to write and fsync the same files (a 2-page PDF and a JSON envelope
    per letter, each by write, fsync, rename) with nothing else, on as many threads as the dispatcher,
    one directory fsync per batch."""
    document = pdf(2)
    envelope = json.dumps({"letter_id": str(uuid.uuid4()), "recipient": recipient(), "pages": 2}).encode()
    day = root / "raw-spool"
    day.mkdir()

    def one(n: int) -> None:
        for name, data in ((f"{n}.pdf", document), (f"{n}.json", envelope)):
            tmp = day / f".{name}.tmp"
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, day / name)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for start in range(0, count, batch):
            list(pool.map(one, range(start, min(start + batch, count))))
            fd = os.open(day, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    return time.perf_counter() - started


async def consumed(rt, event_id: uuid.UUID) -> bool:
    async with rt.engine.connect() as conn:
        return bool(
            await conn.scalar(text("SELECT count(*) FROM inbox WHERE event_id = :e"), {"e": event_id})
        )


async def main(count: int, spool_root: str | None) -> None:
    with (
        kafka_and_postgres() as (bootstrap, database_url),
        tempfile.TemporaryDirectory(dir=spool_root) as spool,
    ):
        await raw_produce(bootstrap, 1000)  # warm up the broker
        raw = await raw_produce(bootstrap, count)
        disk = await asyncio.to_thread(raw_spool, Path(spool), count)
        released = await release(bootstrap, database_url, count, Path(spool))
        print(f"letters: {count}")
        print(f"raw aiokafka produce (acks=all, idempotent): {count / raw:,.0f} msg/s ({raw:.2f} s)")
        print(f"raw spool (write + fsync the same files alone): {count / disk:,.0f} letters/s ({disk:.2f} s)")
        print(f"release -> LetterSent on Kafka: {count / released:,.0f} letters/s ({released:.2f} s)")
        print(f"ratio release/raw produce: {raw / released:.3f}; release/raw spool: {disk / released:.3f}")
        report("letters release (held -> LetterSent)", count / released, count / raw, "letters/s", 0.5)
        report("letters release vs raw spool (disk)", count / released, count / disk, "letters/s", 0.5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--letters", type=int, default=10000)
    parser.add_argument("--spool", default=None, help="directory for the print spool (default: system temp)")
    args = parser.parse_args()
    asyncio.run(main(args.letters, args.spool))
