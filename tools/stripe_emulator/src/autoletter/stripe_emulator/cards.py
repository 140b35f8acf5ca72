"""Stripe's test cards and how each behaves when charged (pure; no number is ever stored)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autoletter.stripe_emulator.errors import StripeError

SUCCEED, DECLINE, AUTHENTICATE = "succeed", "decline", "authenticate"


@dataclass(frozen=True)
class TestCard:
    number: str
    behaviour: str
    label: str

    @property
    def last4(self) -> str:
        return self.number[-4:]


CARDS: dict[str, TestCard] = {
    c.number: c
    for c in (
        TestCard("4242424242424242", SUCCEED, "Visa: every charge succeeds"),
        TestCard("4000000000000341", DECLINE, "Visa: attaches, but every charge is declined"),
        TestCard("4000002760003184", AUTHENTICATE, "Visa: every charge needs authentication (3D Secure)"),
    )
}
EXP_MONTH, EXP_YEAR = 12, 2034


def card_for(number: str) -> TestCard:
    """The test card of that number; Stripe's own error for anything else."""
    card = CARDS.get(number.replace(" ", ""))
    if card is None:
        raise StripeError(
            402, "Your card number is incorrect.", type_="card_error", code="incorrect_number", param="number"
        )
    return card


@dataclass(frozen=True)
class ChargeResult:
    """What one charge attempt did: PaymentIntent status and Stripe's last_payment_error (or None)."""

    intent_status: str
    error: dict[str, Any] | None

    @property
    def succeeded(self) -> bool:
        return self.intent_status == "succeeded"

    @property
    def needs_action(self) -> bool:
        return self.intent_status == "requires_action"


def charge(behaviour: str | None) -> ChargeResult:
    """The outcome of an off-session charge to a method with this behaviour (None: no method)."""
    if behaviour == SUCCEED:
        return ChargeResult("succeeded", None)
    if behaviour == DECLINE:
        return ChargeResult(
            "requires_payment_method", _error("card_declined", "Your card was declined.", "generic_decline")
        )
    if behaviour == AUTHENTICATE:
        message = "Your card was declined. This transaction requires authentication."
        return ChargeResult(
            "requires_action", _error("authentication_required", message, "authentication_required")
        )
    return ChargeResult(
        "requires_payment_method",
        {
            "type": "invalid_request_error",
            "code": "payment_method_missing",
            "message": "The customer has no default payment method for invoices.",
        },
    )


def _error(code: str, message: str, decline_code: str) -> dict[str, Any]:
    return {"type": "card_error", "code": code, "decline_code": decline_code, "message": message}
