"""The InvoiceIssued event of one of our invoice rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from autoletter.contracts import new_event
from autoletter.contracts.invoicing import InvoiceIssued


def issued_event(row: Any, stripe_invoice_id: Any, producer: str, at: datetime) -> InvoiceIssued:
    return new_event(
        InvoiceIssued,
        account_id=row.account_id,
        producer=producer,
        occurred_at=at,
        invoice_id=row.invoice_id,
        stripe_invoice_id=str(stripe_invoice_id),
        service=row.service,
        period=row.period,
        letters=row.letters,
        amount_cents=row.amount_cents,
        currency=row.currency,
    )
