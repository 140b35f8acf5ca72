"""Webhooks: Stripe's envelope, Stripe's signature, retries on failure, /v1/events and the debug page."""

from __future__ import annotations

import json

import pytest
import stripe

from .conftest import WEBHOOK_SECRET, Emulator, Receiver
from .test_emulator_customers import new_customer
from .test_emulator_invoices import DAY, DECLINES, customer_paying_with, issue_invoice

pytestmark = [
    pytest.mark.stripe,
    # stripe-python 15.6's HTTPXClient passes bytes as `data=`, which httpx 0.28 deprecates.
    pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning"),
]


async def test_events_carry_stripes_envelope_and_verify(emulator: Emulator, receiver: Receiver) -> None:
    await new_customer(emulator, "acc-env")
    await emulator.drain()
    body, headers = receiver.received[0]
    event = stripe.Webhook.construct_event(body, headers["stripe-signature"], WEBHOOK_SECRET)
    assert event.type == "customer.created"
    raw = json.loads(body)
    assert raw["id"].startswith("evt_") and raw["object"] == "event" and raw["livemode"] is False
    assert raw["api_version"] == "2026-08-26.dahlia" and raw["pending_webhooks"] == 1
    assert raw["request"]["idempotency_key"] == "customer-acc-env" and raw["request"]["id"].startswith("req_")
    assert raw["data"]["object"]["metadata"] == {"account_id": "acc-env"}


async def test_a_tampered_body_or_wrong_secret_does_not_verify(
    emulator: Emulator, receiver: Receiver
) -> None:
    await new_customer(emulator)
    await emulator.drain()
    body, headers = receiver.received[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            body.replace(b"acc-1", b"acc-2"), headers["stripe-signature"], WEBHOOK_SECRET
        )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["stripe-signature"], "whsec_someone_else")


async def test_failed_deliveries_are_retried_and_recorded(emulator: Emulator, receiver: Receiver) -> None:
    receiver.fail_next = 2
    await new_customer(emulator)
    await emulator.drain()
    assert receiver.types() == ["customer.created"]
    deliveries = await emulator.control("GET", "/_emulator/webhooks")
    assert [a["status"] for a in deliveries[0]["attempts"]] == [500, 500, 200]
    assert deliveries[0]["status"] == "delivered"


async def test_events_reach_each_endpoint_in_the_order_they_happened(
    emulator: Emulator, receiver: Receiver
) -> None:
    receiver.fail_next = 1  # the first event is retried; the later ones wait for it
    invoice = await issue_invoice(emulator, await customer_paying_with(emulator, DECLINES))
    await emulator.advance(2 * DAY)
    await emulator.drain()
    events = receiver.events()
    assert [e["created"] for e in events] == sorted(e["created"] for e in events)
    assert receiver.types()[:2] == ["customer.created", "payment_method.attached"]
    failed = [e for e in events if e["type"] == "invoice.payment_failed"]
    assert [e["data"]["object"]["attempt_count"] for e in failed] == [1, 2]
    assert failed[1]["request"] == {"id": None, "idempotency_key": None}  # caused by the clock, not a request
    assert failed[0]["data"]["object"]["id"] == invoice.id


async def test_events_are_listed_newest_first_and_by_type(emulator: Emulator) -> None:
    customer_id = await new_customer(emulator)
    await emulator.stripe.v1.customers.update_async(customer_id, params={"name": "Autre nom"})
    everything = await emulator.stripe.v1.events.list_async()
    assert [e.type for e in everything.data] == ["customer.updated", "customer.created"]
    updated = await emulator.stripe.v1.events.list_async(params={"type": "customer.updated"})
    assert len(updated.data) == 1 and updated.data[0].data.previous_attributes["name"] == "Lettres & Cie"


async def test_registered_endpoint_gets_events_signed_with_its_own_secret(
    emulator: Emulator, receiver: Receiver
) -> None:
    endpoint = await emulator.stripe.v1.webhook_endpoints.create_async(
        params={"url": receiver.url, "enabled_events": ["invoice.finalized", "invoice.payment_failed"]}
    )
    assert endpoint.secret is not None and endpoint.secret.startswith("whsec_")
    await issue_invoice(emulator, await customer_paying_with(emulator, DECLINES))
    await emulator.drain()
    own = []
    for body, headers in receiver.received:
        try:
            own.append(
                stripe.Webhook.construct_event(body, headers["stripe-signature"], endpoint.secret).type
            )
        except stripe.SignatureVerificationError:
            continue
    assert own == ["invoice.finalized", "invoice.payment_failed"]


async def test_debug_page_lists_customers_invoices_and_deliveries(emulator: Emulator) -> None:
    invoice = await issue_invoice(emulator, await customer_paying_with(emulator, DECLINES))
    await emulator.drain()
    page = (await emulator.http.get("/_emulator/")).text
    assert invoice.customer in page and invoice.id in page and "invoice.payment_failed" in page
    assert "200" in page
