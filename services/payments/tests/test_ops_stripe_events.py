"""Ops routes: stored Stripe events that failed for good are listed, shown and replayed (DESIGN §4)."""

from __future__ import annotations

from conftest import PaymentsService

from autoletter.payments.adapters import event_store
from autoletter.payments.adapters.stripe_events import parse_event
from autoletter.runtime.auth import OPS_ROLE


async def _failed_for_good(service: PaymentsService, event: dict[str, object], customer: str) -> None:
    """Store the event and give it up in one transaction, as the processor does after its last attempt."""
    event_id, event_type, created, raw = parse_event(event)
    now = service.runtime.clock.now()
    async with service.runtime.sessions.begin() as session:
        await event_store.store(
            session,
            event_id=event_id,
            event_type=event_type,
            created=created,
            customer_key=customer,
            payload=raw,
            now=now,
        )
        await event_store.postpone(
            session, event_id, attempts=3, error="boom", now=now, max_attempts=3, max_backoff_s=1
        )


async def test_a_failed_stripe_event_is_listed_and_replayed_by_ops_only(
    service: PaymentsService, account: str
) -> None:
    customer = await service.complete_profile(account)
    event = service.stripe.event("checkout.session.completed", service.stripe.checkout_session(customer))
    await _failed_for_good(service, event, customer)
    ops = service.auth("ops", OPS_ROLE)

    as_customer = await service.client.get("/v1/ops/stripe-events", headers=service.auth(account))
    assert as_customer.status_code == 403
    # The role comes before the input: a customer gets 403, never a 422 about an id or a query.
    for path in ("/v1/ops/stripe-events/not-an-event", "/v1/ops/stripe-events?limit=0"):
        refused = await service.client.get(path, headers=service.auth(account))
        assert refused.status_code == 403, refused.text
    refused = await service.client.post(
        "/v1/ops/stripe-events/not-an-event/replay", headers=service.auth(account)
    )
    assert refused.status_code == 403, refused.text
    listed = await service.client.get("/v1/ops/stripe-events", params={"state": "failed"}, headers=ops)
    assert listed.status_code == 200, listed.text
    mine = [e for e in listed.json()["events"] if e["event_id"] == event["id"]]
    assert mine and mine[0]["last_error"] == "boom" and mine[0]["attempts"] == 3
    assert "payload" not in mine[0]
    shown = await service.client.get(f"/v1/ops/stripe-events/{event['id']}", headers=ops)
    assert shown.json()["state"] == "failed"

    replayed = await service.client.post(f"/v1/ops/stripe-events/{event['id']}/replay", headers=ops)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["state"] == "pending"
    assert await service.processed(event["id"]) == "default_set"  # the processor took it again
    again = await service.client.post(f"/v1/ops/stripe-events/{event['id']}/replay", headers=ops)
    assert again.status_code == 409
    assert again.json()["error"] == "not_failed"
    unknown = await service.client.get("/v1/ops/stripe-events/evt_nope", headers=ops)
    assert unknown.status_code == 404
