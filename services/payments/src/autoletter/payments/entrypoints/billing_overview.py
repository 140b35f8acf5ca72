"""The billing overview's typed answer (`GET /v1/accounts/{account_id}/billing`), for OpenAPI and clients."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Discriminator, Field, Tag

from autoletter.contracts.common import Service


class ProfileCompleteness(BaseModel):
    complete: bool
    missing: list[str] = Field(description="Profile fields still missing: name, address, email.")


class PaymentMethodFacts(BaseModel):
    """What we keep of the default method for display: never a card number or an IBAN."""

    payment_method_id: str
    type: str = Field(description="`card` or `sepa_debit`.")
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None


class SepaDebitFacts(PaymentMethodFacts):
    """A SEPA Direct Debit: its bank, country and the mandate the customer accepted (never the IBAN)."""

    bank_code: str | None = None
    country: str | None = None
    mandate_id: str | None = Field(default=None, description="Stripe's mandate of the debit.")


def _method_kind(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return "sepa_debit" if kind == "sepa_debit" else "other"


#: A card keeps no bank facts in the answer; a debit adds its mandate.
PaymentMethod = Annotated[
    Annotated[SepaDebitFacts, Tag("sepa_debit")] | Annotated[PaymentMethodFacts, Tag("other")],
    Discriminator(_method_kind),
]


class ServiceFacts(BaseModel):
    service: Service
    status: str
    activated: bool
    since: str | None = Field(description="ISO 8601, when the status began.")
    reason: str | None


class OutstandingInvoice(BaseModel):
    invoice_id: str
    stripe_invoice_id: str
    service: Service
    period: str = Field(description="Billing period, a UTC month: YYYY-MM.")
    amount_cents: int
    currency: str
    state: str = Field(description="open, failed, processing or disputed.")
    failed_for_good: bool
    failure_code: str | None
    next_attempt_at: str | None
    hosted_invoice_url: str | None
    invoice_pdf: str | None
    dispute_id: str | None
    dispute_status: str | None
    recovers_invoice_id: str | None = Field(
        description="On a recovery invoice: our id of the invoice whose lost dispute it recovers."
    )


class PaidInvoice(BaseModel):
    """A receipt: a paid invoice with Stripe's hosted page and PDF."""

    invoice_id: str
    stripe_invoice_id: str
    service: Service
    period: str = Field(description="Billing period, a UTC month: YYYY-MM.")
    amount_cents: int
    currency: str
    paid_at: str | None = Field(description="ISO 8601, when Stripe says it was paid; null if unknown.")
    hosted_invoice_url: str | None
    invoice_pdf: str | None
    recovers_invoice_id: str | None


class OpenDispute(BaseModel):
    """A paid invoice whose payment is contested and not decided yet: nothing is suspended."""

    invoice_id: str
    stripe_invoice_id: str
    service: Service
    period: str
    amount_cents: int
    currency: str
    dispute_id: str | None


class BillingOverview(BaseModel):
    account_id: str
    profile: ProfileCompleteness
    payment_method: PaymentMethod | None
    services: list[ServiceFacts]
    outstanding_invoices: list[OutstandingInvoice]
    new_payment_method_needed: bool = Field(
        description="A lost dispute waits for a payment method made default after it."
    )
    paid_invoices: list[PaidInvoice]
    open_disputes: list[OpenDispute]
