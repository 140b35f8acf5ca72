"""Reconciliation (DESIGN §5): do letters, the usage ledger, our invoices, payments and Stripe agree?

Pure: each side is given as plain values; the result is the list of differences, each of one kind
from a closed set (the metric's label), naming the letter or invoice it is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    LETTER_WITHOUT_USAGE = "letter_without_usage"  # sent, but no usage line: never billed
    USAGE_WITHOUT_LETTER = "usage_without_letter"  # billed, but letters sent no such letter
    USAGE_ON_UNKNOWN_INVOICE = "usage_on_unknown_invoice"  # a line points at an invoice we lack
    INVOICE_LINES_MISMATCH = "invoice_lines_mismatch"  # the invoice's lines do not sum to its amount
    INVOICE_USAGE_MISMATCH = "invoice_usage_mismatch"  # the usage it bills is not its letters/amount
    STRIPE_INVOICE_MISSING = "stripe_invoice_missing"
    STRIPE_TOTAL_MISMATCH = "stripe_total_mismatch"
    STRIPE_STATE_MISMATCH = "stripe_state_mismatch"
    PAYMENTS_INVOICE_MISSING = "payments_invoice_missing"  # an outcome we applied, unknown to payments
    PAYMENTS_MISMATCH = "payments_mismatch"  # payments' state or amount disagrees with ours
    INVOICE_UNKNOWN_TO_INVOICING = "invoice_unknown_to_invoicing"  # payments knows it, we do not


@dataclass(frozen=True)
class SentLetter:
    letter_id: str
    account_id: str


@dataclass(frozen=True)
class UsageLine:
    letter_id: str
    account_id: str
    invoice_id: str | None
    invoice_known: bool


@dataclass(frozen=True)
class OurInvoice:
    invoice_id: str
    account_id: str
    state: str
    amount_cents: int
    letters: int
    stripe_invoice_id: str | None
    lines_cents: int
    usage_cents: int
    usage_count: int


@dataclass(frozen=True)
class TheirInvoice:
    """An invoice as payments or Stripe has it."""

    invoice_id: str
    state: str
    amount_cents: int


@dataclass(frozen=True)
class Difference:
    kind: Kind
    account_id: str
    ref: str  # the letter id or our invoice id (Stripe's when we have none)
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind.value,
            "account_id": self.account_id,
            "ref": self.ref,
            "detail": self.detail,
        }


#: Our state → Stripe invoice statuses it may sit beside. A lost dispute leaves Stripe's invoice paid.
#: A state not listed (one added later) is not compared.
STRIPE_STATUSES: Mapping[str, frozenset[str]] = {
    "draft": frozenset({"draft"}),
    "lines_added": frozenset({"draft"}),
    "issued": frozenset({"open"}),
    "processing": frozenset({"open"}),
    "payment_failed": frozenset({"open"}),
    "uncollectible": frozenset({"open", "uncollectible"}),  # failed for good: Stripe may leave it open
    "paid": frozenset({"paid"}),
    "void": frozenset({"void"}),
    "disputed": frozenset({"paid"}),
}
#: Our state → payments' state for the same invoice (None: payments has seen no outcome yet).
PAYMENTS_STATES: Mapping[str, frozenset[str | None]] = {
    "draft": frozenset({None}),
    "lines_added": frozenset({None}),
    "issued": frozenset({None}),
    "payment_failed": frozenset({"open"}),
    "uncollectible": frozenset({"failed"}),
    "paid": frozenset({"paid"}),
    "void": frozenset({"void"}),
}
#: Payments' states this comparison knows; others (e.g. processing, disputed) are not compared.
KNOWN_PAYMENTS_STATES = frozenset({"open", "failed", "paid", "void"})


def compare(
    sent: Iterable[SentLetter],
    usage: Iterable[UsageLine],
    invoices: Iterable[OurInvoice],
    payments: Mapping[str, TheirInvoice],
    stripe: Mapping[str, TheirInvoice | None],
) -> list[Difference]:
    """Every difference between the sides of one period.

    `sent` and `usage`: the letters sent in the period and their usage lines (by `sent_at`); `invoices`:
    ours of the period; `payments`: payments' invoices of the period by our invoice id; `stripe`: the
    Stripe invoices of ours by Stripe id (None: Stripe does not know it).
    """
    invoices = list(invoices)
    return [
        *_letters_and_usage(list(sent), list(usage)),
        *(d for invoice in invoices for d in _invoice(invoice, payments, stripe)),
        *_unknown_to_us(invoices, payments),
    ]


def _letters_and_usage(sent: list[SentLetter], usage: list[UsageLine]) -> list[Difference]:
    by_letter = {u.letter_id: u for u in usage}
    sent_ids = {s.letter_id for s in sent}
    out = [
        Difference(Kind.LETTER_WITHOUT_USAGE, s.account_id, s.letter_id, "sent, no usage line")
        for s in sent
        if s.letter_id not in by_letter
    ]
    for u in usage:
        if u.letter_id not in sent_ids:
            out.append(
                Difference(Kind.USAGE_WITHOUT_LETTER, u.account_id, u.letter_id, "no such sent letter")
            )
        if u.invoice_id is not None and not u.invoice_known:
            out.append(
                Difference(
                    Kind.USAGE_ON_UNKNOWN_INVOICE, u.account_id, u.letter_id, f"invoice {u.invoice_id}"
                )
            )
    return out


def _invoice(
    inv: OurInvoice, payments: Mapping[str, TheirInvoice], stripe: Mapping[str, TheirInvoice | None]
) -> list[Difference]:
    out: list[Difference] = []

    def differ(kind: Kind, detail: str) -> None:
        out.append(Difference(kind, inv.account_id, inv.invoice_id, detail))

    if inv.lines_cents != inv.amount_cents:
        differ(Kind.INVOICE_LINES_MISMATCH, f"lines {inv.lines_cents}, invoice {inv.amount_cents}")
    # A recovery invoice (a lost dispute's amount owed again) bills no letters: nothing to count.
    if inv.letters and (inv.usage_count, inv.usage_cents) != (inv.letters, inv.amount_cents):
        differ(
            Kind.INVOICE_USAGE_MISMATCH,
            f"usage: {inv.usage_count} letters, {inv.usage_cents}; "
            f"invoice: {inv.letters} letters, {inv.amount_cents}",
        )
    if inv.stripe_invoice_id is not None and inv.stripe_invoice_id in stripe:
        theirs = stripe[inv.stripe_invoice_id]
        if theirs is None:
            differ(Kind.STRIPE_INVOICE_MISSING, f"Stripe has no {inv.stripe_invoice_id}")
        else:
            if theirs.amount_cents != inv.amount_cents:
                differ(Kind.STRIPE_TOTAL_MISMATCH, f"Stripe {theirs.amount_cents}, ours {inv.amount_cents}")
            allowed = STRIPE_STATUSES.get(inv.state)
            if allowed is not None and theirs.state not in allowed:
                differ(Kind.STRIPE_STATE_MISMATCH, f"Stripe {theirs.state}, ours {inv.state}")
    out.extend(_payments(inv, payments.get(inv.invoice_id)))
    return out


def _payments(inv: OurInvoice, theirs: TheirInvoice | None) -> list[Difference]:
    allowed = PAYMENTS_STATES.get(inv.state)
    if allowed is None or (theirs is not None and theirs.state not in KNOWN_PAYMENTS_STATES):
        return []
    if theirs is None:
        if None in allowed:
            return []
        return [
            Difference(Kind.PAYMENTS_INVOICE_MISSING, inv.account_id, inv.invoice_id, f"ours {inv.state}")
        ]
    if theirs.state not in allowed or theirs.amount_cents != inv.amount_cents:
        detail = f"payments {theirs.state} {theirs.amount_cents}, ours {inv.state} {inv.amount_cents}"
        return [Difference(Kind.PAYMENTS_MISMATCH, inv.account_id, inv.invoice_id, detail)]
    return []


def _unknown_to_us(invoices: list[OurInvoice], payments: Mapping[str, TheirInvoice]) -> list[Difference]:
    ours = {i.invoice_id for i in invoices}
    return [
        Difference(Kind.INVOICE_UNKNOWN_TO_INVOICING, "", invoice_id, f"payments has it as {p.state}")
        for invoice_id, p in payments.items()
        if invoice_id not in ours
    ]


def counts(differences: Iterable[Difference]) -> dict[str, int]:
    """Differences per kind, every kind present (0 when none): the metric's values."""
    out = {kind.value: 0 for kind in Kind}
    for d in differences:
        out[d.kind.value] += 1
    return out
