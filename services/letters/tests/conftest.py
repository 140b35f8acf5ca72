"""One running letters service per test module (real PostgreSQL and Kafka), and helpers to drive it.

Starting a runtime provisions its topics, which is the slow part; tests in a module share one
service and isolate themselves with their own account ids.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

# importlib mode does not put test directories on sys.path; the helper module sits beside us.
sys.path.insert(0, str(Path(__file__).parent))

from letters_testkit import NOW, SECRET, LettersService

from autoletter.letters.bootstrap import bootstrap
from autoletter.letters.settings import LettersSettings
from autoletter.runtime.clock import FrozenClock
from autoletter.runtime.service import ServiceRuntime


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
    runtime = ServiceRuntime(bootstrap(settings, clock))
    app = runtime.create_app()
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
