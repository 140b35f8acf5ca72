"""The processor of stored Stripe events: in order per customer, retried with backoff, observable."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import PaymentsService
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from autoletter.payments.adapters import event_store
from autoletter.payments.bootstrap import MIGRATIONS
from autoletter.payments.entrypoints.processor import update_gauges
from autoletter.runtime import db, migrations
from autoletter.runtime.clock import FrozenClock
from autoletter.runtime.testing import wait_for

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def sessions(database_url: str, db_schema: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await migrations.upgrade(database_url, db_schema, MIGRATIONS)
    engine = db.create_engine(database_url, db_schema)
    yield db.session_factory(engine)
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{db_schema}" CASCADE'))
    await engine.dispose()


async def put(
    sessions: async_sessionmaker[AsyncSession], event_id: str, customer: str, created: datetime
) -> None:
    async with sessions.begin() as session:
        await event_store.store(
            session,
            event_id=event_id,
            event_type="invoice.paid",
            created=created,
            customer_key=customer,
            payload={"id": event_id},
            now=T0,
        )


async def test_one_customers_events_are_claimed_oldest_first_and_one_at_a_time(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # Delivered newest first: Stripe does not guarantee the order of deliveries.
    await put(sessions, "evt_a_newer", "cus_a", T0 + timedelta(seconds=10))
    await put(sessions, "evt_a_older", "cus_a", T0)
    await put(sessions, "evt_b", "cus_b", T0 + timedelta(seconds=5))
    now = T0 + timedelta(minutes=1)
    async with sessions.begin() as first:
        head = await event_store.claim(first, now)
        assert head is not None and head.event_id == "evt_a_older"
        async with sessions.begin() as second:
            other = await event_store.claim(second, now)
            # cus_a's next event waits for its head; another customer's event is free.
            assert other is not None and other.event_id == "evt_b"
            async with sessions.begin() as third:
                assert await event_store.claim(third, now) is None
            await event_store.finish(second, other.event_id, "applied", now)
        await event_store.finish(first, head.event_id, "applied", now)
    async with sessions.begin() as session:
        after = await event_store.claim(session, now)
        assert after is not None and after.event_id == "evt_a_newer"


async def test_an_event_waiting_for_its_retry_holds_back_the_customers_later_events(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await put(sessions, "evt_first", "cus_a", T0)
    await put(sessions, "evt_second", "cus_a", T0 + timedelta(seconds=1))
    async with sessions.begin() as session:
        gave_up = await event_store.postpone(
            session,
            "evt_first",
            attempts=1,
            error="APIConnectionError",
            now=T0,
            max_attempts=5,
            max_backoff_s=300,
        )
    assert not gave_up
    async with sessions.begin() as session:
        assert await event_store.claim(session, T0) is None
    async with sessions.begin() as session:
        due = await event_store.claim(session, T0 + timedelta(seconds=2))
        assert due is not None and due.event_id == "evt_first" and due.attempts == 1
    async with sessions.begin() as session:
        assert await event_store.postpone(
            session, "evt_first", attempts=5, error="x", now=T0, max_attempts=5, max_backoff_s=300
        )
    async with sessions.begin() as session:  # given up: the customer's queue moves on
        nxt = await event_store.claim(session, T0)
        assert nxt is not None and nxt.event_id == "evt_second"


async def test_a_failed_stripe_call_is_retried_after_a_backoff(
    service: PaymentsService, account: str
) -> None:
    customer = await service.complete_profile(account)
    event = service.stripe.event("checkout.session.completed", service.stripe.checkout_session(customer))
    service.gateway.failures["checkout_payment_method"] = 1
    await service.deliver(event)

    seen: list[object] = []

    async def attempted() -> bool:
        rows = await service.sql(
            "SELECT attempts, state, last_error, next_attempt_at FROM stripe_events WHERE event_id = :e",
            e=event["id"],
        )
        seen[:] = rows
        return bool(rows) and rows[0].attempts == 1 and rows[0].state == "pending"

    try:
        await wait_for(attempted, 60, "the first attempt to fail")
    except AssertionError as exc:  # say what the row showed instead (CI once timed out here at 20 s)
        calls = service.gateway.made("checkout_payment_method")
        raise AssertionError(f"{exc}; the event's row: {seen}; checkout lookups: {calls}") from exc
    assert await service.staged(account, "PaymentMethodAttached") == []  # the failed attempt left nothing
    clock = service.runtime.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(seconds=2))
    service.runtime.deps.processor.wake()
    assert await service.processed(event["id"]) == "default_set"
    assert len(await service.staged(account, "PaymentMethodAttached")) == 1


async def test_an_incomplete_profile_blocks_active_services_naming_what_is_missing(
    service: PaymentsService, account: str
) -> None:
    await service.ready_account(account, "standard")
    await service.profile_incomplete(account, "address")

    async def blocked() -> bool:
        return await service.status(account, "standard") == "blocked"

    await wait_for(blocked, 30, "the service to be blocked")
    change = (await service.staged(account, "ServiceStatusChanged"))[-1]
    assert (change.reason, change.missing) == ("profile_incomplete", ["address"])
    refused = await service.client.post(
        f"/v1/accounts/{account}/payment-method/checkout", headers=service.auth(account)
    )
    assert refused.json()["details"]["missing"] == ["address"]


async def test_metrics_show_services_by_status_and_webhooks_by_outcome(service: PaymentsService) -> None:
    account = f"acc-{uuid.uuid4().hex[:10]}"
    await service.ready_account(account, "registered")
    await update_gauges(service.runtime.sessions)
    text_ = (await service.client.get("/metrics")).text
    assert 'payments_services{service="registered",status="active"}' in text_
    assert 'payments_stripe_webhooks_total{outcome="accepted",type="checkout.session.completed"}' in text_
    assert (await service.client.get("/readyz")).status_code == 200
