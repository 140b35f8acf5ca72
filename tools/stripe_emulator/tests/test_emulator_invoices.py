"""Invoices as invoicing creates them and payments follows them: charges, retries on the test clock, pay."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import stripe

from .conftest import START, Emulator, Receiver, StartEmulator
from .test_emulator_customers import DECLINES, NEEDS_AUTH, SUCCEEDS, new_customer

pytestmark = [
    pytest.mark.stripe,
    # stripe-python 15.6's HTTPXClient passes bytes as `data=`, which httpx 0.28 deprecates.
    pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning"),
]

DAY = 24 * 3600
T0 = int(START.timestamp())


async def customer_paying_with(emulator: Emulator, card: str, account: str = "acc-1") -> str:
    customer_id = await new_customer(emulator, account)
    await emulator.control("POST", f"/_emulator/portal/{customer_id}/payment-methods", {"card": card})
    return customer_id


async def issue_invoice(
    emulator: Emulator, customer_id: str, *, letters: int = 3, our_id: str = "inv-1"
) -> Any:
    """What invoicing does at a period close: a draft with our metadata, its lines, then finalise."""
    client = emulator.stripe.v1
    draft = await client.invoices.create_async(
        params={
            "customer": customer_id,
            "collection_method": "charge_automatically",
            "auto_advance": True,
            "currency": "eur",
            "metadata": {"invoice_id": our_id, "service": "standard", "period": "2026-11"},
        },
        options={"idempotency_key": f"invoice-{our_id}"},
    )
    await client.invoice_items.create_async(
        params={
            "customer": customer_id,
            "invoice": draft.id,
            "quantity": letters,
            "unit_amount_decimal": "95",
            "currency": "eur",
            "description": f"{letters} standard letters",
        }
    )
    await client.invoices.add_lines_async(
        draft.id, params={"lines": [{"amount": 30, "description": "extra sheets"}]}
    )
    return await client.invoices.finalize_invoice_async(draft.id, params={"auto_advance": True})


async def invoice_events(emulator: Emulator, receiver: Receiver, invoice_id: str) -> list[dict[str, Any]]:
    await emulator.drain()
    return [
        e
        for e in receiver.events()
        if e["type"].startswith("invoice.") and e["data"]["object"]["id"] == invoice_id
    ]


async def test_invoice_is_built_from_its_lines_and_paid_by_a_working_card(
    emulator: Emulator, receiver: Receiver
) -> None:
    customer_id = await customer_paying_with(emulator, SUCCEEDS)
    finalized = await issue_invoice(emulator, customer_id)
    assert finalized.status == "open" and finalized.amount_due == 3 * 95 + 30
    assert finalized.hosted_invoice_url.startswith(emulator.url + "/invoice/")
    assert [line.amount for line in finalized.lines.data] == [285, 30]

    invoice = await emulator.stripe.v1.invoices.retrieve_async(finalized.id)
    assert (invoice.status, invoice.amount_paid, invoice.amount_remaining) == ("paid", 315, 0)
    assert invoice.attempt_count == 1 and invoice.next_payment_attempt is None
    types = [e["type"] for e in await invoice_events(emulator, receiver, invoice.id)]
    assert types == ["invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded"]
    page = await emulator.http.get(invoice.hosted_invoice_url)
    assert "paid" in page.text and "3.15 EUR" in page.text


async def test_declined_card_is_retried_on_schedule_and_fails_for_good(
    emulator: Emulator, receiver: Receiver
) -> None:
    customer_id = await customer_paying_with(emulator, DECLINES)
    invoice = await issue_invoice(emulator, customer_id)
    first = await emulator.stripe.v1.invoices.retrieve_async(invoice.id)
    assert first.status == "open" and first.attempt_count == 1
    assert first.next_payment_attempt == T0 + 1 * DAY

    await emulator.advance(1 * DAY)  # retry 1
    await emulator.advance(1 * DAY)  # nothing due
    await emulator.advance(5 * DAY)  # retries 2 (day 3) and 3 (day 7), in order
    final = await emulator.stripe.v1.invoices.retrieve_async(invoice.id)
    assert final.status == "open" and final.attempt_count == 4 and final.next_payment_attempt is None

    failures = [
        e
        for e in await invoice_events(emulator, receiver, invoice.id)
        if e["type"] == "invoice.payment_failed"
    ]
    schedule = [
        (e["data"]["object"]["attempt_count"], e["data"]["object"]["next_payment_attempt"]) for e in failures
    ]
    assert schedule == [(1, T0 + DAY), (2, T0 + 3 * DAY), (3, T0 + 7 * DAY), (4, None)]
    assert [e["created"] for e in failures] == [T0, T0 + DAY, T0 + 3 * DAY, T0 + 7 * DAY]

    expanded = await emulator.stripe.v1.invoices.retrieve_async(
        invoice.id, params={"expand": ["payments.data.payment.payment_intent"]}
    )
    intent = expanded.payments.data[0].payment.payment_intent
    assert isinstance(intent, stripe.PaymentIntent) and intent.last_payment_error is not None
    assert (intent.last_payment_error.code, intent.last_payment_error.decline_code) == (
        "card_declined",
        "generic_decline",
    )


async def test_final_failure_can_mark_the_invoice_uncollectible(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    emulator = await start_emulator(after_final_failure="mark_uncollectible")
    invoice = await issue_invoice(emulator, await customer_paying_with(emulator, DECLINES))
    await emulator.advance(8 * DAY)
    assert (await emulator.stripe.v1.invoices.retrieve_async(invoice.id)).status == "uncollectible"
    types = [e["type"] for e in await invoice_events(emulator, receiver, invoice.id)]
    assert types[-2:] == ["invoice.payment_failed", "invoice.marked_uncollectible"]


async def test_pay_with_a_new_default_settles_an_uncollectible_invoice(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    emulator = await start_emulator(after_final_failure="mark_uncollectible", retry_schedule=())
    customer_id = await customer_paying_with(emulator, DECLINES)
    invoice = await issue_invoice(emulator, customer_id)
    assert (await emulator.stripe.v1.invoices.retrieve_async(invoice.id)).status == "uncollectible"

    with pytest.raises(stripe.CardError) as declined:
        await emulator.stripe.v1.invoices.pay_async(invoice.id)
    assert declined.value.http_status == 402 and declined.value.code == "card_declined"

    await emulator.control("POST", f"/_emulator/portal/{customer_id}/payment-methods", {"card": SUCCEEDS})
    paid = await emulator.stripe.v1.invoices.pay_async(invoice.id)
    assert paid.status == "paid" and paid.amount_paid == 315
    assert [e["type"] for e in await invoice_events(emulator, receiver, invoice.id)][-2:] == [
        "invoice.paid",
        "invoice.payment_succeeded",
    ]


async def test_card_needing_authentication_asks_for_action(emulator: Emulator, receiver: Receiver) -> None:
    invoice = await issue_invoice(emulator, await customer_paying_with(emulator, NEEDS_AUTH))
    types = [e["type"] for e in await invoice_events(emulator, receiver, invoice.id)]
    assert types[-1] == "invoice.payment_action_required"
    with pytest.raises(stripe.CardError) as err:
        await emulator.stripe.v1.invoices.pay_async(invoice.id)
    assert err.value.code == "invoice_payment_intent_requires_action"

    response = await emulator.http.post(f"/invoice/{invoice.id}/authenticate")
    assert response.status_code == 303
    assert (await emulator.stripe.v1.invoices.retrieve_async(invoice.id)).status == "paid"


async def test_void_invoice_emits_voided(emulator: Emulator, receiver: Receiver) -> None:
    invoice = await issue_invoice(emulator, await customer_paying_with(emulator, DECLINES))
    voided = await emulator.stripe.v1.invoices.void_invoice_async(invoice.id)
    assert voided.status == "void" and voided.next_payment_attempt is None
    await emulator.advance(10 * DAY)  # no retry of a voided invoice
    assert (await emulator.stripe.v1.invoices.retrieve_async(invoice.id)).attempt_count == 1
    assert [e["type"] for e in await invoice_events(emulator, receiver, invoice.id)][-1] == "invoice.voided"


async def test_amount_below_the_minimum_goes_to_the_customer_balance(emulator: Emulator) -> None:
    customer_id = await customer_paying_with(emulator, SUCCEEDS)
    small = await emulator.stripe.v1.invoices.create_async(
        params={"customer": customer_id, "auto_advance": True, "currency": "eur"}
    )
    await emulator.stripe.v1.invoice_items.create_async(
        params={"customer": customer_id, "invoice": small.id, "amount": 40, "currency": "eur"}
    )
    await emulator.stripe.v1.invoices.finalize_invoice_async(small.id)
    small = await emulator.stripe.v1.invoices.retrieve_async(small.id)
    assert (small.status, small.amount_paid) == ("paid", 0)
    assert (await emulator.stripe.v1.customers.retrieve_async(customer_id)).balance == 40

    following = await issue_invoice(emulator, customer_id, our_id="inv-2")
    assert following.starting_balance == 40 and following.amount_due == 315 + 40
    assert (await emulator.stripe.v1.customers.retrieve_async(customer_id)).balance == 0


async def test_invoices_are_found_by_our_metadata_and_listed_by_customer(emulator: Emulator) -> None:
    customer_id = await customer_paying_with(emulator, SUCCEEDS)
    other = await customer_paying_with(emulator, SUCCEEDS, account="acc-2")
    mine = await issue_invoice(emulator, customer_id, our_id="inv-mine")
    await issue_invoice(emulator, other, our_id="inv-other")

    found = await emulator.stripe.v1.invoices.search_async(
        params={"query": "metadata['invoice_id']:'inv-mine'"}
    )
    assert [i.id for i in found.data] == [mine.id]
    listed = await emulator.stripe.v1.invoices.list_async(params={"customer": customer_id, "status": "paid"})
    assert [i.id for i in listed.data] == [mine.id]


async def test_idempotency_key_replays_and_refuses_other_parameters(emulator: Emulator) -> None:
    customer_id = await new_customer(emulator)
    params: Any = {"customer": customer_id, "currency": "eur", "metadata": {"invoice_id": "inv-9"}}
    first = await emulator.stripe.v1.invoices.create_async(
        params=params, options={"idempotency_key": "close-9"}
    )
    again = await emulator.stripe.v1.invoices.create_async(
        params=params, options={"idempotency_key": "close-9"}
    )
    assert again.id == first.id
    assert len((await emulator.stripe.v1.invoices.list_async(params={"customer": customer_id})).data) == 1

    with pytest.raises(stripe.IdempotencyError):
        await emulator.stripe.v1.invoices.create_async(
            params={**params, "metadata": {"invoice_id": "inv-10"}}, options={"idempotency_key": "close-9"}
        )


async def test_lines_cannot_be_added_to_a_finalised_invoice(emulator: Emulator) -> None:
    customer_id = await customer_paying_with(emulator, SUCCEEDS)
    invoice = await issue_invoice(emulator, customer_id)
    with pytest.raises(stripe.InvalidRequestError) as err:
        await emulator.stripe.v1.invoice_items.create_async(
            params={"customer": customer_id, "invoice": invoice.id, "amount": 100, "currency": "eur"}
        )
    assert err.value.code == "invoice_not_editable"


async def test_with_a_running_clock_retries_fall_due_on_their_own(start_emulator: StartEmulator) -> None:
    emulator = await start_emulator(frozen_clock=False, retry_schedule=(timedelta(seconds=1),), tick_s=0.05)
    invoice = await issue_invoice(emulator, await customer_paying_with(emulator, DECLINES))
    assert invoice.status == "open"

    async def retried() -> bool:
        current = await emulator.stripe.v1.invoices.retrieve_async(invoice.id)
        return current.attempt_count == 2 and current.next_payment_attempt is None

    async with asyncio.timeout(10):  # a condition with a deadline: the retry is due one real second later
        while not await retried():  # noqa: ASYNC110
            await asyncio.sleep(0.1)
