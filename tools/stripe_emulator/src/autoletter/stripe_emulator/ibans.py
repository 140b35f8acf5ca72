"""Stripe's SEPA Direct Debit test IBANs and how each debit ends (pure; no IBAN is ever stored)."""

from __future__ import annotations

from dataclasses import dataclass

from autoletter.stripe_emulator.errors import StripeError

#: Behaviours of a sepa_debit payment method (kept in State.behaviours beside the cards' ones).
DEBIT_SUCCEED, DEBIT_SUCCEED_LATE = "debit_succeed", "debit_succeed_late"
DEBIT_FAIL, DEBIT_FAIL_LATE = "debit_fail", "debit_fail_late"
DEBIT_DISPUTE = "debit_dispute"
DEBITS = (DEBIT_SUCCEED, DEBIT_SUCCEED_LATE, DEBIT_FAIL, DEBIT_FAIL_LATE, DEBIT_DISPUTE)


@dataclass(frozen=True)
class TestIban:
    iban: str
    behaviour: str
    label: str

    @property
    def last4(self) -> str:
        return self.iban[-4:]

    @property
    def country(self) -> str:
        return self.iban[:2]

    @property
    def bank_code(self) -> str:
        return self.iban[4:12]  # a German IBAN's Bankleitzahl


IBANS: dict[str, TestIban] = {
    i.iban: i
    for i in (
        TestIban("DE89370400440532013000", DEBIT_SUCCEED, "succeeds"),
        TestIban("DE08370400440532013003", DEBIT_SUCCEED_LATE, "succeeds after a delay"),
        TestIban("DE62370400440532013001", DEBIT_FAIL, "fails"),
        TestIban("DE78370400440532013004", DEBIT_FAIL_LATE, "fails after a delay"),
        TestIban("DE35370400440532013002", DEBIT_DISPUTE, "succeeds, then is disputed"),
    )
}


def iban_for(value: str) -> TestIban:
    """The test IBAN; Stripe's own error for anything else (never echoing what was typed)."""
    iban = IBANS.get(value.replace(" ", "").upper())
    if iban is None:
        message = "The IBAN you provided is invalid."
        raise StripeError(400, message, code="invalid_bank_account_iban", param="iban")
    return iban


def is_debit(behaviour: str | None) -> bool:
    return behaviour in DEBITS


def succeeds(behaviour: str) -> bool:
    return behaviour in (DEBIT_SUCCEED, DEBIT_SUCCEED_LATE, DEBIT_DISPUTE)


def late(behaviour: str) -> bool:
    return behaviour in (DEBIT_SUCCEED_LATE, DEBIT_FAIL_LATE)


MANDATE_TEXT = (
    "By providing your payment information and confirming this payment, you authorise (A) AutoLetter and "
    "Stripe, our payment service provider, to send instructions to your bank to debit your account and "
    "(B) your bank to debit your account in accordance with those instructions. As part of your rights, you "
    "are entitled to a refund from your bank under the terms and conditions of your agreement with your "
    "bank. A refund must be claimed within 8 weeks starting from the date on which your account was debited."
)
