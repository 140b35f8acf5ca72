"""One running letters service per test module (real PostgreSQL and Kafka), and helpers to drive it.

Starting a runtime provisions its topics, which is the slow part; tests in a module share one
service and isolate themselves with their own account ids.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

# importlib mode does not put test directories on sys.path; the helper module sits beside us.
sys.path.insert(0, str(Path(__file__).parent))

from letters_testkit import letter_body

from autoletter.contracts import Envelope, decode
from autoletter.letters.bootstrap import LettersRuntime, create_app, create_runtime
from autoletter.letters.settings import LettersSettings
from autoletter.runtime.auth import mint_token
from autoletter.runtime.clock import FrozenClock
from autoletter.runtime.testing import publish, read_events, wait_for

SECRET = "letters-tests-secret-0123456789abcdef"
NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


@dataclass
class LettersService:
    runtime: LettersRuntime
    client: httpx.AsyncClient
    clock: FrozenClock
    bootstrap: str
    spool: Path

    def topic(self, name: str) -> str:
        return f"{self.runtime.settings.kafka_topic_prefix}{name}"

    def auth(self, account_id: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(SECRET, account_id, roles=roles)}"}

    async def send(
        self, account_id: str, key: str | None = None, body: Any = None, **changes: Any
    ) -> httpx.Response:
        headers = self.auth(account_id)
        headers["Idempotency-Key"] = key or uuid.uuid4().hex
        return await self.client.post(
            f"/v1/accounts/{account_id}/letters",
            headers=headers,
            json=body if body is not None else letter_body(**changes),
        )

    async def get(self, account_id: str, letter_id: Any) -> dict[str, Any]:
        response = await self.client.get(
            f"/v1/accounts/{account_id}/letters/{letter_id}", headers=self.auth(account_id)
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def publish(self, *messages: Envelope) -> None:
        await publish(self.bootstrap, self.topic(messages[0].topic), *messages)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.runtime.sessions() as session:
            return (await session.execute(text(sql), params)).scalar_one()

    async def consumed(self, event: Envelope, group: str = "letters.service-status") -> None:
        """Wait until the consumer group has processed the event (its inbox row exists)."""

        async def done() -> bool:
            return bool(
                await self.scalar(
                    "SELECT count(*) FROM inbox WHERE consumer = :g AND event_id = :e",
                    g=group,
                    e=event.event_id,
                )
            )

        await wait_for(done, 60, f"{event.event_type} consumed")

    async def wait_status(self, account_id: str, letter_id: Any, status: str) -> dict[str, Any]:
        async def reached() -> bool:
            return (await self.get(account_id, letter_id))["status"] == status

        await wait_for(reached, 30, f"letter {letter_id} {status}")
        return await self.get(account_id, letter_id)

    async def staged(self, account_id: str, event_type: str | None = None) -> list[Envelope]:
        """Events the service staged for the account, in commit order (published or not)."""
        async with self.runtime.sessions() as session:
            rows = (
                await session.execute(
                    text("SELECT payload FROM outbox WHERE account_id = :a ORDER BY id"), {"a": account_id}
                )
            ).all()
        events = [decode(r.payload) for r in rows]
        return [e for e in events if event_type is None or e.event_type == event_type]

    async def events(self, account_id: str, count: int) -> list[Envelope]:
        """The account's first `count` events on letters.events, as published by the relay."""
        return (
            await read_events(
                self.bootstrap, self.topic("letters.events"), account_id=account_id, count=count
            )
        )[:count]

    async def letters(self, account_id: str) -> int:
        return int(await self.scalar("SELECT count(*) FROM letters WHERE account_id = :a", a=account_id))

    def spooled(self, letter_id: UUID | str) -> list[Path]:
        return sorted(self.spool.glob(f"*/{letter_id}.json"))


@pytest.fixture(scope="module")
async def service(
    database_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LettersService]:
    tag = uuid.uuid4().hex[:10]
    spool = tmp_path_factory.mktemp("spool")
    settings = LettersSettings(
        database_url=database_url,
        database_schema=f"l{tag}",
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_prefix=f"l{tag}.",
        environment="test",
        jwt_secret=SECRET,
        graceful_timeout_s=5,
        spool_dir=spool,
        dispatch_poll_interval_s=0.2,
        # Small batches, so releases go through several batches and the byte cap cuts some of them.
        dispatch_batch_size=3,
        dispatch_batch_bytes=1500,
        expiry_sweep_interval_s=3600,  # tests run the sweep themselves
    )
    clock = FrozenClock(NOW)
    runtime = create_runtime(settings, clock)
    app = create_app(runtime)
    async with runtime.running():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://letters.test") as client:
            yield LettersService(runtime, client, clock, kafka_bootstrap, spool)
    engine = create_async_engine(database_url)  # the runtime's engine is disposed of by now
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{settings.database_schema}" CASCADE'))
    await engine.dispose()


@pytest.fixture
def account(unique: str) -> str:
    return f"acc-{unique}"
