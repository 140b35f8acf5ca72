"""Events on payments.events."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from autoletter.contracts.common import (
    Cents,
    Currency,
    OpenServiceStatus,
    OpenSet,
    Period,
    ProfileField,
    Service,
)
from autoletter.contracts.envelope import Envelope


class StatusReason(StrEnum):
    """Why a service status changed (DESIGN §3)."""

    ACTIVATED = "activated"
    DEACTIVATED = "deactivated"
    PROFILE_INCOMPLETE = "profile_incomplete"
    PROFILE_COMPLETED = "profile_completed"
    PAYMENT_METHOD_ADDED = "payment_method_added"
    NO_PAYMENT_METHOD = "no_payment_method"
    INVOICE_FAILED = "invoice_failed"
    INVOICES_SETTLED = "invoices_settled"
    NOT_ACTIVATED = "not_activated"  # the first announcement of a service never switched on
    PAYMENT_DISPUTED = "payment_disputed"


OpenStatusReason = Annotated[StatusReason | str, Field(union_mode="left_to_right"), OpenSet(StatusReason)]


class _PaymentsEvent(Envelope):
    topic: ClassVar[str] = "payments.events"


class StripeCustomerCreated(_PaymentsEvent):
    """The account's Stripe customer exists."""

    stripe_customer_id: str = Field(description="Stripe customer id (cus_...).")


class PaymentMethodAttached(_PaymentsEvent):
    """A payment method became the account's default for invoices. Display facts only."""

    payment_method_id: str = Field(description="Stripe payment method id (pm_...).")
    type: str = Field(description="Stripe payment method type, e.g. card or sepa_debit.")
    brand: str | None = Field(default=None, description="Card brand or bank name, for display.")
    last4: str | None = Field(default=None, pattern=r"^\d{4}$", description="Last four digits, for display.")
    exp_month: int | None = Field(default=None, ge=1, le=12, description="Card expiry month.")
    exp_year: int | None = Field(default=None, description="Card expiry year.")


class PaymentMethodDetached(_PaymentsEvent):
    """A payment method was removed from the account."""

    payment_method_id: str = Field(description="Stripe payment method id (pm_...).")


class _InvoiceEvent(_PaymentsEvent):
    invoice_id: UUID = Field(description="Our invoice id (invoicing service).")
    stripe_invoice_id: str = Field(description="Stripe invoice id (in_...).")
    service: Service = Field(description="The service the invoice bills.")
    period: Period


class PaymentSucceeded(_InvoiceEvent):
    """An invoice was paid."""

    amount_cents: Cents
    currency: Currency


class PaymentFailed(_InvoiceEvent):
    """A payment attempt failed; `final` when Stripe will not retry."""

    amount_cents: Cents
    currency: Currency
    attempt_count: int = Field(ge=0, description="Payment attempts made so far.")
    next_attempt_at: AwareDatetime | None = Field(description="Next automatic retry; null when final.")
    final: bool = Field(description="True when the payment failed for good.")
    failure_code: str | None = Field(default=None, description="Stripe failure or decline code.")
    failure_message: str | None = Field(default=None, description="Human-readable failure reason.")


class InvoiceVoided(_InvoiceEvent):
    """An invoice was voided; nothing is owed for it."""


class PaymentProcessing(_InvoiceEvent):
    """A bank debit was submitted for the invoice; its outcome comes in days. Not paid, not failed."""

    amount_cents: Cents
    currency: Currency


class DisputeStatus(StrEnum):
    """Where a dispute stands (Stripe's needs_response/under_review map to opened)."""

    OPENED = "opened"
    WON = "won"
    LOST = "lost"


OpenDisputeStatus = Annotated[DisputeStatus | str, Field(union_mode="left_to_right"), OpenSet(DisputeStatus)]


class PaymentDisputed(_InvoiceEvent):
    """A paid invoice's payment was disputed; `lost` makes the disputed amount owed again."""

    dispute_id: str = Field(description="Stripe dispute id (dp_...).")
    amount_cents: Cents = Field(description="The disputed amount.")
    currency: Currency
    dispute_status: OpenDisputeStatus = Field(description="opened, won or lost.")


class ServiceStatusChanged(_PaymentsEvent):
    """The derived status of one service changed."""

    service: Service
    status: OpenServiceStatus
    previous_status: OpenServiceStatus
    reason: OpenStatusReason
    missing: list[ProfileField] | None = Field(
        default=None, description="Missing profile fields, when reason is profile_incomplete."
    )
