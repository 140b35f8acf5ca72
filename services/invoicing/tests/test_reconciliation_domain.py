"""The reconciliation's comparison, side by side, without I/O."""

from __future__ import annotations

from dataclasses import replace

from autoletter.invoicing.domain.reconciliation import (
    Kind,
    OurInvoice,
    SentLetter,
    TheirInvoice,
    UsageLine,
    compare,
    counts,
)

INVOICE = OurInvoice(
    invoice_id="inv-1",
    account_id="acc",
    state="paid",
    amount_cents=190,
    letters=2,
    stripe_invoice_id="in_1",
    lines_cents=190,
    usage_cents=190,
    usage_count=2,
)
SENT = [SentLetter("l1", "acc"), SentLetter("l2", "acc")]
USAGE = [UsageLine("l1", "acc", "inv-1", True), UsageLine("l2", "acc", "inv-1", True)]
PAYMENTS = {"inv-1": TheirInvoice("inv-1", "paid", 190)}
STRIPE: dict[str, TheirInvoice | None] = {"in_1": TheirInvoice("in_1", "paid", 190)}


def kinds(**changes: object) -> list[Kind]:
    sides: dict[str, object] = {
        "sent": SENT,
        "usage": USAGE,
        "invoices": [INVOICE],
        "payments": PAYMENTS,
        "stripe": STRIPE,
    } | changes
    return [d.kind for d in compare(**sides)]  # type: ignore[arg-type]


def test_sides_that_agree_have_no_difference() -> None:
    assert kinds() == []


def test_a_sent_letter_without_usage_line_and_a_usage_line_without_letter_are_differences() -> None:
    assert kinds(usage=USAGE[:1]) == [Kind.LETTER_WITHOUT_USAGE]
    assert kinds(invoices=[replace(INVOICE, usage_count=1, usage_cents=95)]) == [Kind.INVOICE_USAGE_MISMATCH]
    assert kinds(sent=SENT[:1]) == [Kind.USAGE_WITHOUT_LETTER]


def test_carried_over_usage_on_no_invoice_yet_is_not_a_difference() -> None:
    unbilled = [replace(u, invoice_id=None, invoice_known=False) for u in USAGE]
    assert kinds(usage=unbilled, invoices=[], payments={}) == []


def test_a_line_on_an_invoice_we_do_not_have_is_a_difference() -> None:
    assert Kind.USAGE_ON_UNKNOWN_INVOICE in kinds(usage=[USAGE[0], replace(USAGE[1], invoice_known=False)])


def test_invoice_lines_and_stripe_total_must_add_up_to_our_amount() -> None:
    assert kinds(invoices=[replace(INVOICE, lines_cents=95)]) == [Kind.INVOICE_LINES_MISMATCH]
    assert kinds(stripe={"in_1": TheirInvoice("in_1", "paid", 95)}) == [Kind.STRIPE_TOTAL_MISMATCH]
    assert kinds(stripe={"in_1": None}) == [Kind.STRIPE_INVOICE_MISSING]


def test_states_are_mapped_to_stripe_and_payments() -> None:
    assert kinds(stripe={"in_1": TheirInvoice("in_1", "open", 190)}) == [Kind.STRIPE_STATE_MISMATCH]
    assert kinds(payments={"inv-1": TheirInvoice("inv-1", "open", 190)}) == [Kind.PAYMENTS_MISMATCH]
    assert kinds(payments={}) == [Kind.PAYMENTS_INVOICE_MISSING]
    issued = replace(INVOICE, state="issued")
    assert kinds(invoices=[issued], payments={}, stripe={"in_1": TheirInvoice("in_1", "open", 190)}) == []


def test_a_lost_dispute_is_disputed_beside_stripe_paid_and_a_recovery_invoice_bills_no_letters() -> None:
    disputed = replace(INVOICE, state="disputed")
    assert kinds(invoices=[disputed], payments={"inv-1": TheirInvoice("inv-1", "disputed", 190)}) == []
    recovery = OurInvoice("inv-2", "acc", "issued", 190, 0, "in_2", 190, 0, 0)
    both = {**STRIPE, "in_2": TheirInvoice("in_2", "open", 190)}
    assert kinds(invoices=[INVOICE, recovery], stripe=both) == []


def test_an_invoice_payments_knows_and_we_do_not_is_a_difference() -> None:
    extra = {**PAYMENTS, "inv-9": TheirInvoice("inv-9", "paid", 500)}
    assert kinds(payments=extra) == [Kind.INVOICE_UNKNOWN_TO_INVOICING]


def test_counts_name_every_kind() -> None:
    found = compare(SENT, [], [], {}, {})
    assert counts(found) == {k.value: (2 if k is Kind.LETTER_WITHOUT_USAGE else 0) for k in Kind}


def test_a_late_line_billed_on_the_next_months_invoice_is_not_a_difference() -> None:
    """A letter of this month recorded after its close is on next month's invoice (not one of this
    month's): its line points at an invoice we have, and this month's invoice still adds up."""
    late = UsageLine("l3", "acc", "inv-of-next-month", True)
    assert kinds(sent=[*SENT, SentLetter("l3", "acc")], usage=[*USAGE, late]) == []
