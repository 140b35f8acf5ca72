"""SEPA Direct Debit: IBAN and mandate at setup, debits processing for days on the test clock, late
failures, disputes closed lost, and Invoice Payments mapping PaymentIntents to invoices."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Emulator, Receiver
from .test_emulator_customers import new_customer
from .test_emulator_invoices import issue_invoice

pytestmark = [
    pytest.mark.stripe,
    pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning"),
]

DAY = 24 * 3600
SUCCEEDS, SUCCEEDS_LATE = "DE89370400440532013000", "DE08370400440532013003"
FAILS, FAILS_LATE, DISPUTED = "DE62370400440532013001", "DE78370400440532013004", "DE35370400440532013002"


async def debit_customer(emulator: Emulator, iban: str) -> tuple[str, str]:
    """A customer whose default method is a debit from `iban`, set up through Checkout."""
    customer_id = await new_customer(emulator)
    session = await emulator.stripe.v1.checkout.sessions.create_async(
        params={
            "mode": "setup",
            "customer": customer_id,
            "currency": "eur",
            "payment_method_types": ["card", "sepa_debit"],
            "success_url": "https://app.example/billing?session={CHECKOUT_SESSION_ID}",
        }
    )
    await emulator.control("POST", f"/_emulator/checkout/{session.id}/complete", {"iban": iban})
    done = await emulator.stripe.v1.checkout.sessions.retrieve_async(
        session.id, params={"expand": ["setup_intent"]}
    )
    pm_id = done.setup_intent.payment_method
    await emulator.stripe.v1.customers.update_async(
        customer_id, params={"invoice_settings": {"default_payment_method": pm_id}}
    )
    return customer_id, done.setup_intent.mandate


async def events_of(emulator: Emulator, receiver: Receiver, prefix: str) -> list[dict[str, Any]]:
    await emulator.drain()
    return [e for e in receiver.events() if e["type"].startswith(prefix)]


async def test_checkout_saves_an_iban_as_display_facts_and_a_mandate(emulator: Emulator) -> None:
    customer_id, mandate_id = await debit_customer(emulator, SUCCEEDS)
    methods = await emulator.stripe.v1.payment_methods.list_async(params={"customer": customer_id})
    (pm,) = methods.data
    assert pm.type == "sepa_debit"
    assert (pm.sepa_debit.last4, pm.sepa_debit.bank_code, pm.sepa_debit.country) == ("3000", "37040044", "DE")
    mandate = await emulator.stripe.v1.mandates.retrieve_async(mandate_id)
    assert mandate.payment_method == pm.id and mandate.status == "active"
    shown = await emulator.http.get(mandate.payment_method_details.sepa_debit.url.removeprefix(emulator.url))
    assert shown.status_code == 200 and "mandate" in shown.text.lower() and SUCCEEDS not in shown.text
    assert SUCCEEDS not in (await emulator.http.get("/_emulator/webhooks")).text


async def test_a_debit_is_processing_for_days_then_pays_the_invoice(
    emulator: Emulator, receiver: Receiver
) -> None:
    customer_id, mandate_id = await debit_customer(emulator, SUCCEEDS)
    invoice = await issue_invoice(emulator, customer_id)
    assert (await emulator.stripe.v1.invoices.retrieve_async(invoice.id)).status == "open"
    (processing,) = await events_of(emulator, receiver, "payment_intent.processing")
    intent_id = processing["data"]["object"]["id"]
    payments = await emulator.stripe.v1.invoice_payments.list_async(
        params={"payment": {"type": "payment_intent", "payment_intent": intent_id}}
    )
    assert [p.invoice for p in payments.data] == [invoice.id]
    with pytest.raises(Exception, match="processing"):
        await emulator.stripe.v1.invoices.pay_async(invoice.id)

    await emulator.advance(2 * DAY - 60)
    assert (await emulator.stripe.v1.invoices.retrieve_async(invoice.id)).status == "open"
    await emulator.advance(60)
    assert (await emulator.stripe.v1.invoices.retrieve_async(invoice.id)).status == "paid"
    (charge,) = (await emulator.stripe.v1.charges.list_async(params={"payment_intent": intent_id})).data
    assert charge.status == "succeeded"
    assert charge.payment_method_details.sepa_debit.mandate == mandate_id
    types = [e["type"] for e in await events_of(emulator, receiver, "")]
    assert types.index("payment_intent.processing") < types.index("invoice.paid")


async def test_a_debit_that_fails_late_is_an_ordinary_failure_with_retries(
    emulator: Emulator, receiver: Receiver
) -> None:
    customer_id, _ = await debit_customer(emulator, FAILS_LATE)
    invoice = await issue_invoice(emulator, customer_id)
    await emulator.advance(5 * DAY - 60)
    assert not await events_of(emulator, receiver, "invoice.payment_failed")
    await emulator.advance(60)
    (failed,) = await events_of(emulator, receiver, "invoice.payment_failed")
    assert failed["data"]["object"]["id"] == invoice.id
    assert failed["data"]["object"]["next_payment_attempt"] is not None
    intent = await emulator.stripe.v1.payment_intents.retrieve_async(
        (await events_of(emulator, receiver, "payment_intent.payment_failed"))[0]["data"]["object"]["id"]
    )
    assert intent.last_payment_error.code == "insufficient_funds"
    await emulator.advance(30 * DAY)  # every retry is a debit that fails late too
    failures = await events_of(emulator, receiver, "invoice.payment_failed")
    assert len(failures) == 4 and failures[-1]["data"]["object"]["next_payment_attempt"] is None


async def test_a_disputed_debit_is_charged_back_and_the_dispute_closes_lost(
    emulator: Emulator, receiver: Receiver
) -> None:
    customer_id, _ = await debit_customer(emulator, DISPUTED)
    invoice = await issue_invoice(emulator, customer_id)
    await emulator.advance(2 * DAY)
    assert (await emulator.stripe.v1.invoices.retrieve_async(invoice.id)).status == "paid"
    await emulator.advance(14 * DAY)
    (created,) = await events_of(emulator, receiver, "charge.dispute.created")
    assert created["data"]["object"]["status"] == "needs_response"
    assert not await events_of(emulator, receiver, "charge.dispute.closed")
    await emulator.advance(DAY)
    (closed,) = await events_of(emulator, receiver, "charge.dispute.closed")
    dispute = closed["data"]["object"]
    assert dispute["status"] == "lost" and dispute["amount"] == invoice.amount_due
    charge = await emulator.stripe.v1.charges.retrieve_async(dispute["charge"])
    assert charge.disputed and charge.payment_intent == dispute["payment_intent"]
    assert (await emulator.stripe.v1.invoices.retrieve_async(invoice.id)).status == "paid"  # as Stripe


async def test_an_iban_added_in_the_portal_gets_a_mandate_and_an_unknown_one_is_refused(
    emulator: Emulator,
) -> None:
    customer_id = await new_customer(emulator)
    pm = await emulator.control("POST", f"/_emulator/portal/{customer_id}/payment-methods", {"iban": FAILS})
    assert pm["sepa_debit"]["last4"] == "3001" and "card" not in pm
    refused = await emulator.http.post(
        f"/_emulator/portal/{customer_id}/payment-methods", json={"iban": "DE00123456780000000000"}
    )
    assert refused.status_code == 400 and "DE00123456780000000000" not in refused.text


def test_a_snapshot_saved_before_debits_existed_still_loads() -> None:
    """The state file outlives emulator versions: fields added since take their defaults."""
    import pickle

    from autoletter.stripe_emulator.state import State

    old = State()
    for name in ("charges", "disputes", "mandates", "debit_steps"):
        del old.__dict__[name]
    loaded = pickle.loads(pickle.dumps(old))  # noqa: S301 - our own bytes
    assert (loaded.charges, loaded.disputes, loaded.mandates, loaded.debit_steps) == ({}, {}, {}, [])
