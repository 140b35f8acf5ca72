"""SEPA Direct Debit: mandates, the charge of a debit, its settlement and dispute on the test clock.

A debit is submitted (charge `pending`, PaymentIntent `processing`) and ends when the clock passes
its settlement; collection.py applies the outcome to the invoice. Only display facts of the IBAN
(last 4, bank code, country) are kept.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from autoletter.stripe_emulator import ibans
from autoletter.stripe_emulator.core import Emulator
from autoletter.stripe_emulator.objects import build, new_id
from autoletter.stripe_emulator.state import DebitStep

FAILURE_CODE = "insufficient_funds"
FAILURE_MESSAGE = "The customer's account has insufficient funds to cover this payment."


def new_mandate(em: Emulator, pm_id: str) -> dict[str, Any]:
    """The multi-use mandate the customer accepted with the IBAN (online, at setup)."""
    mandate_id = new_id("mandate_")
    mandate = build(
        "mandate",
        id=mandate_id,
        payment_method=pm_id,
        customer_acceptance={
            "accepted_at": em.now(),
            "online": {"ip_address": "127.0.0.1", "user_agent": "Stripe emulator"},
            "type": "online",
        },
        payment_method_details={
            "type": "sepa_debit",
            "sepa_debit": {"reference": new_id("", 16).upper(), "url": em.url(f"/mandate/{mandate_id}")},
        },
        status="active",
        type="multi_use",
    )
    em.state.mandates[mandate_id] = mandate
    return mandate


def mandate_of(em: Emulator, pm_id: str) -> str | None:
    return next((m["id"] for m in em.state.mandates.values() if m["payment_method"] == pm_id), None)


def submit(
    em: Emulator, intent: dict[str, Any], pm_id: str, amount: int, *, manual: bool, first: bool
) -> dict[str, Any]:
    """A debit sent to the bank: a pending charge, settled when the clock passes its delay."""
    pm = em.state.payment_methods[pm_id]
    behaviour = em.state.behaviours[pm_id]
    delay = em.config.debit_late_settlement if ibans.late(behaviour) else em.config.debit_settlement
    settles_at = em.now() + int(delay.total_seconds())
    debit = pm["sepa_debit"]
    charge = build(
        "charge",
        id=new_id("ch_"),
        amount=amount,
        amount_captured=amount,
        currency=intent["currency"],
        customer=intent["customer"],
        created=em.now(),
        description=intent["description"],
        payment_intent=intent["id"],
        payment_method=pm_id,
        payment_method_details={
            "type": "sepa_debit",
            "sepa_debit": {
                "bank_code": debit["bank_code"],
                "branch_code": debit["branch_code"],
                "country": debit["country"],
                "expected_debit_date": datetime.fromtimestamp(settles_at, UTC).date().isoformat(),
                "fingerprint": debit["fingerprint"],
                "last4": debit["last4"],
                "mandate": mandate_of(em, pm_id),
            },
        },
        status="pending",
        paid=False,
        captured=True,
        disputed=False,
        metadata={},
    )
    em.state.charges[charge["id"]] = charge
    _plan(em, DebitStep(settles_at, charge["id"], "settle", manual=manual, first=first))
    em.emit("charge.pending", charge)
    return charge


def settle(em: Emulator, step: DebitStep) -> bool:
    """The bank answered: the charge and its PaymentIntent succeed or fail. True when it succeeded."""
    charge = em.state.charges[step.object_id]
    intent = em.state.payment_intents[charge["payment_intent"]]
    behaviour = em.state.behaviours.get(charge["payment_method"], ibans.DEBIT_FAIL)
    if ibans.succeeds(behaviour):
        charge.update(status="succeeded", paid=True)
        intent.update(status="succeeded", amount_received=charge["amount"], last_payment_error=None)
        em.emit("charge.succeeded", charge)
        em.emit("payment_intent.succeeded", intent)
        if behaviour == ibans.DEBIT_DISPUTE:
            _plan(em, DebitStep(_after(em, em.config.dispute_opens_after), charge["id"], "dispute_open"))
        return True
    charge.update(status="failed", paid=False, failure_code=FAILURE_CODE, failure_message=FAILURE_MESSAGE)
    error = {
        "type": "card_error",  # Stripe reports a returned debit with the card_error type too
        "code": FAILURE_CODE,
        "decline_code": None,
        "message": FAILURE_MESSAGE,
        "charge": charge["id"],
        "payment_method": copy.deepcopy(em.state.payment_methods[charge["payment_method"]]),
    }
    intent.update(status="requires_payment_method", amount_received=0, last_payment_error=error)
    em.emit("charge.failed", charge)
    em.emit("payment_intent.payment_failed", intent)
    return False


def open_dispute(em: Emulator, step: DebitStep) -> None:
    """The customer's bank charged the debit back (SEPA: cannot be contested, so it will close lost)."""
    charge = em.state.charges[step.object_id]
    dispute = build(
        "dispute",
        id=new_id("dp_"),
        amount=charge["amount"],
        charge=charge["id"],
        currency=charge["currency"],
        created=em.now(),
        payment_intent=charge["payment_intent"],
        reason="debit_not_authorized",
        status="needs_response",
        is_charge_refundable=False,
        metadata={},
    )
    # Stripe's dispute payment_method_details describe cards, Klarna, PayPal, Amazon Pay only.
    dispute.pop("payment_method_details", None)
    em.state.disputes[dispute["id"]] = dispute
    charge["disputed"] = True
    em.emit("charge.dispute.created", dispute)
    em.emit("charge.dispute.funds_withdrawn", dispute)
    _plan(em, DebitStep(_after(em, em.config.dispute_closes_after), dispute["id"], "dispute_close"))


def close_dispute(em: Emulator, step: DebitStep) -> None:
    dispute = em.state.disputes[step.object_id]
    dispute["status"] = "lost"
    em.emit("charge.dispute.closed", dispute)


def due_steps(em: Emulator, target: int) -> list[tuple[int, str, str]]:
    return [(s.when, s.object_id, f"debit:{s.kind}") for s in em.state.debit_steps if s.when <= target]


def take(em: Emulator, when: int, object_id: str, kind: str) -> DebitStep:
    """Remove and return the planned step (it runs once)."""
    step = next(s for s in em.state.debit_steps if (s.when, s.object_id, s.kind) == (when, object_id, kind))
    em.state.debit_steps.remove(step)
    return step


def charge_of(em: Emulator, dispute_or_charge_id: str) -> dict[str, Any]:
    if dispute_or_charge_id.startswith("dp_"):
        return em.state.charges[em.state.disputes[dispute_or_charge_id]["charge"]]
    return em.state.charges[dispute_or_charge_id]


def _plan(em: Emulator, step: DebitStep) -> None:
    em.state.debit_steps.append(step)


def _after(em: Emulator, delay: timedelta) -> int:
    return em.now() + int(delay.total_seconds())


def list_charges(em: Emulator, params: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(em.state.charges.values())
    for key in ("customer", "payment_intent"):
        if params.get(key):
            found = [c for c in found if c[key] == params[key]]
    return found


def list_disputes(em: Emulator, params: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(em.state.disputes.values())
    for key in ("charge", "payment_intent"):
        if params.get(key):
            found = [d for d in found if d[key] == params[key]]
    return found
