"""Events on invoicing.events."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from autoletter.contracts.common import Cents, Currency, Period, Service
from autoletter.contracts.envelope import Envelope


class InvoiceIssued(Envelope):
    """A monthly invoice was finalised in Stripe for automatic collection."""

    topic: ClassVar[str] = "invoicing.events"

    invoice_id: UUID = Field(description="Our invoice id.")
    stripe_invoice_id: str = Field(description="Stripe invoice id (in_...).")
    service: Service
    period: Period
    letters: int = Field(ge=0, description="Letters billed on this invoice.")
    amount_cents: Cents
    currency: Currency
