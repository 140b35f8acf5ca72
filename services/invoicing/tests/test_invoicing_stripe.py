"""The Stripe adapter against stripe-mock (every request checked against Stripe's spec), its
retries on 429, and the request budget."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe
from conftest import Prepared
from invoicing_testkit import CrashAfter, customer_created, letter_sent, until_crash

from autoletter.invoicing.adapters.rate_limit import TokenBucket
from autoletter.invoicing.adapters.stripe_billing import StripeApiBilling
from autoletter.invoicing.bootstrap import close_period

NOV = datetime(2026, 11, 12, 10, tzinfo=UTC)
EARLY = datetime(2026, 11, 1, tzinfo=UTC)


async def _usage(prepared: Prepared, accounts: list[str]) -> None:
    for acct in accounts:
        await prepared.deliver(
            customer_created(acct, EARLY),
            letter_sent(acct, "standard", NOV, sheets=2),
            letter_sent(acct, "registered", NOV),
        )


async def test_the_close_against_stripe_mock_sends_only_valid_requests(
    prepared_on_stripe_mock: Prepared, unique: str
) -> None:
    prepared = prepared_on_stripe_mock
    await _usage(prepared, [f"a{unique}{n}" for n in range(3)])
    result = await close_period(prepared.runtime, "2026-11")

    # stripe-mock answers 400 to any request that does not match the spec: none failed.
    assert (result.status, result.issued, result.failed, result.errors) == ("completed", 6, 0, ())
    stats = prepared.runtime.deps.billing.stats  # type: ignore[attr-defined]
    # Exactly three requests per invoice: the draft, all its lines in one add_lines, the finalise.
    assert stats.requests == {"create_invoice": 6, "add_lines": 6, "finalize_invoice": 6}
    states = await prepared.rows("SELECT state, count(*) FROM invoices GROUP BY state")
    assert [tuple(r) for r in states] == [("issued", 6)]
    lines = await prepared.scalar("SELECT count(*) FROM invoice_lines")
    assert lines == 9


@pytest.mark.parametrize("crash_after", [0, 4, 9, 15])
async def test_a_close_killed_half_way_against_stripe_mock_creates_each_invoice_once(
    prepared_on_stripe_mock: Prepared, unique: str, crash_after: int
) -> None:
    prepared = prepared_on_stripe_mock
    await _usage(prepared, [f"a{unique}{n}" for n in range(3)])
    # One invoice at a time: a kill also loses the answers of requests in flight, and stateless
    # stripe-mock cannot show that the re-sent create (same idempotency key) returns the same
    # invoice. That case is covered with the stateful fake in test_invoicing_close.
    close = prepared.runtime.deps.close
    close._config = dataclasses.replace(close._config, concurrency=1)
    real = close._billing
    close._billing = CrashAfter(real, crash_after, after_sending=False)
    await until_crash(close_period(prepared.runtime, "2026-11"))
    prepared.runtime.deps.close._billing = real
    result = await close_period(prepared.runtime, "2026-11")

    assert (result.status, result.failed) == ("completed", 0)
    stats = real.stats  # type: ignore[attr-defined]
    assert len(stats.drafts_created_for) == 6
    assert set(stats.drafts_created_for.values()) == {1}, "an invoice was created twice"
    rows = await prepared.rows("SELECT account_id, service, period, state FROM invoices")
    assert len(rows) == 6 and {r[3] for r in rows} == {"issued"}
    if crash_after == 0:
        # The first create never left: the re-run looked in Stripe by our metadata, then created.
        assert stats.requests["list_invoices"] >= 1


class _RawCreate:
    """Sends the adapter's raw `POST /v1/invoices` (idempotency key among the parameters, the answer
    as plain JSON) to the fake's invoices.create_async."""

    v1: Any

    async def raw_request_async(self, method: str, url: str, **params: Any) -> Any:
        assert (method, url) == ("post", "/v1/invoices")
        key = params.pop("idempotency_key")
        made = await self.v1.invoices.create_async(params=params, options={"idempotency_key": key})
        return type("Response", (), {"data": {"id": made.id}})()


class _Flaky(_RawCreate):
    """A StripeClient whose invoices.create answers 429 twice, then succeeds."""

    def __init__(self) -> None:
        self.calls = 0
        outer = self

        class Invoices:
            async def create_async(self, **_: Any) -> Any:
                outer.calls += 1
                if outer.calls <= 2:
                    raise stripe.RateLimitError("Too many requests", http_status=429)
                return type("Invoice", (), {"id": "in_ok"})()

        self.v1 = type("V1", (), {"invoices": Invoices()})()


async def test_a_rate_limited_call_is_retried_with_backoff_and_counted() -> None:
    from autoletter.invoicing.adapters.stripe_billing import DraftRequest

    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    flaky = _Flaky()
    adapter = StripeApiBilling(flaky, TokenBucket(1000), max_attempts=4, sleep=sleep)  # type: ignore[arg-type]
    draft = DraftRequest(
        invoice_id=__import__("uuid").uuid4(),
        account_id="a1",
        service="standard",
        period="2026-11",
        customer="cus_1",
        currency="eur",
        description="Standard letters",
    )
    assert await adapter.create_draft(draft) == "in_ok"
    assert flaky.calls == 3
    assert adapter.stats.retries["create_invoice"] == 2
    assert sleeps[1] > sleeps[0] / 2 > 0


class _ServerErrorOnCreate(_RawCreate):
    """A StripeClient whose first invoices.create answers 500 — having created the invoice or not —
    and replays that 500 for the same key, as Stripe does; search lags (finds nothing)."""

    def __init__(self, created_before_500: bool) -> None:
        self.keys: list[str] = []
        self.invoices: list[Any] = []
        outer = self

        def invoice(invoice_id: str, metadata: dict[str, str]) -> Any:
            return type("Invoice", (), {"id": invoice_id, "metadata": metadata})()

        class Invoices:
            async def create_async(self, params: Any, options: Any) -> Any:
                outer.keys.append(options["idempotency_key"])
                if len(outer.keys) == 1 or options["idempotency_key"] == outer.keys[0]:
                    if created_before_500 and not outer.invoices:
                        outer.invoices.append(invoice("in_created_before_500", params["metadata"]))
                    raise stripe.APIError("Internal error", http_status=500)
                made = invoice(f"in_{len(outer.keys)}", params["metadata"])
                outer.invoices.append(made)
                return made

            async def list_async(self, params: Any) -> Any:
                mine = [i for i in outer.invoices if params["customer"] == "cus_1"]
                return type("Page", (), {"data": mine, "has_more": False})()

            async def search_async(self, **_: Any) -> Any:
                return type("Page", (), {"data": [], "has_more": False})()

        self.v1 = type("V1", (), {"invoices": Invoices()})()


@pytest.mark.parametrize("created_before_500", [True, False], ids=["created-then-500", "not-created"])
async def test_after_a_server_error_on_create_the_customers_invoices_are_listed_before_a_fresh_key(
    created_before_500: bool,
) -> None:
    from uuid import uuid4

    from autoletter.invoicing.adapters.stripe_billing import DraftRequest

    async def no_sleep(_: float) -> None:
        return None

    stripe_client = _ServerErrorOnCreate(created_before_500)
    adapter = StripeApiBilling(stripe_client, TokenBucket(1000), max_attempts=4, sleep=no_sleep)  # type: ignore[arg-type]
    draft = DraftRequest(
        invoice_id=uuid4(),
        account_id="a1",
        service="standard",
        period="2026-11",
        customer="cus_1",
        currency="eur",
        description="Standard letters",
    )
    found = await adapter.create_draft(draft)
    assert len(stripe_client.invoices) == 1, "never two invoices for one of ours"
    assert found == stripe_client.invoices[0].id
    assert adapter.stats.requests["list_invoices"] >= 1
    if created_before_500:
        assert stripe_client.keys == [stripe_client.keys[0]]  # found by listing: no second create
    else:
        assert len(stripe_client.keys) == 2 and stripe_client.keys[1] != stripe_client.keys[0]


async def test_the_token_bucket_holds_the_configured_rate() -> None:
    """On a virtual clock (no timing assertion): 100 tokens at 200/s, starting with one, take 99/200 s."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    bucket = TokenBucket(200, monotonic=lambda: now[0], sleep=sleep)
    await asyncio.gather(*(bucket.acquire() for _ in range(100)))
    assert now[0] == pytest.approx(99 / 200)
