"""The runtime starts, migrates, provisions, relays an outbox row and consumes it back."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import sample_service as sample

from autoletter.contracts import new_event
from autoletter.contracts.letters import LetterSent
from autoletter.runtime.testing import read_events, wait_for


def letter_sent(account: str) -> LetterSent:
    return new_event(
        LetterSent,
        account_id=account,
        producer="sample",
        occurred_at=datetime.now(UTC),
        letter_id=uuid4(),
        service="standard",
        sheets=1,
        destination_country="FR",
        sent_at=datetime.now(UTC),
    )


async def test_committed_event_is_published_and_consumed_once(
    database_url: str, db_schema: str, kafka_bootstrap: str, topic_prefix: str, unique: str
) -> None:
    rt = sample.runtime(sample.settings(database_url, db_schema, kafka_bootstrap, topic_prefix))
    async with rt.running():
        event = letter_sent(f"acc-{unique}")
        async with rt.sessions.begin() as session:
            await sample.stage(session, event)
        got = await read_events(kafka_bootstrap, f"{topic_prefix}letters.events", count=1)
        assert got == [event]

        async def consumed() -> bool:
            return len(await sample.effects(rt)) == 1

        await wait_for(consumed, 30, "the consumer to record the effect")


async def test_the_api_docs_load_without_a_cdn(database_url: str, db_schema: str) -> None:
    """/docs and /redoc reference only files the service serves itself (they work offline)."""
    import re

    import httpx
    import sample_service as sample

    rt = sample.runtime(sample.settings(database_url, db_schema, "127.0.0.1:9", "t."))
    app = rt.create_app()  # the sample Service is titled "sample"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        for page in ("/docs", "/redoc"):
            html = (await client.get(page)).text
            assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html) + re.findall(
                r"url: '([^']+)'", html
            )
            assert assets, page
            for asset in assets:
                assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
                assert (await client.get(asset)).status_code == 200, asset
    await rt.engine.dispose()


async def test_replicas_starting_together_migrate_once(database_url: str, db_schema: str) -> None:
    """Every replica runs the migrations at start: at the same moment, one migrates, the others wait.
    Separate processes, as replicas are (alembic's context is per process)."""
    import asyncio
    import sys
    from pathlib import Path

    import sample_service as sample
    from sqlalchemy import text

    script = (
        "import asyncio, sys; from pathlib import Path; from autoletter.runtime.migrations import upgrade; "
        "asyncio.run(upgrade(sys.argv[1], sys.argv[2], Path(sys.argv[3])))"
    )
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            script,
            database_url,
            db_schema,
            str(Path(sample.MIGRATIONS)),
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outcomes = [(await p.wait(), (await p.stderr.read()).decode()[-500:]) for p in procs if p.stderr]
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    rt = sample.runtime(sample.settings(database_url, db_schema, "127.0.0.1:9", "t."))
    async with rt.sessions() as session:
        versions = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    assert versions == ["0001"]
    await rt.engine.dispose()


async def test_every_request_is_counted_by_route_template_and_status(
    database_url: str, db_schema: str
) -> None:
    import httpx
    import sample_service as sample
    from prometheus_client import REGISTRY

    rt = sample.runtime(sample.settings(database_url, db_schema, "127.0.0.1:9", "t."))

    def counted(route: str, status: str) -> float:
        labels = {"service": rt.settings.service_name, "route": route, "status": status}
        return REGISTRY.get_sample_value("autoletter_http_requests_total", labels) or 0.0

    before = counted("/healthz", "200"), counted("unmatched", "404")
    app = rt.create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/no/such/route")).status_code == 404
    assert counted("/healthz", "200") - before[0] == 2
    assert counted("unmatched", "404") - before[1] == 1
    await rt.engine.dispose()
