"""The running service over real Kafka and PostgreSQL: ledger, billing runs, payment outcomes, HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from conftest import NOW, SECRET
from invoicing_testkit import FakeStripe, customer_created, letter_sent
from sqlalchemy import text

from autoletter.contracts import new_event
from autoletter.contracts.invoicing import InvoiceIssued
from autoletter.contracts.payments import InvoiceVoided, PaymentFailed, PaymentSucceeded
from autoletter.invoicing.bootstrap import bootstrap
from autoletter.invoicing.settings import InvoicingSettings
from autoletter.runtime.auth import mint_token
from autoletter.runtime.clock import FrozenClock
from autoletter.runtime.service import ServiceRuntime
from autoletter.runtime.testing import publish, read_events, wait_for

NOV = datetime(2026, 11, 12, 10, tzinfo=UTC)


@dataclass
class Service:
    runtime: ServiceRuntime
    client: httpx.AsyncClient
    stripe: FakeStripe
    bootstrap: str

    def topic(self, name: str) -> str:
        return f"{self.runtime.settings.kafka_topic_prefix}{name}"

    def auth(self, account_id: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(SECRET, account_id, roles=roles)}"}

    async def publish(self, topic: str, *events: Any) -> None:
        await publish(self.bootstrap, self.topic(topic), *events)

    async def usage_lines(self, account_id: str) -> int:
        async with self.runtime.sessions.begin() as session:
            query = text("SELECT count(*) FROM usage_lines WHERE account_id = :a")
            return int((await session.execute(query, {"a": account_id})).scalar_one())

    async def invoices(self, account_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(f"/v1/accounts/{account_id}/invoices", headers=self.auth(account_id))
        assert response.status_code == 200
        return list(response.json()["invoices"])


@pytest.fixture(scope="module")
async def service(database_url: str, kafka_bootstrap: str) -> AsyncIterator[Service]:
    tag = uuid.uuid4().hex[:10]
    settings = InvoicingSettings(
        database_url=database_url,
        database_schema=f"i{tag}",
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_prefix=f"i{tag}.",
        environment="test",
        jwt_secret=SECRET,
        close_schedule_enabled=False,
        graceful_timeout_s=5,
    )
    fake = FakeStripe()
    runtime = ServiceRuntime(bootstrap(settings, FrozenClock(NOW), billing=fake))
    app = runtime.create_app()
    async with runtime.running():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://invoicing.test") as client:
            yield Service(runtime, client, fake, kafka_bootstrap)
        async with runtime.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{settings.database_schema}" CASCADE'))


async def test_each_letter_is_in_the_ledger_once_whatever_the_deliveries(
    service: Service, unique: str
) -> None:
    acct = f"a{unique}"
    sent = [letter_sent(acct, "standard", NOV, sheets=1 + n % 3) for n in range(40)]
    republished = letter_sent(acct, "standard", NOV, letter_id=sent[0].letter_id)  # new event id
    await service.publish("letters.events", *sent, *sent[:10], republished)
    await wait_for(lambda: _count_is(service, acct, 40), what="40 usage lines")
    await service.publish("letters.events", *sent)  # redelivered after a crash, as Kafka would
    marker = letter_sent(acct, "registered", NOV)
    await service.publish("letters.events", marker)
    await wait_for(lambda: _count_is(service, acct, 41), what="the marker letter")
    assert await service.usage_lines(acct) == 41

    response = await service.client.get(
        f"/v1/accounts/{acct}/usage", params={"period": "2026-11"}, headers=service.auth(acct)
    )
    assert response.status_code == 200
    by_service = {s["service"]: s for s in response.json()["services"]}
    sheets = sum(e.sheets for e in sent)
    assert by_service["standard"]["letters"] == 40 and by_service["standard"]["sheets"] == sheets
    assert by_service["standard"]["amount_cents"] == 40 * 95 + (sheets - 40) * 15
    assert by_service["registered"]["amount_cents"] == 420


async def _count_is(service: Service, account_id: str, n: int) -> bool:
    return await service.usage_lines(account_id) == n


async def test_ops_close_a_period_and_payments_move_the_invoice_forward_only(
    service: Service, unique: str
) -> None:
    acct = f"a{unique}"
    await service.publish("payments.events", customer_created(acct, NOV))
    await service.publish("letters.events", *[letter_sent(acct, "registered", NOV) for _ in range(2)])
    await wait_for(lambda: _count_is(service, acct, 2), what="usage")
    await wait_for(lambda: _customer_known(service, acct), what="the Stripe customer")

    ops = service.auth("ops-user", "ops")
    started = await service.client.post("/v1/billing-runs", json={"period": "2026-11"}, headers=ops)
    assert started.status_code == 202
    run_id = started.json()["run_id"]

    async def finished() -> bool:
        run = (await service.client.get(f"/v1/billing-runs/{run_id}", headers=ops)).json()
        return run["status"] in ("completed", "failed")

    await wait_for(finished, what="the billing run")
    run = (await service.client.get(f"/v1/billing-runs/{run_id}", headers=ops)).json()
    assert run["status"] == "completed" and run["progress"]["failed"] == 0

    (invoice,) = await service.invoices(acct)
    assert (invoice["state"], invoice["amount_cents"], invoice["letters"]) == ("issued", 840, 2)
    (issued,) = await read_events(
        service.bootstrap, service.topic("invoicing.events"), account_id=acct, count=1
    )
    assert isinstance(issued, InvoiceIssued) and str(issued.invoice_id) == invoice["invoice_id"]

    async def outcome(cls: type, **extra: Any) -> None:
        event = new_event(
            cls,
            account_id=acct,
            producer="payments",
            occurred_at=NOW,
            invoice_id=invoice["invoice_id"],
            stripe_invoice_id=invoice["stripe_invoice_id"],
            service="registered",
            period="2026-11",
            **extra,
        )
        await service.publish("payments.events", event)

    async def state_is(state: str) -> bool:
        return (await service.invoices(acct))[0]["state"] == state

    failed = {"amount_cents": 840, "currency": "eur", "attempt_count": 1, "failure_code": "card_declined"}
    await outcome(PaymentFailed, next_attempt_at=NOW, final=False, **failed)
    await wait_for(lambda: state_is("payment_failed"), what="payment_failed")
    await outcome(PaymentSucceeded, amount_cents=840, currency="eur")
    await wait_for(lambda: state_is("paid"), what="paid")
    await outcome(PaymentFailed, next_attempt_at=None, final=True, **failed)  # late, out of order
    await outcome(InvoiceVoided)
    last = customer_created(acct, NOV)
    await service.publish("payments.events", last)  # same key, same partition: handled after them
    await wait_for(lambda: _processed(service, last.event_id), what="the late payment events")
    assert await state_is("paid")


async def _customer_known(service: Service, account_id: str) -> bool:
    async with service.runtime.sessions.begin() as session:
        query = text("SELECT count(*) FROM customers WHERE account_id = :a")
        return bool((await session.execute(query, {"a": account_id})).scalar_one())


async def _processed(service: Service, event_id: uuid.UUID) -> bool:
    async with service.runtime.sessions.begin() as session:
        query = text("SELECT count(*) FROM inbox WHERE consumer = 'invoicing.payments' AND event_id = :e")
        return bool((await session.execute(query, {"e": event_id})).scalar_one())


async def test_an_account_sees_only_its_own_usage_and_invoices(service: Service, unique: str) -> None:
    response = await service.client.get(
        f"/v1/accounts/other{unique}/invoices", headers=service.auth(f"a{unique}")
    )
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    response = await service.client.get(
        f"/v1/accounts/a{unique}/usage", params={"period": "2026-13"}, headers=service.auth(f"a{unique}")
    )
    assert response.status_code == 422 and "period" in response.json()["details"]


async def test_only_ops_start_billing_runs_and_only_for_ended_periods(service: Service, unique: str) -> None:
    customer = await service.client.post(
        "/v1/billing-runs", json={"period": "2026-11"}, headers=service.auth(f"a{unique}")
    )
    assert customer.status_code == 403
    # The role comes before the input: a customer learns nothing from a 422.
    for bad in ({"period": "not-a-month"}, {}):
        refused = await service.client.post("/v1/billing-runs", json=bad, headers=service.auth(f"a{unique}"))
        assert refused.status_code == 403, refused.text
    not_json = await service.client.post(  # FastAPI parses JSON before any dependency: OpsRoute is first
        "/v1/billing-runs", content=b"{not json", headers=service.auth(f"a{unique}")
    )
    assert not_json.status_code == 403, not_json.text
    not_json = await service.client.post(
        "/v1/ops/reconciliations", content=b"{not json", headers=service.auth(f"a{unique}")
    )
    assert not_json.status_code == 403, not_json.text
    not_a_run = await service.client.get("/v1/billing-runs/not-a-uuid", headers=service.auth(f"a{unique}"))
    assert not_a_run.status_code == 403, not_a_run.text
    ops = service.auth("ops-user", "ops")
    current = await service.client.post("/v1/billing-runs", json={"period": "2026-12"}, headers=ops)
    assert current.status_code == 409 and current.json()["error"] == "period_not_ended"
    unknown = await service.client.get(f"/v1/billing-runs/{uuid.uuid4()}", headers=ops)
    assert unknown.status_code == 404
    assert (await service.client.get("/metrics")).status_code == 200
