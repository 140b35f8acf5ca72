"""What every handler shares: its unit of work, the Stripe gateway it may call, the cause of its events,
and committing status changes.

A handler loads through `uow.repos`, decides, and stages its events with `uow.stage`; its caller opens
and commits the transaction. The account's row lock (`uow.repos.lock_account`) serialises one
account's decisions, whatever replica takes them.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from autoletter.contracts import Envelope
from autoletter.contracts.payments import ServiceStatusChanged
from autoletter.payments.adapters.repository import Payments
from autoletter.payments.adapters.stripe_gateway import CustomerDetails, HostedPage, PaymentFailure
from autoletter.payments.domain.payment_methods import PaymentMethodFacts
from autoletter.payments.domain.status import AccountFacts, StatusChange
from autoletter.runtime.uow import UnitOfWork

E = TypeVar("E", bound=Envelope)

#: payments' unit of work (`SqlUnitOfWork[PaymentsRepository]`; `FakeUnitOfWork` over an in-memory
#: repository in fast tests).
PaymentsWork = UnitOfWork[Payments]

#: A cause: the message that caused an effect, the correlation id of a new flow (a Stripe event's), or
#: None (a flow of its own: a customer's request, the announcement catch-up).
Cause = Envelope | UUID | None


class Gateway(Protocol):
    """The Stripe calls handlers make (`StripeGateway`, or a fake in fast tests); each is awaited."""

    def create_customer(self, account_id: str, details: CustomerDetails) -> Awaitable[str]: ...

    def update_customer(self, customer_id: str, details: CustomerDetails, *, key: str) -> Awaitable[None]: ...

    def create_setup_checkout(
        self,
        *,
        account_id: str,
        customer_id: str,
        payment_method_types: list[str],
        success_url: str,
        cancel_url: str,
        key: str,
    ) -> Awaitable[HostedPage]: ...

    def create_portal_session(self, *, customer_id: str, return_url: str, key: str) -> Awaitable[str]: ...

    def checkout_payment_method(self, session_id: str) -> Awaitable[PaymentMethodFacts | None]: ...

    def payment_method(self, payment_method_id: str) -> Awaitable[PaymentMethodFacts]: ...

    def set_default_payment_method(self, customer_id: str, payment_method_id: str) -> Awaitable[None]: ...

    def pay_invoice(
        self, stripe_invoice_id: str, payment_method_id: str, setting: str
    ) -> Awaitable[bool]: ...

    def payment_failure(self, stripe_invoice_id: str) -> Awaitable[PaymentFailure]: ...

    def payment_intent(self, payment_intent_id: str) -> Awaitable[dict[str, Any]]: ...

    def charge(self, charge_id: str) -> Awaitable[dict[str, Any]]: ...

    def invoice_of_payment_intent(self, payment_intent_id: str) -> Awaitable[dict[str, Any] | None]: ...


@dataclass(frozen=True)
class Context:
    """What handlers need besides their unit of work: the Stripe gateway (wired once in bootstrap)."""

    gateway: Gateway


def stripe_correlation(event_id: str) -> UUID:
    """Everything one Stripe event causes shares a correlation id derived from the event id."""
    return uuid5(NAMESPACE_URL, f"stripe-event:{event_id}")


def effect(uow: PaymentsWork, cause: Cause, cls: type[E], *, account_id: str, **payload: Any) -> E:
    """An event of payments, now: caused by a message (`uow.caused_by`), or a new flow with the
    cause's correlation id (`uow.new_event`)."""
    if isinstance(cause, Envelope):
        return uow.caused_by(cause, cls, **payload)
    return uow.new_event(cls, account_id=account_id, correlation_id=cause, **payload)


def status_events(
    uow: PaymentsWork, account_id: str, changed: list[StatusChange], cause: Cause
) -> list[Envelope]:
    return [
        effect(
            uow,
            cause,
            ServiceStatusChanged,
            account_id=account_id,
            service=c.service,
            status=c.status,
            previous_status=c.previous_status,
            reason=c.reason,
            missing=list(c.missing) if c.missing is not None else None,
        )
        for c in changed
    ]


async def commit_facts(
    uow: PaymentsWork,
    account_id: str,
    after: AccountFacts,
    changed: list[StatusChange],
    cause: Cause,
    *other_events: Envelope,
) -> None:
    """Store the services' switches and derived statuses, and stage every event the cause produced
    (committed by the unit of work's opener)."""
    await uow.repos.save_services(account_id, after, changed, uow.now())
    await uow.stage(*other_events, *status_events(uow, account_id, changed, cause))
