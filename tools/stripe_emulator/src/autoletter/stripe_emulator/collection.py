"""Finalising and collecting invoices: charges, the retry schedule on the test clock, pay, void."""

from __future__ import annotations

import copy
from typing import Any

from autoletter.stripe_emulator import cards, debits, ibans
from autoletter.stripe_emulator.core import Emulator
from autoletter.stripe_emulator.errors import StripeError, invalid
from autoletter.stripe_emulator.invoices import recompute
from autoletter.stripe_emulator.objects import build, new_id
from autoletter.stripe_emulator.params import as_bool
from autoletter.stripe_emulator.state import Collection

REQUIRES_ACTION = (
    "This payment requires additional user action before it can be completed successfully. Payment can be "
    "completed using the PaymentIntent associated with the invoice."
)


def finalize(em: Emulator, invoice_id: str, params: dict[str, Any]) -> dict[str, Any]:
    invoice = em.state.get(invoice_id, "invoice")
    if invoice["status"] != "draft":
        raise invalid("This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                      code="invoice_not_editable")  # fmt: skip
    if "auto_advance" in params:
        invoice["auto_advance"] = as_bool(params["auto_advance"], param="auto_advance")
    customer = em.state.customers[invoice["customer"]]
    now = em.now()
    invoice["starting_balance"] = customer["balance"]
    recompute(invoice)
    invoice.update(
        status="open",
        number=f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}",
        effective_at=now,
        automatically_finalizes_at=None,
        hosted_invoice_url=em.url(f"/invoice/{invoice_id}"),
        invoice_pdf=em.url(f"/invoice/{invoice_id}/pdf"),
        ending_balance=min(invoice["total"] + invoice["starting_balance"], 0),
    )
    customer["next_invoice_sequence"] += 1
    customer["balance"] = invoice["ending_balance"]  # a credit larger than the invoice stays a credit
    invoice["status_transitions"]["finalized_at"] = now
    em.emit("invoice.finalized", invoice)
    if invoice["amount_due"] == 0:
        _mark_paid(em, invoice, amount=0)
    elif _collects_automatically(invoice):
        _schedule(em, invoice, now + int(em.config.first_attempt_delay.total_seconds()))
    return invoice


def pay(em: Emulator, invoice_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """Charge now (Stripe's invoices.pay): also for uncollectible invoices; a failure is a 402."""
    invoice = em.state.get(invoice_id, "invoice")
    if invoice["status"] == "draft":
        finalize(em, invoice_id, {"auto_advance": "false"})
    if invoice["status"] == "paid":
        raise invalid("Invoice is already paid", code="invoice_already_paid")  # hypothetical code
    if invoice["status"] == "void":
        raise invalid("This invoice has been voided and can no longer be paid.", code="invoice_not_payable")
    if _processing(em, invoice):
        raise invalid("This invoice has a payment processing; wait for it to succeed or fail.",
                      code="invoice_payment_intent_processing")  # fmt: skip
    if as_bool(params.get("paid_out_of_band", False), param="paid_out_of_band"):
        _mark_paid(em, invoice, amount=0)
        return invoice
    pm_id = params.get("payment_method") or _method(em, invoice)
    if pm_id is None:
        raise invalid("This customer has no attached payment source or default payment method.")
    pm = em.state.get(pm_id, "PaymentMethod", param="payment_method")
    if pm["customer"] != invoice["customer"]:
        raise invalid(f"The payment method {pm_id} is not attached to this invoice's customer.",
                      param="payment_method")  # fmt: skip
    result = attempt(em, invoice, manual=True, pm_id=pm_id)
    if result.needs_action:
        raise StripeError(
            402, REQUIRES_ACTION, type_="card_error", code="invoice_payment_intent_requires_action"
        )
    if not result.succeeded and result.error:
        error = {k: v for k, v in result.error.items() if k != "type"}
        raise StripeError(402, type_="card_error", **error)
    return invoice


def authenticate(em: Emulator, invoice_id: str) -> dict[str, Any]:
    """The customer completed 3D Secure on the hosted invoice page: the pending charge goes through."""
    invoice = em.state.get(invoice_id, "invoice")
    if invoice["status"] not in ("open", "uncollectible"):
        raise invalid(f"This invoice is {invoice['status']}; there is nothing to authenticate.")
    attempt(em, invoice, manual=True, pm_id=_method(em, invoice), behaviour=cards.SUCCEED)
    return invoice


def void(em: Emulator, invoice_id: str) -> dict[str, Any]:
    invoice = em.state.get(invoice_id, "invoice")
    if invoice["status"] not in ("open", "uncollectible"):
        raise invalid(f"You can only void open or uncollectible invoices; this one is {invoice['status']}.",
                      code="invoice_not_editable")  # fmt: skip
    _stop_retries(em, invoice)
    invoice["status"] = "void"
    invoice["status_transitions"]["voided_at"] = em.now()
    em.emit("invoice.voided", invoice)
    return invoice


def mark_uncollectible(em: Emulator, invoice_id: str) -> dict[str, Any]:
    invoice = em.state.get(invoice_id, "invoice")
    if invoice["status"] != "open":
        raise invalid(f"You can only mark open invoices uncollectible; this one is {invoice['status']}.")
    _stop_retries(em, invoice)
    invoice["status"] = "uncollectible"
    invoice["status_transitions"]["marked_uncollectible_at"] = em.now()
    em.emit("invoice.marked_uncollectible", invoice)
    return invoice


def attempt(
    em: Emulator, invoice: dict[str, Any], *, manual: bool, pm_id: str | None, behaviour: str | None = None
) -> cards.ChargeResult:
    """One charge of the amount remaining, recorded on the invoice's PaymentIntent, with its events."""
    amount = invoice["amount_remaining"]
    if 0 < amount < em.config.minimum_charge:
        # Stripe does not charge below its minimum: the invoice is marked paid and the amount is
        # carried to the customer's balance, to be added to their next invoice.
        customer = em.state.customers[invoice["customer"]]
        customer["balance"] += amount
        invoice["ending_balance"] = customer["balance"]
        _mark_paid(em, invoice, amount=0)
        return cards.ChargeResult("succeeded", None)
    how = behaviour or (em.state.behaviours.get(pm_id) if pm_id else None)
    if pm_id and ibans.is_debit(how):
        return _submit_debit(em, invoice, pm_id, manual=manual)
    result = cards.charge(how)
    now = em.now()
    intent = _intent(em, invoice, pm_id)
    error = copy.deepcopy(result.error)
    if error is not None and pm_id:
        error["payment_method"] = copy.deepcopy(em.state.payment_methods[pm_id])
    intent.update(status=result.intent_status, last_payment_error=error, payment_method=pm_id,
                  amount_received=amount if result.succeeded else 0,
                  next_action={"type": "use_stripe_sdk"} if result.needs_action else None)  # fmt: skip
    collection = em.state.collections.setdefault(invoice["id"], Collection())
    first = invoice["attempt_count"] == 0
    invoice["attempted"] = True
    if first or not manual:  # manual attempts after the first do not move the retry schedule
        invoice["attempt_count"] += 1
    if first:
        collection.first_attempt_at = now
    if result.succeeded:
        _mark_paid(em, invoice, amount=amount)
    elif result.needs_action:
        _stop_retries(em, invoice)  # only the customer can finish it, on the hosted invoice page
        em.emit("invoice.payment_action_required", invoice)
    else:
        _failed(em, invoice, manual=manual, first=first)
    return result


def _failed(em: Emulator, invoice: dict[str, Any], *, manual: bool, first: bool, late: bool = False) -> None:
    """An attempt failed: the next retry of the schedule (if any), then invoice.payment_failed. A debit
    that failed days later is retried no sooner than the schedule's first gap after the failure."""
    collection = em.state.collections.setdefault(invoice["id"], Collection())
    if not manual or (first and _collects_automatically(invoice)):
        when = _next_retry(em, invoice["attempt_count"], collection)
        if late and when is not None:
            when = max(when, em.now() + int(em.config.retry_schedule[0].total_seconds()))
        _schedule(em, invoice, when)
    em.emit("invoice.payment_failed", invoice)
    final = invoice["next_payment_attempt"] is None and not manual
    if final and em.config.after_final_failure == "mark_uncollectible":
        mark_uncollectible(em, invoice["id"])


def _submit_debit(em: Emulator, invoice: dict[str, Any], pm_id: str, *, manual: bool) -> cards.ChargeResult:
    """A bank debit: the invoice stays open while the PaymentIntent is processing (days)."""
    amount = invoice["amount_remaining"]
    intent = _intent(em, invoice, pm_id)
    collection = em.state.collections.setdefault(invoice["id"], Collection())
    first = invoice["attempt_count"] == 0
    invoice["attempted"] = True
    if first or not manual:
        invoice["attempt_count"] += 1
    if first:
        collection.first_attempt_at = em.now()
    _stop_retries(em, invoice)  # nothing is retried while the bank has not answered
    charge = debits.submit(em, intent, pm_id, amount, manual=manual, first=first)
    intent.update(
        status="processing",
        last_payment_error=None,
        payment_method=pm_id,
        amount_received=0,
        next_action=None,
        latest_charge=charge["id"],
        payment_method_types=["sepa_debit"],
    )
    em.emit("payment_intent.processing", intent)
    return cards.ChargeResult("processing", None)


def _run_debit_step(em: Emulator, when: int, object_id: str, kind: str) -> None:
    step = debits.take(em, when, object_id, kind)
    if step.kind == "dispute_open":
        debits.open_dispute(em, step)
        return
    if step.kind == "dispute_close":
        debits.close_dispute(em, step)
        return
    succeeded = debits.settle(em, step)
    charge = debits.charge_of(em, step.object_id)
    invoice = _invoice_of_intent(em, charge["payment_intent"])
    if invoice is None or invoice["status"] not in ("open", "uncollectible"):
        return  # voided (or paid out of band) meanwhile: the bank's answer changes no invoice
    if succeeded:
        _mark_paid(em, invoice, amount=charge["amount"])
    else:
        _failed(em, invoice, manual=step.manual, first=step.first, late=True)


def _processing(em: Emulator, invoice: dict[str, Any]) -> bool:
    payment = _payment(em, invoice)
    if payment is None:
        return False
    return bool(em.state.payment_intents[payment["payment"]["payment_intent"]]["status"] == "processing")


def _invoice_of_intent(em: Emulator, intent_id: str) -> dict[str, Any] | None:
    payment = next(
        (p for p in em.state.invoice_payments.values() if p["payment"]["payment_intent"] == intent_id), None
    )
    return em.state.invoices.get(payment["invoice"]) if payment else None


def run_due(em: Emulator, until: int | None = None) -> int:
    """Run, in time order, every automatic step due by `until` (default: now), moving the clock to each."""
    target = em.now() if until is None else until
    ran = 0
    while True:
        due = _next_due(em, target)
        if due is None:
            break
        when, invoice_id, step = due
        em.clock.advance_to(when)
        if step.startswith("debit:"):
            _run_debit_step(em, when, invoice_id, step.removeprefix("debit:"))
            ran += 1
            continue
        invoice = em.state.invoices[invoice_id]
        if step == "finalize":
            finalize(em, invoice_id, {})
        else:
            em.state.collections[invoice_id].due_at = None
            attempt(em, invoice, manual=False, pm_id=_method(em, invoice))
        ran += 1
    em.clock.advance_to(target)
    em.dispatcher.release_due()  # webhook retries the clock has reached
    return ran


def _next_due(em: Emulator, target: int) -> tuple[int, str, str] | None:
    steps: list[tuple[int, str, str]] = []
    for invoice_id, invoice in em.state.invoices.items():
        collection = em.state.collections.get(invoice_id)
        if invoice["status"] == "open" and collection and collection.due_at is not None:
            steps.append((collection.due_at, invoice_id, "charge"))
        elif invoice["status"] == "draft" and invoice["automatically_finalizes_at"] is not None:
            steps.append((invoice["automatically_finalizes_at"], invoice_id, "finalize"))
    due = [s for s in steps if s[0] <= target] + debits.due_steps(em, target)
    return min(due) if due else None


def _next_retry(em: Emulator, attempt_count: int, collection: Collection) -> int | None:
    """attempt n failed → retry n of the schedule (offsets from the first attempt); none after the last."""
    schedule = em.config.retry_schedule
    if collection.first_attempt_at is None or attempt_count > len(schedule):
        return None
    return collection.first_attempt_at + int(schedule[attempt_count - 1].total_seconds())


def _schedule(em: Emulator, invoice: dict[str, Any], when: int | None) -> None:
    em.state.collections.setdefault(invoice["id"], Collection()).due_at = when
    invoice["next_payment_attempt"] = when


def _stop_retries(em: Emulator, invoice: dict[str, Any]) -> None:
    _schedule(em, invoice, None)


def _collects_automatically(invoice: dict[str, Any]) -> bool:
    return bool(invoice["auto_advance"]) and invoice["collection_method"] == "charge_automatically"


def _method(em: Emulator, invoice: dict[str, Any]) -> str | None:
    customer = em.state.customers[invoice["customer"]]
    method: str | None = (
        invoice["default_payment_method"] or customer["invoice_settings"]["default_payment_method"]
    )
    return method


def _mark_paid(em: Emulator, invoice: dict[str, Any], *, amount: int) -> None:
    _stop_retries(em, invoice)
    invoice.update(status="paid", amount_paid=amount, amount_remaining=0)
    invoice["status_transitions"]["paid_at"] = em.now()
    payment = _payment(em, invoice)
    if payment is not None and amount:
        payment.update(status="paid", amount_paid=amount)
        payment["status_transitions"]["paid_at"] = em.now()
    em.emit("invoice.paid", invoice)
    if amount:
        em.emit("invoice.payment_succeeded", invoice)


def _payment(em: Emulator, invoice: dict[str, Any]) -> dict[str, Any] | None:
    return next((p for p in em.state.invoice_payments.values() if p["invoice"] == invoice["id"]), None)


def _intent(em: Emulator, invoice: dict[str, Any], pm_id: str | None) -> dict[str, Any]:
    """The invoice's PaymentIntent, created on the first attempt and reused by every retry (as Stripe)."""
    payment = _payment(em, invoice)
    if payment is not None:
        return em.state.payment_intents[payment["payment"]["payment_intent"]]
    intent_id = new_id("pi_")
    intent = build(
        "payment_intent", id=intent_id, amount=invoice["amount_remaining"], currency=invoice["currency"],
        customer=invoice["customer"], created=em.now(), description=f"Invoice {invoice['number']}",
        payment_method=pm_id, payment_method_types=["card"], capture_method="automatic",
        confirmation_method="automatic", client_secret=f"{intent_id}_secret_{new_id('', 24)}", metadata={},
    )  # fmt: skip
    em.state.payment_intents[intent_id] = intent
    payment = build(
        "invoice_payment", id=new_id("inpay_"), amount_requested=invoice["amount_remaining"],
        amount_paid=None, created=em.now(), currency=invoice["currency"], invoice=invoice["id"],
        is_default=True, livemode=False, status="open",
        payment={"type": "payment_intent", "payment_intent": intent_id},
        status_transitions={"canceled_at": None, "paid_at": None},
    )  # fmt: skip
    em.state.invoice_payments[payment["id"]] = payment
    return intent
