"""invoicing's unit of work, and the InvoiceIssued event of one of our invoices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from autoletter.contracts.invoicing import InvoiceIssued
from autoletter.invoicing.adapters.repository import Invoice, Invoicing
from autoletter.runtime.uow import UnitOfWork

#: invoicing's unit of work (`SqlUnitOfWork[InvoicingRepository]`; `FakeUnitOfWork` in fast tests).
InvoicingWork = UnitOfWork[Invoicing]


def issued_event(
    uow: UnitOfWork[Any], invoice: Invoice, stripe_invoice_id: str, at: datetime
) -> InvoiceIssued:
    """The announcement of `invoice`, finalised in Stripe as `stripe_invoice_id`, at `at`."""
    return uow.new_event(
        InvoiceIssued,
        account_id=invoice.account_id,
        occurred_at=at,
        invoice_id=invoice.invoice_id,
        stripe_invoice_id=stripe_invoice_id,
        service=invoice.service,
        period=invoice.period,
        letters=invoice.letters,
        amount_cents=invoice.amount_cents,
        currency=invoice.currency,
    )
