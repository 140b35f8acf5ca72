"""Steps of the customer journeys, shared by the end-to-end tests."""

from __future__ import annotations

import base64
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pypdf import PdfWriter
from system import System, body

from autoletter.contracts import Envelope
from autoletter.runtime.testing import read_all, wait_for

ADDRESS = {"line1": "12 rue de la Paix", "postal_code": "75002", "city": "Paris", "country": "FR"}
PROFILE = {"name": "Atelier Martin SARL", "email": "facturation@atelier-martin.example", "address": ADDRESS}
RECIPIENT = {
    "name": "Jeanne Dupont",
    "address": {"line1": "3 Hauptstraße", "postal_code": "10115", "city": "Berlin", "country": "DE"},
}
GOOD_CARD, DECLINING_CARD = "4242424242424242", "4000000000000341"


def pdf(pages: int = 1) -> str:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return base64.b64encode(buffer.getvalue()).decode()


def now(system: System) -> datetime:
    return datetime.now(UTC) + system.offset


def period_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def next_month_start(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


async def events(
    system: System,
    topic: str,
    account: str,
    event_type: str,
    count: int = 1,
    timeout: float = 60,
    **match: Any,
) -> list[Envelope]:
    """Wait until `count` events of that type (and matching fields) exist for the account."""
    found: list[Envelope] = []

    async def enough() -> bool:
        nonlocal found
        every = await read_all(system.kafka_bootstrap, system.topic(topic), account_id=account)
        found = [
            e
            for e in every
            if e.event_type == event_type and all(getattr(e, k) == v for k, v in match.items())
        ]
        return len(found) >= count

    await wait_for(enough, timeout, f"{count} {event_type} {match} for {account}")
    return found


async def complete_profile(system: System, account: str) -> str:
    """Save the three fields; returns the Stripe customer id payments created."""
    async with system.client("profile", account) as profile:
        response = await profile.put(f"/v1/accounts/{account}/profile", json=PROFILE)
        assert response.status_code == 200, response.text
        assert body(response)["complete"] is True
    [created] = await events(system, "payments.events", account, "StripeCustomerCreated")
    return str(created.stripe_customer_id)  # type: ignore[attr-defined]


async def add_card(system: System, account: str, card: str) -> None:
    """Checkout on the hosted page with a test card, and back."""
    async with system.client("payments", account) as payments:
        response = await payments.post(
            f"/v1/accounts/{account}/payment-method/checkout",
            json={},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code in (200, 201), response.text
        session = body(response)
    assert session["url"].startswith(system.emulator_url)
    async with system.emulator() as emulator:
        done = await emulator.post(
            f"/_emulator/checkout/{session['session_id']}/complete", json={"card": card}
        )
        assert done.status_code == 200, done.text
    await events(system, "payments.events", account, "PaymentMethodAttached")


async def activate(system: System, account: str, service: str) -> None:
    async with system.client("payments", account) as payments:
        response = await payments.post(f"/v1/accounts/{account}/services/{service}/activate")
        assert response.status_code == 200, response.text
    await events(system, "payments.events", account, "ServiceStatusChanged", service=service, status="active")
    # Letters knows the service `inactive` (not_activated) from the start and rejects at once until
    # its copy has the `active` status: a letter sent before that would be refused, not held.
    await consumer_caught_up(system, "letters.service-status", "payments.events")


async def send_letter(system: System, account: str, service: str = "standard") -> dict[str, Any]:
    async with system.client("letters", account) as letters:
        response = await letters.post(
            f"/v1/accounts/{account}/letters",
            headers={"Idempotency-Key": str(uuid.uuid4())},
            json={"service": service, "recipient": RECIPIENT, "document_base64": pdf()},
        )
        assert response.status_code == 202, response.text
        return dict(body(response))


async def held_while_overdue(system: System, account: str) -> dict[str, Any]:
    """Once letters has read the overdue status, a new letter waits (held, service_overdue)."""
    await consumer_caught_up(system, "letters.service-status", "payments.events")
    held = await send_letter(system, account, "standard")
    assert (held["status"], held["reason"]) == ("held", "service_overdue")
    return held


async def recover_with_a_card_in_the_portal(system: System, account: str, customer_id: str) -> None:
    """The customer adds a working card in the portal: the debt is paid, standard is active again."""
    async with system.emulator() as emulator:
        added = await emulator.post(
            f"/_emulator/portal/{customer_id}/payment-methods", json={"card": GOOD_CARD, "default": True}
        )
        assert added.status_code == 200, added.text
    await events(system, "payments.events", account, "PaymentSucceeded")
    await events(
        system,
        "payments.events",
        account,
        "ServiceStatusChanged",
        service="standard",
        status="active",
        count=2,
    )


async def close_period(system: System, period: str) -> dict[str, Any]:
    """Move past the period's end (and the close grace) and close it as ops; returns the finished run."""
    async with system.client("invoicing", "ops-person", ops=True) as invoicing:
        response = await invoicing.post("/v1/billing-runs", json={"period": period})
        assert response.status_code == 202, response.text
        run_id = body(response)["run_id"]
        run: dict[str, Any] = {}

        async def finished() -> bool:
            nonlocal run
            run = body(await invoicing.get(f"/v1/billing-runs/{run_id}"))
            return run.get("status") in ("completed", "failed", "skipped")

        await wait_for(finished, 120, f"billing run {run_id}")
        assert run["status"] == "completed", run
        return run


async def invoices(system: System, account: str) -> list[dict[str, Any]]:
    async with system.client("invoicing", account) as invoicing:
        response = await invoicing.get(f"/v1/accounts/{account}/invoices")
        assert response.status_code == 200, response.text
        data = body(response)
        return list(data["invoices"])


async def advance_past(system: System, moment: datetime) -> None:
    """Move every clock to just after `moment`."""
    delta = moment - now(system) + timedelta(hours=1)
    if delta > timedelta(0):
        await system.advance(delta)


async def consumer_caught_up(system: System, group: str, topic: str, timeout: float = 60) -> None:
    """Wait until a consumer group has committed everything on its topic right now: the service has
    applied every event published so far (e.g. letters' copy of the statuses)."""
    name = system.topic(topic)
    group_id = system.topic(group)  # the deployment's Kafka group id carries the topic prefix
    admin = AIOKafkaAdminClient(bootstrap_servers=system.kafka_bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=system.kafka_bootstrap)
    await admin.start()
    await consumer.start()
    try:
        [described] = await admin.describe_topics([name])
        partitions = [TopicPartition(name, p["partition"]) for p in described["partitions"]]
        assert partitions, f"no partitions known for {name}"
        ends = await consumer.end_offsets(partitions)

        async def caught_up() -> bool:
            committed = await admin.list_consumer_group_offsets(group_id, partitions=partitions)
            return all(tp in committed and committed[tp].offset >= end for tp, end in ends.items() if end)

        await wait_for(caught_up, timeout, f"{group} to catch up on {name}")
    finally:
        await consumer.stop()
        await admin.close()
