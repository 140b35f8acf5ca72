"""Stripe webhooks into payments, against real Kafka and PostgreSQL (and stripe-mock for setup calls).

1. Intake: signed webhooks accepted per second (signature check on the raw body, one INSERT ... ON
   CONFLICT per event, 200) with `--concurrency` deliveries in flight, through the FastAPI app in
   process (httpx ASGI transport: no sockets, so the figure is the service's, not the network's).
   Baseline, same run: the bare INSERT of the same rows with the same concurrency.
   The processor runs meanwhile (it is part of the load); the drain time of the backlog is reported too.
2. Latency: from posting a final `invoice.payment_failed` to `ServiceStatusChanged(overdue)` readable
   on Kafka (webhook stored → processor: invoice row + status + outbox in one transaction → relay →
   broker → consumer), one account at a time, p50 and p99. Baseline, same run: produce → consume of one
   message of the same size on the same broker (acks=all).

    uv run python bench/payments_webhooks.py [--events 5000] [--concurrency 32] [--samples 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parents[1] / "services" / "payments" / "tests"))
sys.path.insert(0, str(Path(__file__).parent))
from _results import report
from payments_testkit import StripeShapes, body, sign

from autoletter.contracts import decode, new_event
from autoletter.contracts.common import PostalAddress, Service
from autoletter.contracts.profile import ProfileCompleted
from autoletter.devstack import servers
from autoletter.payments.adapters import event_store
from autoletter.payments.bootstrap import bootstrap as wire_payments
from autoletter.payments.handlers import profile, services
from autoletter.payments.settings import PaymentsSettings
from autoletter.runtime.service import ServiceRuntime

SECRET = "whsec_bench_0123456789"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def post(client: httpx.AsyncClient, event: dict[str, Any]) -> None:
    payload = body(event)
    response = await client.post(
        "/v1/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": sign(payload, [SECRET]), "Content-Type": "application/json"},
    )
    if response.status_code != 200:
        raise RuntimeError(f"webhook refused: {response.status_code} {response.text}")


async def in_parallel(jobs: list[Any], concurrency: int, run: Any) -> float:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def worker() -> None:
        while not queue.empty():
            await run(queue.get_nowait())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def intake(
    rt: Any, client: httpx.AsyncClient, shapes: StripeShapes, events: int, concurrency: int
) -> None:
    # Invoices of customers we do not know: stored, then processed (and ignored) in the background.
    batch = [
        shapes.event("invoice.paid", shapes.invoice(f"cus_bench{i}", account_id="acc-x", service="standard"))
        for i in range(events)
    ]
    await post(client, batch.pop())  # warm-up
    elapsed = await in_parallel(batch, concurrency, lambda e: post(client, e))
    accepted = len(batch) / elapsed
    drained = time.perf_counter()
    while True:
        async with rt.sessions() as session:
            left = await session.scalar(text("SELECT count(*) FROM stripe_events WHERE state = 'pending'"))
        if not left:
            break
        await asyncio.sleep(0.05)
    drain = time.perf_counter() - drained

    base = [
        shapes.event("invoice.paid", shapes.invoice(f"cus_base{i}", account_id="a", service="standard"))
        for i in range(len(batch))
    ]

    async def insert(event: dict[str, Any]) -> None:
        async with rt.sessions.begin() as session:
            await event_store.store(
                session,
                event_id=event["id"] + "b",
                event_type=event["type"],
                created=datetime.now(UTC),
                customer_key="-",
                payload=event,
                now=datetime.now(UTC),
            )

    base_elapsed = await in_parallel(base, concurrency, insert)
    print(
        f"intake: {accepted:,.0f} signed webhooks accepted/s ({len(batch)} events, concurrency {concurrency})"
    )
    print(
        f"  baseline, bare INSERT of the same rows: {len(base) / base_elapsed:,.0f}/s "
        f"-> webhook route at {accepted / (len(base) / base_elapsed):.0%} of it"
    )
    print(f"  processor drained the remaining backlog {drain:.1f} s after the last acceptance")
    report("webhook intake", accepted, len(base) / base_elapsed, "webhooks/s", 1.0)


async def ready_accounts(
    rt: Any, client: httpx.AsyncClient, shapes: StripeShapes, count: int
) -> dict[str, str]:
    """Accounts with a Stripe customer (stripe-mock), a default method (checkout webhook), standard active."""
    customers: dict[str, str] = {}
    for i in range(count):
        account = f"acc-bench-{uuid.uuid4().hex[:8]}-{i}"
        completed = new_event(
            ProfileCompleted,
            account_id=account,
            producer="profile",
            occurred_at=datetime.now(UTC),
            name="Bench",
            email="bench@example.fr",
            address=PostalAddress(line1="1 rue", postal_code="75001", city="Paris", country="FR"),
        )
        async with rt.deps.units.begin() as uow:
            await profile.on_profile_complete(uow, rt.deps.ctx, completed)
        async with rt.sessions() as session:
            customers[account] = await session.scalar(
                text("SELECT stripe_customer_id FROM accounts WHERE account_id = :a"), {"a": account}
            )
        await post(
            client, shapes.event("checkout.session.completed", shapes.checkout_session(customers[account]))
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        async with rt.sessions() as session:
            with_default = await session.scalar(
                text("SELECT count(*) FROM accounts WHERE default_payment_method_id IS NOT NULL")
            )
        if with_default >= count:
            break
        await asyncio.sleep(0.1)
    for account in customers:
        async with rt.deps.units.begin() as uow:
            await services.activate(uow, account, Service.STANDARD)
    return customers


async def end_positions(consumer: AIOKafkaConsumer, topic: str) -> None:
    await consumer._client.force_metadata_update()
    tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)


async def latency(
    rt: Any, client: httpx.AsyncClient, shapes: StripeShapes, bootstrap: str, samples: int
) -> None:
    customers = await ready_accounts(rt, client, shapes, samples)
    topic = rt.topic_name(rt.publishes[0])
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    arrived: dict[str, asyncio.Future[float]] = {
        a: asyncio.get_running_loop().create_future() for a in customers
    }

    async def watch() -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=100)
            now = time.perf_counter()
            for records in batch.values():
                for r in records:
                    if dict(r.headers or ()).get("event_type") != b"ServiceStatusChanged":
                        continue
                    event = decode(r.value)
                    future = arrived.get(event.account_id)
                    if event.status == "overdue" and future is not None and not future.done():
                        future.set_result(now)

    try:
        await end_positions(consumer, topic)
        watcher = asyncio.create_task(watch())
        results = []
        for account, customer in customers.items():
            failed = shapes.event(
                "invoice.payment_failed",
                shapes.invoice(
                    customer,
                    account_id=account,
                    service="standard",
                    attempt_count=4,
                    next_payment_attempt=None,
                ),
            )
            started = time.perf_counter()
            await post(client, failed)
            results.append((await asyncio.wait_for(arrived[account], 30)) - started)
        watcher.cancel()
    finally:
        await consumer.stop()
    ms = [r * 1000 for r in results]
    base = await kafka_round_trips(bootstrap, samples)
    print(
        f"latency webhook -> ServiceStatusChanged(overdue) on Kafka ({len(ms)} samples): "
        f"p50 {percentile(ms, 50):.0f} ms, p99 {percentile(ms, 99):.0f} ms, mean {statistics.mean(ms):.0f} ms"
    )
    print(
        f"  baseline, produce -> consume of one message (acks=all): p50 {percentile(base, 50):.0f} ms, "
        f"p99 {percentile(base, 99):.0f} ms"
    )
    p99 = percentile(ms, 99)
    report("webhook -> ServiceStatusChanged p99 (100 ms budget)", p99, 100.0, "ms", 1.0, ratio=100.0 / p99)


async def kafka_round_trips(bootstrap: str, samples: int) -> list[float]:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    topic = f"bench-rtt-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    try:
        await end_positions(consumer, topic)
        payload = b"x" * 700
        out = []
        for i in range(samples):
            started = time.perf_counter()
            await producer.send_and_wait(topic, payload, key=f"k{i}".encode())
            got = False
            while not got:
                batch = await consumer.getmany(timeout_ms=100)
                got = any(batch.values())
            out.append((time.perf_counter() - started) * 1000)
        return out
    finally:
        await producer.stop()
        await consumer.stop()


async def main(args: argparse.Namespace, bootstrap: str, database_url: str, stripe_base: str) -> None:
    tag = uuid.uuid4().hex[:8]
    settings = PaymentsSettings(
        database_url=database_url,
        database_schema=f"bench_pay_{tag}",
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_prefix=f"benchpay{tag}.",
        environment="test",
        stripe_api_base=stripe_base,
        stripe_webhook_secret=SECRET,
        webhook_workers=args.workers,
    )
    rt = ServiceRuntime(wire_payments(settings))
    app = rt.create_app()
    shapes = StripeShapes(stripe_base)
    async with rt.running():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://payments.bench") as client:
            await latency(rt, client, shapes, bootstrap, args.samples)
            await intake(rt, client, shapes, args.events, args.concurrency)
    async with rt.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{settings.database_schema}" CASCADE'))
    await rt.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="processor workers")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="autoletter-bench-") as work, ExitStack() as stack:
        kafka = stack.enter_context(servers.kafka(Path(work)))
        pg = stack.enter_context(servers.postgres(Path(work)))
        stripe_mock = stack.enter_context(servers.stripe_mock(Path(work)))
        asyncio.run(main(arguments, kafka, pg, stripe_mock))
