"""Invoice outcomes from Stripe and the status of each service: overdue when an invoice failed for good,
active again once it is settled; never moved backwards by a late event."""

from __future__ import annotations

import asyncio
import time
import uuid

from conftest import WEBHOOK_SECRET, PaymentsService
from payments_testkit import body, sign

from autoletter.contracts.payments import PaymentFailed, PaymentSucceeded, ServiceStatusChanged
from autoletter.payments.handlers.common import stripe_correlation


def invoice_event(
    svc: PaymentsService, event_type: str, customer: str, account: str, **fields: object
) -> dict:
    return svc.stripe.event(event_type, svc.stripe.invoice(customer, account_id=account, **fields))


async def test_a_final_payment_failure_makes_that_service_overdue_and_leaves_the_other_alone(
    service: PaymentsService, account: str
) -> None:
    customer = await service.ready_account(account, "standard", "registered")
    event = invoice_event(
        service, "invoice.payment_failed", customer, account, service="standard", attempt_count=4
    )
    assert await service.handle(event) == "invoice_failed"
    assert await service.status(account, "standard") == "overdue"
    assert await service.status(account, "registered") == "active"
    (failed,) = await service.staged(account, "PaymentFailed")
    assert isinstance(failed, PaymentFailed)
    assert failed.final and failed.next_attempt_at is None and failed.attempt_count == 4
    assert (failed.service, failed.period, failed.amount_cents, failed.currency) == (
        "standard",
        "2026-10",
        950,
        "eur",
    )
    changes = [
        c for c in await service.staged(account, "ServiceStatusChanged") if c.reason == "invoice_failed"
    ]
    assert [(c.service, c.status, c.previous_status) for c in changes] == [("standard", "overdue", "active")]
    # Kafka is the record: the change is readable there, keyed by the account.
    published = await service.published(account, count=len(await service.staged(account)))
    assert any(isinstance(e, ServiceStatusChanged) and e.status == "overdue" for e in published)


async def test_a_failure_with_a_retry_scheduled_does_not_suspend_the_service(
    service: PaymentsService, account: str
) -> None:
    customer = await service.ready_account(account, "standard")
    retry_at = int(time.time()) + 3 * 86400
    event = invoice_event(
        service,
        "invoice.payment_failed",
        customer,
        account,
        service="standard",
        next_payment_attempt=retry_at,
    )
    assert await service.handle(event) == "invoice_open"
    assert await service.status(account, "standard") == "active"
    (failed,) = await service.staged(account, "PaymentFailed")
    assert not failed.final and failed.next_attempt_at is not None
    assert int(failed.next_attempt_at.timestamp()) == retry_at


async def test_paid_then_a_late_payment_failed_stays_paid(service: PaymentsService, account: str) -> None:
    customer = await service.ready_account(account, "standard")
    ids = {
        "service": "standard",
        "stripe_invoice_id": f"in_{uuid.uuid4().hex[:16]}",
        "invoice_id": str(uuid.uuid4()),
    }
    created = int(time.time())
    paid = invoice_event(service, "invoice.paid", customer, account, status="paid", **ids)
    late = service.stripe.event(
        "invoice.payment_failed",
        service.stripe.invoice(customer, account_id=account, attempt_count=1, **ids),
        created=created - 3600,
    )
    assert await service.handle(paid) == "invoice_paid"
    assert await service.handle(late) == "stale"
    assert await service.status(account, "standard") == "active"
    assert [
        type(e) for e in await service.staged(account) if isinstance(e, PaymentSucceeded | PaymentFailed)
    ] == [PaymentSucceeded]
    rows = await service.sql(
        "SELECT state FROM invoices WHERE stripe_invoice_id = :i", i=ids["stripe_invoice_id"]
    )
    assert rows[0].state == "paid"


async def test_duplicate_and_concurrent_deliveries_have_one_effect(
    service: PaymentsService, account: str
) -> None:
    customer = await service.ready_account(account, "registered")
    event = invoice_event(service, "invoice.payment_failed", customer, account, service="registered")
    payload = body(event)
    await asyncio.gather(*(service.post_webhook(payload, sign(payload, [WEBHOOK_SECRET])) for _ in range(6)))
    await service.processed(event["id"])
    await service.deliver(event)  # and once more, later
    await service.processed(event["id"])
    assert len(await service.staged(account, "PaymentFailed")) == 1
    assert (
        len([c for c in await service.staged(account, "ServiceStatusChanged") if c.status == "overdue"]) == 1
    )


async def test_marked_uncollectible_is_final_and_voiding_settles_it(
    service: PaymentsService, account: str
) -> None:
    customer = await service.ready_account(account, "standard")
    ids = {
        "service": "standard",
        "stripe_invoice_id": f"in_{uuid.uuid4().hex[:16]}",
        "invoice_id": str(uuid.uuid4()),
    }
    retry_at = int(time.time()) + 86400
    steps = [
        ("invoice.payment_failed", {"next_payment_attempt": retry_at}, "invoice_open", "active"),
        ("invoice.marked_uncollectible", {"status": "uncollectible"}, "invoice_failed", "overdue"),
        ("invoice.voided", {"status": "void"}, "invoice_void", "active"),
    ]
    for event_type, fields, outcome, status in steps:
        assert (
            await service.handle(invoice_event(service, event_type, customer, account, **ids, **fields))
            == outcome
        )
        assert await service.status(account, "standard") == status
    reasons = [c.reason for c in await service.staged(account, "ServiceStatusChanged")]
    assert reasons[-2:] == ["invoice_failed", "invoices_settled"]
    assert [e.event_type for e in await service.staged(account)][-1] in (
        "InvoiceVoided",
        "ServiceStatusChanged",
    )
    assert len(await service.staged(account, "InvoiceVoided")) == 1


async def test_action_required_is_not_final_and_the_overview_links_the_hosted_invoice(
    service: PaymentsService, account: str
) -> None:
    customer = await service.ready_account(account, "registered")
    event = invoice_event(service, "invoice.payment_action_required", customer, account, service="registered")
    assert await service.handle(event) == "invoice_open"
    (failed,) = await service.staged(account, "PaymentFailed")
    assert not failed.final and failed.failure_code == "authentication_required"
    assert await service.status(account, "registered") == "active"
    overview = (
        await service.client.get(f"/v1/accounts/{account}/billing", headers=service.auth(account))
    ).json()
    (owed,) = overview["outstanding_invoices"]
    assert owed["hosted_invoice_url"] == event["data"]["object"]["hosted_invoice_url"]
    assert owed["failure_code"] == "authentication_required" and not owed["failed_for_good"]


async def test_deactivating_and_reactivating_with_an_unpaid_invoice_gives_overdue(
    service: PaymentsService, account: str
) -> None:
    customer = await service.ready_account(account, "standard")
    await service.handle(
        invoice_event(service, "invoice.payment_failed", customer, account, service="standard")
    )
    url = f"/v1/accounts/{account}/services/standard"
    off = await service.client.post(f"{url}/deactivate", headers=service.auth(account))
    assert off.json()["status"] == "inactive"
    on = await service.client.post(f"{url}/activate", headers=service.auth(account))
    assert on.json()["status"] == "overdue"
    overview = (
        await service.client.get(f"/v1/accounts/{account}/billing", headers=service.auth(account))
    ).json()
    standard = next(s for s in overview["services"] if s["service"] == "standard")
    assert (standard["status"], standard["reason"], standard["activated"]) == ("overdue", "activated", True)
    assert standard["since"] is not None


async def test_a_new_default_with_unpaid_invoices_asks_stripe_to_pay_them(
    service: PaymentsService, account: str
) -> None:
    customer = await service.ready_account(account, "standard", "registered")
    unpaid = []
    for svc in ("standard", "registered"):
        event = invoice_event(service, "invoice.payment_failed", customer, account, service=svc)
        await service.handle(event)
        unpaid.append(event["data"]["object"]["id"])
    new_pm = service.stripe.payment_method(customer)
    old = await service.default_of(account)
    update = service.stripe.event(
        "customer.updated",
        service.stripe.customer(customer, new_pm["id"]),
        previous={"invoice_settings": {"default_payment_method": old}},
    )
    assert await service.handle(update) == "default_set"
    pays = [args for args in service.gateway.made("pay_invoice") if args[0] in unpaid]
    assert sorted(p[:2] for p in pays) == sorted((invoice, new_pm["id"]) for invoice in unpaid)
    # Keyed by the event that set the default: choosing the same method again later asks anew.
    assert {p[2] for p in pays} == {str(stripe_correlation(update["id"]))}
    # The services stay overdue until Stripe reports the invoices paid.
    assert await service.status(account, "standard") == "overdue"
    for svc_invoice, svc in zip(unpaid, ("standard", "registered"), strict=True):
        paid = invoice_event(
            service,
            "invoice.paid",
            customer,
            account,
            service=svc,
            status="paid",
            stripe_invoice_id=svc_invoice,
        )
        await service.handle(paid)
    assert await service.status(account, "standard") == "active"
    assert await service.status(account, "registered") == "active"


async def test_invoices_without_our_metadata_are_acknowledged_and_ignored(
    service: PaymentsService, account: str
) -> None:
    customer = await service.ready_account(account, "standard")
    event = invoice_event(
        service, "invoice.payment_failed", customer, account, service="standard", with_metadata=False
    )
    assert await service.handle(event) == "ignored_not_ours"
    foreign = invoice_event(
        service, "invoice.payment_failed", customer, "acc-someone-else", service="standard"
    )
    assert await service.handle(foreign) == "ignored_account_mismatch"
    assert await service.status(account, "standard") == "active"
    assert await service.staged(account, "PaymentFailed") == []
