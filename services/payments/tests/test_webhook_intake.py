"""The webhook route: verified on the raw body, stored once by event id, answered at once."""

from __future__ import annotations

import asyncio
import time

from conftest import WEBHOOK_SECRET, PaymentsService
from payments_testkit import body, sign, stripe_id
from prometheus_client import REGISTRY


async def stored(service: PaymentsService, event_id: str) -> int:
    rows = await service.sql("SELECT count(*) AS n FROM stripe_events WHERE event_id = :e", e=event_id)
    return int(rows[0].n)


def invoice_event(service: PaymentsService, event_type: str = "invoice.paid") -> dict:
    obj = service.stripe.invoice("cus_unknown", account_id="acc-x", service="standard", status="paid")
    return service.stripe.event(event_type, obj)


async def test_a_correctly_signed_event_is_stored_and_acknowledged(service: PaymentsService) -> None:
    event = invoice_event(service)
    response = await service.deliver(event)
    assert response.json() == {"received": True}
    assert await stored(service, event["id"]) == 1


async def test_a_signature_of_a_rotated_secret_next_to_the_right_one_is_accepted(
    service: PaymentsService,
) -> None:
    event = invoice_event(service)
    payload = body(event)
    header = sign(payload, ["whsec_old_secret", WEBHOOK_SECRET])
    assert (await service.post_webhook(payload, header)).status_code == 200
    assert await stored(service, event["id"]) == 1


async def test_bad_signatures_are_refused_and_nothing_is_stored(service: PaymentsService) -> None:
    event = invoice_event(service)
    payload = body(event)
    tampered = payload.replace(b'"invoice.paid"', b'"invoice.voided"')
    cases = {
        "missing header": None,
        "wrong secret": sign(payload, ["whsec_someone_else"]),
        "stale timestamp": sign(payload, [WEBHOOK_SECRET], timestamp=int(time.time()) - 301),
        "body changed after signing": sign(payload, [WEBHOOK_SECRET]).replace("v1=", "v1=0", 1)[:-1],
        "garbage header": "not-a-signature",
    }
    for what, header in cases.items():
        response = await service.post_webhook(payload, header)
        assert response.status_code == 400, what
        assert response.json()["error"] == "invalid_signature"
    response = await service.post_webhook(tampered, sign(payload, [WEBHOOK_SECRET]))
    assert response.status_code == 400
    assert await stored(service, event["id"]) == 0


async def test_malformed_json_with_a_valid_signature_is_refused(service: PaymentsService) -> None:
    for payload in (
        b'{"id": "evt_1", "type": "invoice.paid", ',
        b'["not", "an", "event"]',
        b'{"id": "evt_x"}',
    ):
        response = await service.post_webhook(payload, sign(payload, [WEBHOOK_SECRET]))
        assert response.status_code == 400
        assert response.json()["error"] == "malformed_event"
    assert await stored(service, "evt_x") == 0


async def test_a_redelivered_event_is_stored_once(service: PaymentsService) -> None:
    event = invoice_event(service)
    for _ in range(3):
        await service.deliver(event)
    assert await stored(service, event["id"]) == 1


async def test_concurrent_deliveries_of_one_event_store_it_once(service: PaymentsService) -> None:
    event = invoice_event(service)
    payload = body(event)
    responses = await asyncio.gather(
        *(service.post_webhook(payload, sign(payload, [WEBHOOK_SECRET])) for _ in range(8))
    )
    assert {r.status_code for r in responses} == {200}
    assert await stored(service, event["id"]) == 1


async def test_concurrent_webhooks_are_stored_in_groups_each_once(service: PaymentsService) -> None:
    events = [invoice_event(service) for _ in range(40)]
    accepted = REGISTRY.get_sample_value(
        "payments_stripe_webhooks_total", {"type": "invoice.paid", "outcome": "accepted"}
    )
    intake = service.runtime.deps.intake
    groups = intake.groups
    responses = await asyncio.gather(*(service.deliver(e) for e in [*events, *events[:5]]))  # 5 twice
    assert [r.status_code for r in responses] == [200] * 45
    assert intake.groups - groups < 45, "every webhook had a transaction of its own"
    for event in events:
        assert await stored(service, event["id"]) == 1
    after = REGISTRY.get_sample_value(
        "payments_stripe_webhooks_total", {"type": "invoice.paid", "outcome": "accepted"}
    )
    assert (after or 0) - (accepted or 0) == 40  # each new once, its copies duplicates


async def test_event_types_we_do_not_handle_are_acknowledged_but_not_stored(service: PaymentsService) -> None:
    event = service.stripe.event("charge.refunded", service.stripe.fixture("customer"))
    await service.deliver(event)
    assert await stored(service, event["id"]) == 0


async def test_events_of_customers_we_do_not_know_are_acknowledged_and_ignored(
    service: PaymentsService,
) -> None:
    event = invoice_event(service)
    assert await service.handle(event) == "ignored_unknown_customer"
    metrics = (await service.client.get("/metrics")).text
    assert (
        'payments_stripe_events_processed_total{outcome="ignored_unknown_customer",type="invoice.paid"}'
        in metrics
    )
    assert 'payments_stripe_webhooks_total{outcome="signature_invalid",type="other"}' in metrics


async def test_the_body_of_a_processed_event_is_not_kept(service: PaymentsService) -> None:
    event = invoice_event(service)
    await service.handle(event)
    rows = await service.sql("SELECT payload FROM stripe_events WHERE event_id = :e", e=event["id"])
    assert rows[0].payload is None
    assert stripe_id("evt").startswith("evt_")
