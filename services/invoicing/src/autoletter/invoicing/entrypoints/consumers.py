"""invoicing's consumer registry: usage from letters.events, payment outcomes from payments.events."""

from __future__ import annotations

from autoletter.contracts import CONSUMER_GROUPS
from autoletter.contracts.letters import LetterSent
from autoletter.contracts.payments import (
    InvoiceVoided,
    PaymentDisputed,
    PaymentFailed,
    PaymentProcessing,
    PaymentSucceeded,
    StripeCustomerCreated,
)
from autoletter.invoicing.entrypoints.deps import Deps
from autoletter.invoicing.handlers.ledger import record_usage, remember_customer
from autoletter.invoicing.handlers.payments import apply_payment_outcome
from autoletter.runtime.consumer import Subscription
from autoletter.runtime.registry import in_batches, on, subscribe


def subscriptions(deps: Deps) -> list[Subscription]:
    """LetterSent in batches (one insert per batch); payments' facts one by one."""
    outcome = apply_payment_outcome
    return [
        subscribe(
            CONSUMER_GROUPS["invoicing.usage"],
            batch=in_batches(LetterSent, record_usage),
            batch_size=deps.settings.usage_batch_size,
        ),
        subscribe(
            CONSUMER_GROUPS["invoicing.payments"],
            on(StripeCustomerCreated, remember_customer),
            on(PaymentSucceeded, outcome),
            on(PaymentFailed, outcome),
            on(InvoiceVoided, outcome),
            on(PaymentProcessing, outcome),
            on(PaymentDisputed, outcome),
        ),
    ]
