"""Payment methods as we keep them: Stripe ids and display facts only, never a card or bank number."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PaymentMethodFacts:
    """What the overview shows and PaymentMethodAttached carries."""

    payment_method_id: str
    type: str
    brand: str | None
    last4: str | None
    exp_month: int | None
    exp_year: int | None
    #: When Stripe attached it (its `created`); decides which sibling is promoted.
    attached_at: datetime
    #: A debit's bank code and country (with last4: all we keep of an IBAN) and its mandate.
    bank_code: str | None = None
    country: str | None = None
    mandate_id: str | None = None


def promotion_candidate(remaining: Iterable[PaymentMethodFacts]) -> PaymentMethodFacts | None:
    """When the default is detached, the most recently attached of the others takes its place."""
    ordered = sorted(remaining, key=lambda m: (m.attached_at, m.payment_method_id))
    return ordered[-1] if ordered else None
