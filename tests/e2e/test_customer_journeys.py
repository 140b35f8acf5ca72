"""The customer journeys of the help article, end to end: services as separate processes, real Kafka
and PostgreSQL, the Stripe emulator (checked against stripe-mock) and its test clock."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import journeys as j
from otlp_receiver import ReceivedSpan
from reconciliation_checks import assert_reconciled
from system import System, body

from autoletter.runtime.testing import wait_for


def new_account() -> str:
    return f"acc-{uuid.uuid4().hex[:10]}"


async def test_incomplete_profile_refuses_checkout_until_completed(system: System) -> None:
    account = new_account()
    async with system.client("profile", account) as profile:
        response = await profile.put(f"/v1/accounts/{account}/profile", json={"name": "Atelier Martin"})
        assert response.status_code == 200, response.text
        assert body(response)["missing"] == ["email", "address"]
    async with system.client("payments", account) as payments:

        async def refused_naming_missing() -> bool:
            r = await payments.post(f"/v1/accounts/{account}/payment-method/checkout", json={})
            return r.status_code == 409 and body(r)["details"].get("missing") == ["email", "address"]

        await wait_for(refused_naming_missing, 30, "checkout refused naming email and address")
        refusal = await payments.post(f"/v1/accounts/{account}/payment-method/checkout", json={})
        assert body(refusal)["error"] == "profile_incomplete"

    customer_id = await j.complete_profile(system, account)
    await j.events(system, "profile.events", account, "ProfileCompleted")
    async with system.emulator() as emulator:
        customer = await emulator.get(
            f"/v1/customers/{customer_id}", headers={"Authorization": "Bearer sk_test_123"}
        )
        assert customer.status_code == 200, customer.text
        assert body(customer)["metadata"]["account_id"] == account


async def test_good_card_letters_sent_billed_and_paid(system: System) -> None:
    account = new_account()
    await j.complete_profile(system, account)
    await j.add_card(system, account, j.GOOD_CARD)
    await j.activate(system, account, "standard")

    receipts = [await j.send_letter(system, account) for _ in range(3)]
    # Letters learns the status from Kafka: a letter racing that event waits as status_pending.
    assert all(r["status"] in ("accepted", "sent") or r["reason"] == "status_pending" for r in receipts), (
        receipts
    )
    await j.events(system, "letters.events", account, "LetterSent", count=3)

    period = j.period_of(j.now(system))
    async with system.client("invoicing", account) as invoicing:

        async def usage_shows_three() -> bool:
            usage = body(await invoicing.get(f"/v1/accounts/{account}/usage", params={"period": period}))
            return _letters(usage, "standard") == 3

        await wait_for(usage_shows_three, 60, "usage of 3 standard letters")

    await j.advance_past(system, j.next_month_start(j.now(system)))
    await j.close_period(system, period)
    [issued] = await j.events(system, "invoicing.events", account, "InvoiceIssued")
    assert issued.letters == 3 and issued.amount_cents == 3 * 95  # type: ignore[attr-defined]
    await j.events(system, "payments.events", account, "PaymentSucceeded")

    async def invoice_paid() -> bool:
        return [i["state"] for i in await j.invoices(system, account)] == ["paid"]

    await wait_for(invoice_paid, 60, "the invoice to be paid")
    # Letters, usage, our invoices, payments and Stripe agree on the closed period (DESIGN §5).
    report = await assert_reconciled(system, period)
    assert report["checked"]["letters"] >= 3 and report["checked"]["invoices"] >= 1, report


async def test_failing_card_goes_overdue_holds_letters_and_recovers_with_a_new_card(system: System) -> None:
    account = new_account()
    customer_id = await j.complete_profile(system, account)
    await j.add_card(system, account, j.DECLINING_CARD)
    await j.activate(system, account, "standard")
    await j.activate(system, account, "registered")
    await j.send_letter(system, account, "standard")
    await j.events(system, "letters.events", account, "LetterSent")

    period = j.period_of(j.now(system))
    await j.consumer_caught_up(system, "invoicing.usage", "letters.events")
    await j.advance_past(system, j.next_month_start(j.now(system)))
    await j.close_period(system, period)
    await j.events(system, "payments.events", account, "PaymentFailed", final=False)

    for _ in range(3):  # Stripe's retries, a week in all
        await system.advance(timedelta(days=3))
    await j.events(system, "payments.events", account, "PaymentFailed", final=True)
    await j.events(
        system, "payments.events", account, "ServiceStatusChanged", service="standard", status="overdue"
    )
    async with system.client("payments", account) as payments:
        overview = body(await payments.get(f"/v1/accounts/{account}/billing"))
    statuses = {s["service"]: s["status"] for s in overview["services"]}
    assert statuses == {"standard": "overdue", "registered": "active"}
    assert overview["outstanding_invoices"], overview

    # Letters decides from its own copy of the status: once it has read the overdue status, letters wait.
    held = await j.held_while_overdue(system, account)

    await j.recover_with_a_card_in_the_portal(
        system, account, customer_id
    )  # the customer changes the card in the portal
    sent = await j.events(system, "letters.events", account, "LetterSent", count=2)
    assert str(sent[-1].letter_id) == held["letter_id"]  # type: ignore[attr-defined]

    period = j.period_of(j.now(system))
    await j.consumer_caught_up(system, "invoicing.usage", "letters.events")  # the ledger has the letter
    await j.advance_past(system, j.next_month_start(j.now(system)))
    await j.close_period(system, period)
    issued = await j.events(system, "invoicing.events", account, "InvoiceIssued", count=2)
    assert issued[-1].letters == 1  # type: ignore[attr-defined]
    # The month whose invoice failed for good and was then paid adds up everywhere (DESIGN §5).
    await assert_reconciled(system, str(issued[0].period))  # type: ignore[attr-defined]


def _letters(usage: Any, service: str) -> int:
    rows = usage.get("services", usage) if isinstance(usage, dict) else usage
    if isinstance(rows, dict):
        return int(rows.get(service, {}).get("letters", 0))
    return sum(int(r.get("letters", 0)) for r in rows if r.get("service") == service)


async def test_a_customer_stripe_already_has_for_the_account_is_reused_not_duplicated(system: System) -> None:
    """Idempotency keys are forgotten after a day: payments finds the customer by our metadata."""
    account = new_account()
    async with system.emulator() as emulator:
        earlier = await emulator.post(
            "/v1/customers",
            headers={"Authorization": "Bearer sk_test_123"},
            data={"name": "Atelier Martin", "metadata[account_id]": account},
        )
        assert earlier.status_code == 200, earlier.text
    customer_id = await j.complete_profile(system, account)
    assert customer_id == body(earlier)["id"]


# --- Traces: one letter is one trace, from its submission to its usage line ---

SERVER, CONSUMER = 2, 5  # OTLP span kinds


def usage_span_of(system: System, sent: Any) -> ReceivedSpan | None:
    """Invoicing's span for recording this LetterSent (the ledger continues the letter's trace)."""
    assert system.traces is not None
    for span in system.traces.spans:
        if span.service == "invoicing" and span.attributes.get("messaging.message.id") == str(sent.event_id):
            return span
    return None


def submission_in(system: System, trace_id: str) -> ReceivedSpan | None:
    assert system.traces is not None
    return next(
        (
            s
            for s in system.traces.trace(trace_id)
            if s.service == "letters" and s.kind == SERVER and s.name.startswith("POST /v1/accounts/")
        ),
        None,
    )


async def test_one_letter_is_one_trace_from_submission_to_its_usage_line(system: System) -> None:
    account = new_account()
    await j.complete_profile(system, account)
    await j.add_card(system, account, j.GOOD_CARD)
    await j.activate(system, account, "standard")
    await j.consumer_caught_up(system, "letters.service-status", "payments.events")
    receipt = await j.send_letter(system, account)
    assert receipt["status"] in ("accepted", "sent"), receipt
    [sent] = await j.events(system, "letters.events", account, "LetterSent")

    await wait_for(lambda: usage_span_of(system, sent) is not None, 30, "invoicing's span for the letter")
    usage = usage_span_of(system, sent)
    assert usage is not None and usage.kind == CONSUMER
    assert usage.attributes["messaging.system"] == "kafka"
    await wait_for(lambda: submission_in(system, usage.trace_id) is not None, 30, "the submission span")
    # The dispatch, in the same trace. Its span is exported in another batch than the request's, so
    # it may arrive after it.
    await wait_for(lambda: dispatch_in(system, usage.trace_id), 30, "the dispatch span in the letter's trace")


def dispatch_in(system: System, trace_id: str) -> bool:
    assert system.traces is not None
    return any((s.service, s.name) == ("letters", "send letter") for s in system.traces.trace(trace_id))


async def test_a_held_letter_released_later_stays_in_its_trace_and_links_the_release(system: System) -> None:
    account = new_account()
    await j.complete_profile(system, account)
    await j.add_card(system, account, j.GOOD_CARD)
    await j.activate(system, account, "standard")
    # The profile loses its e-mail and address: the service is blocked, a new letter is held.
    async with system.client("profile", account) as profile:
        response = await profile.put(f"/v1/accounts/{account}/profile", json={"name": "Atelier Martin"})
        assert response.status_code == 200, response.text
    await j.events(system, "payments.events", account, "ServiceStatusChanged", status="blocked")
    await j.consumer_caught_up(system, "letters.service-status", "payments.events")
    receipt = await j.send_letter(system, account)
    assert (receipt["status"], receipt["reason"]) == ("held", "profile_incomplete"), receipt

    await j.complete_profile(system, account)  # another request, another trace: it releases the letter
    [sent] = await j.events(system, "letters.events", account, "LetterSent")
    await wait_for(lambda: usage_span_of(system, sent) is not None, 30, "invoicing's span for the letter")
    usage = usage_span_of(system, sent)
    assert usage is not None
    await wait_for(lambda: submission_in(system, usage.trace_id) is not None, 30, "the submission span")
    assert system.traces is not None
    traces = system.traces

    def released() -> list[ReceivedSpan]:
        return [s for s in traces.trace(usage.trace_id) if s.name == "letter accepted"]

    # Each process exports its spans in its own batches: wait for each span rather than assume order.
    await wait_for(lambda: bool(released()), 30, "the release span in the letter's trace")
    assert len(released()) == 1, [s.name for s in traces.trace(usage.trace_id)]
    [(linked_trace, _)] = released()[0].links
    assert linked_trace != usage.trace_id  # the release happened in the profile request's trace
    await wait_for(
        lambda: any(s.service == "letters" and s.kind == CONSUMER for s in traces.trace(linked_trace)),
        30,
        "letters' consumer span in the release's trace",
    )
    await wait_for(
        lambda: any(s.service == "profile" and s.kind == SERVER for s in traces.trace(linked_trace)),
        30,
        "profile's request span in the release's trace",
    )
