"""One running profile service per test module (real PostgreSQL and Kafka), and token helpers.

Starting a runtime provisions its topics, which is the slow part; tests in a module share one
service and isolate themselves with their own account ids.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text

from autoletter.contracts import Envelope
from autoletter.profile.bootstrap import bootstrap
from autoletter.profile.settings import ProfileSettings
from autoletter.runtime.auth import mint_token
from autoletter.runtime.clock import FrozenClock
from autoletter.runtime.service import ServiceRuntime
from autoletter.runtime.testing import read_events

SECRET = "profile-tests-secret-0123456789abcdef"
NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


@dataclass
class ProfileService:
    runtime: ServiceRuntime
    client: httpx.AsyncClient
    clock: FrozenClock
    bootstrap: str

    @property
    def topic(self) -> str:
        return f"{self.runtime.settings.kafka_topic_prefix}profile.events"

    def auth(self, account_id: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(SECRET, account_id, roles=roles)}"}

    async def events(self, account_id: str, count: int) -> list[Envelope]:
        """The account's first `count` events on profile.events, as published by the relay."""
        events = await read_events(self.bootstrap, self.topic, account_id=account_id, count=count)
        return events[:count]

    async def staged(self, account_id: str) -> int:
        """How many events were staged in the outbox for the account (published or not)."""
        async with self.runtime.sessions() as session:
            query = text("SELECT count(*) FROM outbox WHERE account_id = :a")
            return int((await session.execute(query, {"a": account_id})).scalar_one())


@pytest.fixture(scope="module")
async def service(database_url: str, kafka_bootstrap: str) -> AsyncIterator[ProfileService]:
    tag = uuid.uuid4().hex[:10]
    settings = ProfileSettings(
        database_url=database_url,
        database_schema=f"p{tag}",
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_prefix=f"p{tag}.",
        environment="test",
        jwt_secret=SECRET,
        graceful_timeout_s=5,
    )
    clock = FrozenClock(NOW)
    runtime = ServiceRuntime(bootstrap(settings, clock))
    app = runtime.create_app()
    async with runtime.running():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://profile.test") as client:
            yield ProfileService(runtime, client, clock, kafka_bootstrap)
        async with runtime.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{settings.database_schema}" CASCADE'))


@pytest.fixture
def account(unique: str) -> str:
    return f"acc-{unique}"
