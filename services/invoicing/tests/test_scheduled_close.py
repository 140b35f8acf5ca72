"""The scheduled close as a running job: once the clock passes a month's end (and the grace), the
service closes that month by itself, with no request."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from conftest import SECRET
from invoicing_testkit import FakeStripe, customer_created, letter_sent
from sqlalchemy import text

from autoletter.invoicing.bootstrap import bootstrap
from autoletter.invoicing.settings import InvoicingSettings
from autoletter.runtime.clock import FrozenClock
from autoletter.runtime.service import ServiceRuntime
from autoletter.runtime.testing import publish, wait_for

LATE_NOV = datetime(2026, 11, 30, 20, tzinfo=UTC)


async def test_the_running_service_closes_a_month_that_ended_with_no_request(
    database_url: str, kafka_bootstrap: str, unique: str
) -> None:
    settings = InvoicingSettings(
        database_url=database_url,
        database_schema=f"s{unique}",
        kafka_topic_prefix=f"s{unique}.",
        kafka_bootstrap_servers=kafka_bootstrap,
        environment="test",
        jwt_secret=SECRET,
        close_schedule_enabled=True,
        close_check_interval_s=0.2,
        close_grace_s=3600,
        graceful_timeout_s=5,
    )
    clock = FrozenClock(LATE_NOV)
    fake = FakeStripe()
    runtime = ServiceRuntime(bootstrap(settings, clock, billing=fake))
    account = f"a{uuid.uuid4().hex[:8]}"

    async def scalar(sql: str) -> object:
        async with runtime.sessions.begin() as session:
            return (await session.execute(text(sql), {"a": account})).scalar_one()

    async def one_row(sql: str) -> bool:
        return await scalar(sql) == 1

    async with runtime.running():
        topic = settings.kafka_topic_prefix
        await publish(kafka_bootstrap, f"{topic}payments.events", customer_created(account, LATE_NOV))
        await publish(kafka_bootstrap, f"{topic}letters.events", letter_sent(account, "standard", LATE_NOV))
        usage = "SELECT count(*) FROM usage_lines WHERE account_id = :a"
        await wait_for(lambda: one_row(usage), timeout=30, what="the usage line")
        assert await scalar("SELECT count(*) FROM billing_runs WHERE period = '2026-11'") == 0  # not ended

        clock.advance(timedelta(hours=6))  # December 1st, 02:00: November ended more than the grace ago
        runs = (
            "SELECT count(*) FROM billing_runs"
            " WHERE period = '2026-11' AND trigger = 'schedule' AND status = 'completed'"
        )
        await wait_for(lambda: one_row(runs), timeout=30, what="the scheduled close")
        assert await scalar("SELECT count(*) FROM invoices WHERE account_id = :a AND period = '2026-11'") == 1
        async with runtime.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{settings.database_schema}" CASCADE'))
