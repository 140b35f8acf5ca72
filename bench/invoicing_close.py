"""Monthly close of many account-services against stripe-mock under a configured request rate:
Stripe requests per invoice, and how much of the configured rate the close actually used.

    uv run python bench/invoicing_close.py [--account-services 2000] [--rate 200] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from autoletter.devstack import servers
from autoletter.invoicing.adapters import ledger_repo
from autoletter.invoicing.adapters.tables import customers
from autoletter.invoicing.bootstrap import bootstrap as wire_invoicing
from autoletter.invoicing.bootstrap import close_period
from autoletter.invoicing.settings import InvoicingSettings
from autoletter.runtime.clock import FrozenClock
from autoletter.runtime.service import ServiceRuntime

sys.path.insert(0, str(Path(__file__).parent))
from _results import report

NOV = datetime(2026, 11, 2, tzinfo=UTC)


def usage_rows(account_services: int) -> tuple[list[dict[str, object]], list[dict[str, str]]]:
    """Half the accounts use both services; a third of the letters have extra sheets."""
    rows, accounts = [], []
    services = ["standard", "registered"]
    for n in range(account_services):
        account, service = f"acc-{n // 2}", services[n % 2]
        if n % 2 == 0:
            accounts.append({"account_id": account, "stripe_customer_id": "cus_bench"})
        for k in range(3):
            sheets = 1 + (k == 0 and n % 3 == 0)
            letter = 95 if service == "standard" else 420
            rows.append(
                {
                    "letter_id": uuid.uuid4(),
                    "account_id": account,
                    "service": service,
                    "sent_at": NOV + timedelta(hours=n % 600),
                    "sheets": sheets,
                    "letter_cents": letter,
                    "extra_sheet_cents": 15,
                    "amount_cents": letter + 15 * (sheets - 1),
                    "currency": "eur",
                    "event_id": uuid.uuid4(),
                }
            )
    return rows, accounts


async def main(account_services: int, rate: float, concurrency: int) -> None:
    with tempfile.TemporaryDirectory(prefix="autoletter-bench-") as work, ExitStack() as stack:
        bootstrap = stack.enter_context(servers.kafka(Path(work)))
        database_url = stack.enter_context(servers.postgres(Path(work)))
        stripe_base = stack.enter_context(servers.stripe_mock(Path(work)))
        tag = uuid.uuid4().hex[:8]
        settings = InvoicingSettings(
            database_url=database_url,
            database_schema=f"bench_close_{tag}",
            kafka_bootstrap_servers=bootstrap,
            kafka_topic_prefix=f"bench{tag}.",
            environment="test",
            stripe_api_key="sk_test_123",
            stripe_api_base=stripe_base,
            stripe_requests_per_second=rate,
            close_concurrency=concurrency,
            close_schedule_enabled=False,
        )
        runtime = ServiceRuntime(wire_invoicing(settings, FrozenClock(datetime(2026, 12, 2, tzinfo=UTC))))
        await runtime.prepare()
        rows, accounts = usage_rows(account_services)
        async with runtime.sessions.begin() as session:
            for start in range(0, len(rows), 5000):
                chunk = rows[start : start + 5000]
                await ledger_repo.insert_usage(
                    session, {column: [r[column] for r in chunk] for column in chunk[0]}
                )
            await session.execute(customers.insert(), accounts)

        started, cpu = time.perf_counter(), time.process_time()
        result = await close_period(runtime, "2026-11")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        stats = runtime.deps.billing.stats
        requests = stats.total_requests
        async with runtime.engine.begin() as conn:
            issued = await conn.scalar(text("SELECT count(*) FROM invoices WHERE state = 'issued'"))
            await conn.execute(text(f'DROP SCHEMA "{settings.database_schema}" CASCADE'))
        await runtime.engine.dispose()

        print(f"account-services: {account_services}, rate: {rate:.0f} req/s, concurrency: {concurrency}")
        print(f"run: {result.status}, issued {result.issued} (rows issued: {issued}), failed {result.failed}")
        print(f"close took {elapsed:.1f} s; Stripe requests: {requests} {dict(stats.requests)}")
        print(f"retries: {dict(stats.retries) or 0}")
        per_invoice = requests / max(result.issued, 1)
        print(f"Stripe requests per invoice: {per_invoice:.2f}")
        report(
            "close: Stripe requests per invoice (3.0 is the floor)",
            per_invoice,
            3.0,
            "req",
            1.0,
            ratio=3.0 / per_invoice,
        )
        print(f"this process used {cpu:.1f} s of CPU ({cpu / requests * 1000:.1f} ms per Stripe request)")
        achieved = requests / elapsed
        print(f"achieved {achieved:.1f} req/s = {achieved / rate:.1%} of the configured rate")
        report("close: share of the Stripe request budget used", achieved, rate, "req/s", 0.9)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--account-services", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=16)
    a = parser.parse_args()
    asyncio.run(main(a.account_services, a.rate, a.concurrency))
