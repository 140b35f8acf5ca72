"""Webhooks: Stripe's envelope and signature, retries on the test clock, held requests, /v1/events and
the debug page."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import stripe

from autoletter.runtime.testing import wait_for
from autoletter.stripe_emulator.config import EmulatorConfig, webhook_retry_offsets

from .conftest import START, WEBHOOK_SECRET, Emulator, Receiver
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


async def test_failed_deliveries_are_retried_on_the_test_clock_and_recorded(
    emulator: Emulator, receiver: Receiver
) -> None:
    receiver.fail_next = 2
    await new_customer(emulator)
    await emulator.drain()
    [delivery] = await deliveries(emulator)
    start = int(START.timestamp())
    assert (delivery["status"], delivery["next_attempt_at"]) == ("pending", start + 60)
    await emulator.advance(59)  # the clock moves; the retry is not due yet
    await emulator.drain()
    assert receiver.types() == [] and len((await deliveries(emulator))[0]["attempts"]) == 1
    for step in (1, 120):  # the first retry a minute after the first attempt, the second two after it
        await emulator.advance(step)
        await emulator.drain()  # what `autoletter clock advance` does: it returns once they ran
    [delivery] = await deliveries(emulator)
    assert [(a["clock"] - start, a["status"]) for a in delivery["attempts"]] == [
        (0, 500),
        (60, 500),
        (180, 200),
    ]
    assert (delivery["status"], delivery["next_attempt_at"]) == ("delivered", None)
    assert receiver.types() == ["customer.created"]


async def test_a_failing_endpoint_is_retried_with_backoff_for_three_days_then_given_up(
    emulator: Emulator, receiver: Receiver
) -> None:
    receiver.fail_next = 10**9
    await new_customer(emulator)
    await emulator.drain()
    offsets = [int(o.total_seconds()) for o in webhook_retry_offsets(EmulatorConfig())]
    assert offsets[-1] == 3 * DAY
    start, moved = int(START.timestamp()), 0
    for offset in offsets:  # just before each retry nothing happens; at it, one attempt
        await emulator.advance(offset - 1 - moved)
        await emulator.drain()
        assert (await deliveries(emulator))[0]["attempts"][-1]["clock"] < start + offset
        await emulator.advance(1)
        await emulator.drain()
        assert (await deliveries(emulator))[0]["attempts"][-1]["clock"] == start + offset
        moved = offset
    [delivery] = await deliveries(emulator)
    assert [a["clock"] - start for a in delivery["attempts"]] == [0, *offsets]
    assert (delivery["status"], delivery["next_attempt_at"]) == ("failed", None)
    await emulator.advance(30 * DAY)
    await emulator.drain()
    assert len((await deliveries(emulator))[0]["attempts"]) == len(offsets) + 1  # given up for good


async def test_retries_that_fell_due_while_the_clock_jumped_all_run(
    emulator: Emulator, receiver: Receiver
) -> None:
    receiver.fail_next = 3  # down for the first attempt and the two retries the jump passes over
    await new_customer(emulator)
    await emulator.drain()
    await emulator.advance(10 * 60)  # the retries at +1 and +3 min fail, the one at +7 min succeeds
    await emulator.drain()
    [delivery] = await deliveries(emulator)
    assert [a["status"] for a in delivery["attempts"]] == [500, 500, 500, 200]
    assert receiver.types() == ["customer.created"]


async def test_a_failed_event_does_not_hold_up_the_later_ones(emulator: Emulator, receiver: Receiver) -> None:
    receiver.fail_next = 1
    customer_id = await new_customer(emulator)
    await emulator.stripe.v1.customers.update_async(customer_id, params={"name": "Autre nom"})
    await emulator.drain()
    assert receiver.types() == ["customer.updated"]  # as Stripe: no order guaranteed after a failure
    await emulator.advance(60)
    await emulator.drain()
    assert receiver.types() == ["customer.updated", "customer.created"]


async def test_events_reach_each_endpoint_in_the_order_they_happened(
    emulator: Emulator, receiver: Receiver
) -> None:
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


async def test_held_requests_wait_until_released_and_name_their_callers_port(emulator: Emulator) -> None:
    await emulator.control("POST", "/_emulator/hold", {"method": "POST", "path": "/v1/customers"})
    creating = asyncio.create_task(new_customer(emulator, "acc-held"))

    async def one_held() -> bool:
        return len((await emulator.control("GET", "/_emulator/hold"))["held"]) == 1

    await wait_for(one_held, 10, "the create to be held")
    [held] = (await emulator.control("GET", "/_emulator/hold"))["held"]
    assert (held["method"], held["path"]) == ("POST", "/v1/customers") and held["client_port"] > 0
    assert (await emulator.stripe.v1.events.list_async()).data == []  # reads pass; nothing created yet
    assert not creating.done()
    await emulator.control("DELETE", "/_emulator/hold")
    customer_id = await asyncio.wait_for(creating, 10)
    assert (await emulator.stripe.v1.customers.retrieve_async(customer_id)).id == customer_id
    assert (await emulator.control("GET", "/_emulator/hold"))["held"] == []


async def deliveries(emulator: Emulator) -> list[dict[str, Any]]:
    return await emulator.control("GET", "/_emulator/webhooks")  # type: ignore[no-any-return]


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
