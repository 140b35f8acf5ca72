"""Invoicing under test: settings on the shared servers, a prepared runtime, service-layer helpers."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from autoletter.contracts import Envelope
from autoletter.contracts.letters import LetterSent
from autoletter.contracts.payments import StripeCustomerCreated
from autoletter.invoicing.bootstrap import bootstrap
from autoletter.invoicing.settings import InvoicingSettings
from autoletter.runtime.clock import FrozenClock
from autoletter.runtime.service import ServiceRuntime

# importlib mode does not put test directories on sys.path; the helper module sits beside us.
sys.path.insert(0, str(Path(__file__).parent))
from invoicing_testkit import FakeStripe

SECRET = "invoicing-tests-secret-0123456789abcdef"
#: Early December 2026: November is closable.
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(
    database_url: str, db_schema: str, kafka_bootstrap: str, topic_prefix: str, stripe_api_base: str
) -> InvoicingSettings:
    return InvoicingSettings(
        database_url=database_url,
        database_schema=db_schema,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_prefix=topic_prefix,
        environment="test",
        jwt_secret=SECRET,
        stripe_api_key="sk_test_123",
        stripe_api_base=stripe_api_base,
        stripe_requests_per_second=500,
        close_schedule_enabled=False,
        close_concurrency=3,
        graceful_timeout_s=5,
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def fake_stripe() -> FakeStripe:
    return FakeStripe()


@dataclass
class Prepared:
    """A runtime whose schema, topics and prices are in place, driven at the service layer."""

    runtime: ServiceRuntime

    async def deliver(self, *events: Envelope) -> None:
        """Hand events to the handlers in one transaction, as the consumer does for a batch."""
        subs = self.runtime.subscriptions
        handlers = {t: h for s in subs for t, h in s.handlers.items()}
        batch = {t: s.batch_handler for s in subs if s.batch_handler for t in s.batch_types}
        async with self.runtime.service.units.begin() as uow:
            for event in events:
                if type(event) in batch:
                    await batch[type(event)](uow, [event])  # type: ignore[misc]
                else:
                    await handlers[type(event)](uow, event)

    async def scalar(self, sql: str, **params: object) -> object:
        async with self.runtime.sessions.begin() as session:
            return (await session.execute(text(sql), params)).scalar_one()

    async def rows(self, sql: str, **params: object) -> list[object]:
        async with self.runtime.sessions.begin() as session:
            return list((await session.execute(text(sql), params)).all())


async def _prepared(
    settings: InvoicingSettings, clock: FrozenClock, billing: object
) -> AsyncIterator[Prepared]:
    runtime = ServiceRuntime(bootstrap(settings, clock, billing=billing))  # type: ignore[arg-type]
    await runtime.prepare()
    try:
        yield Prepared(runtime)
    finally:
        async with runtime.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{settings.database_schema}" CASCADE'))
        await runtime.engine.dispose()


@pytest.fixture
async def prepared(
    settings: InvoicingSettings, clock: FrozenClock, fake_stripe: FakeStripe
) -> AsyncIterator[Prepared]:
    async for p in _prepared(settings, clock, fake_stripe):
        yield p


@pytest.fixture
async def prepared_on_stripe_mock(settings: InvoicingSettings, clock: FrozenClock) -> AsyncIterator[Prepared]:
    async for p in _prepared(settings, clock, None):
        yield p


__all__ = ["NOW", "SECRET", "LetterSent", "Prepared", "StripeCustomerCreated"]
