"""Receipts: Stripe's `invoice_pdf` and `paid_at` are read from invoice events and kept forward."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from autoletter.contracts.common import Service
from autoletter.payments.adapters.stripe_events import invoice_outcome
from autoletter.payments.domain.invoices import InvoiceRef, InvoiceState, apply_outcome

REF = InvoiceRef("acc", uuid4(), Service.STANDARD, "2026-10")
PDF = "https://pay.stripe.com/invoice/acct_1/in_1/pdf"
PAID_AT = 1_793_000_000


def stripe_invoice(**fields: object) -> dict[str, object]:
    return {"id": "in_1", "currency": "eur", "amount_due": 190, "attempt_count": 1, **fields}


def test_the_pdf_and_payment_time_come_from_the_invoice_and_are_kept() -> None:
    failed = invoice_outcome(
        "invoice.payment_failed", stripe_invoice(invoice_pdf=PDF, next_payment_attempt=PAID_AT - 86400)
    )
    first = apply_outcome(None, REF, failed)
    assert first is not None and first.invoice_pdf == PDF and first.paid_at is None

    paid = invoice_outcome(
        "invoice.paid",
        stripe_invoice(attempt_count=2, amount_paid=190, status_transitions={"paid_at": PAID_AT}),
    )
    after = apply_outcome(first, REF, paid)

    assert after is not None and after.state is InvoiceState.PAID
    assert after.invoice_pdf == PDF  # an event without the PDF does not forget it
    assert after.paid_at == datetime.fromtimestamp(PAID_AT, UTC)


def test_no_payment_time_unless_paid_and_said() -> None:
    unknown = invoice_outcome("invoice.paid", stripe_invoice(status_transitions={"paid_at": None}))
    assert unknown.paid_at is None
    failed = invoice_outcome(
        "invoice.payment_failed", stripe_invoice(status_transitions={"paid_at": PAID_AT})
    )
    assert failed.paid_at is None
