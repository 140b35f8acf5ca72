"""Payments' fakes for the fast handler tests: an in-memory repository, a fake Stripe gateway, and
builders of accounts and Stripe events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from autoletter.contracts.common import PostalAddress, ProfileField, Service, ServiceStatus
from autoletter.contracts.payments import (
    ServiceStatusChanged,
    StatusReason,
)
from autoletter.payments.adapters import stripe_events as se
from autoletter.payments.adapters.event_store import StoredEvent
from autoletter.payments.adapters.payment_methods_repo import StoredPaymentMethod
from autoletter.payments.adapters.repository import Account, Payments, ServiceState
from autoletter.payments.adapters.stripe_gateway import CustomerDetails, HostedPage, PaymentFailure
from autoletter.payments.domain.invoices import InvoiceRecord, InvoiceState
from autoletter.payments.domain.payment_methods import PaymentMethodFacts
from autoletter.payments.domain.status import AccountFacts, StatusChange
from autoletter.payments.handlers.common import Context, Gateway
from autoletter.runtime.clock import FrozenClock
from autoletter.runtime.uow import FakeUnitOfWork

NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
ACCOUNT = "acc-1"
CUSTOMER = "cus_1"
CARD = "pm_card"
INVOICE_ID = UUID("00000000-0000-4000-8000-000000000001")
DECLINED = PaymentFailure("card_declined", "Your card was declined.")
BERLIN = PostalAddress(line1="Unter den Linden 1", postal_code="10117", city="Berlin", country="DE")


@dataclass
class InMemoryPayments:
    """The repository's contract over dicts (the SQL `owed()` is InvoiceRecord.unpaid_final)."""

    accounts: dict[str, Account] = field(default_factory=dict)
    services: dict[tuple[str, Service], ServiceState] = field(default_factory=dict)
    invoices: dict[str, InvoiceRecord] = field(default_factory=dict)
    methods: dict[tuple[str, str], StoredPaymentMethod] = field(default_factory=dict)
    locked: list[str] = field(default_factory=list)

    async def lock_account(self, account_id: str) -> Account:
        self.locked.append(account_id)
        if account_id not in self.accounts:
            self.accounts[account_id] = Account(account_id, False, (), None, None, None)
        return self.accounts[account_id]

    async def get_account(self, account_id: str) -> Account | None:
        return self.accounts.get(account_id)

    async def account_of_customer(self, customer_id: str) -> str | None:
        return next(
            (a.account_id for a in self.accounts.values() if a.stripe_customer_id == customer_id), None
        )

    async def set_stripe_customer(self, account_id: str, customer_id: str, now: datetime) -> None:
        self.accounts[account_id] = replace(self.accounts[account_id], stripe_customer_id=customer_id)

    async def set_profile_completeness(
        self, account_id: str, complete: bool, missing: Sequence[ProfileField], now: datetime
    ) -> None:
        self.accounts[account_id] = replace(
            self.accounts[account_id], profile_complete=complete, missing=tuple(missing)
        )

    async def set_default_payment_method(
        self, account_id: str, payment_method_id: str | None, changed_at: datetime, now: datetime
    ) -> None:
        self.accounts[account_id] = replace(
            self.accounts[account_id],
            default_payment_method_id=payment_method_id,
            default_changed_at=changed_at,
        )

    async def load_facts(self, account: Account) -> AccountFacts:
        facts = AccountFacts(
            profile_complete=account.profile_complete,
            missing=account.missing,
            has_default_payment_method=account.default_payment_method_id is not None,
            activated=frozenset(
                s for (a, s), row in self.services.items() if a == account.account_id and row.activated
            ),
        )
        for service in Service:
            count = await self.count_unpaid_final(account.account_id, service)
            if count:
                facts = facts.with_debt(service, count)
        return facts

    async def save_services(
        self, account_id: str, facts: AccountFacts, changed: list[StatusChange], now: datetime
    ) -> None:
        by_service = {c.service: c for c in changed}
        for service in Service:
            old = self.services.get((account_id, service))
            change = by_service.get(service)
            since = now if change else (old.since if old else None)
            reason = change.reason.value if change else (old.reason if old else None)
            self.services[(account_id, service)] = ServiceState(
                service, service in facts.activated, facts.status(service), since, reason
            )

    async def announced_services(self, account_id: str) -> set[Service]:
        return {s for (a, s), row in self.services.items() if a == account_id and row.since is not None}

    async def accounts_not_fully_announced(self, after: str, limit: int) -> list[str]:
        pending = [
            a
            for a in sorted(self.accounts)
            if a > after and len(await self.announced_services(a)) < len(Service)
        ]
        return pending[:limit]

    async def service_states(self, account_id: str) -> dict[Service, ServiceState]:
        return {s: row for (a, s), row in self.services.items() if a == account_id}

    async def invoice(self, stripe_invoice_id: str) -> InvoiceRecord | None:
        return self.invoices.get(stripe_invoice_id)

    async def invoice_by_our_id(self, account_id: str, invoice_id: UUID) -> InvoiceRecord | None:
        return next(
            (
                i
                for i in self.invoices.values()
                if i.ref.account_id == account_id and i.ref.invoice_id == invoice_id
            ),
            None,
        )

    async def save_invoice(self, record: InvoiceRecord, now: datetime) -> None:
        self.invoices[record.stripe_invoice_id] = record

    def _of(self, account_id: str, *states: InvoiceState) -> list[InvoiceRecord]:
        found = [i for i in self.invoices.values() if i.ref.account_id == account_id and i.state in states]
        return sorted(found, key=lambda i: (i.ref.period, i.ref.service.value))

    async def unpaid_invoices(self, account_id: str) -> list[InvoiceRecord]:
        return self._of(account_id, InvoiceState.OPEN, InvoiceState.FAILED)

    async def outstanding_invoices(self, account_id: str) -> list[InvoiceRecord]:
        return [
            i
            for i in self._of(account_id, *InvoiceState)
            if i.unpaid_final or i.state in (InvoiceState.OPEN, InvoiceState.FAILED, InvoiceState.PROCESSING)
        ]

    async def paid_invoices(self, account_id: str) -> list[InvoiceRecord]:
        return list(reversed(self._of(account_id, InvoiceState.PAID)))

    async def opened_disputes(self, account_id: str) -> list[InvoiceRecord]:
        return [i for i in self._of(account_id, InvoiceState.PAID) if i.dispute_status is not None]

    async def count_unpaid_final(self, account_id: str, service: Service) -> int:
        return sum(
            1
            for i in self.invoices.values()
            if i.ref.account_id == account_id and i.ref.service is service and i.unpaid_final
        )

    async def payment_method(self, account_id: str, pm_id: str) -> StoredPaymentMethod | None:
        return self.methods.get((account_id, pm_id))

    async def attached_payment_methods(self, account_id: str) -> list[PaymentMethodFacts]:
        return [m.facts for (a, _), m in self.methods.items() if a == account_id and not m.detached]

    async def save_payment_method(self, account_id: str, pm: PaymentMethodFacts) -> None:
        old = self.methods.get((account_id, pm.payment_method_id))
        mandate = pm.mandate_id or (old.facts.mandate_id if old else None)
        self.methods[(account_id, pm.payment_method_id)] = StoredPaymentMethod(
            replace(pm, mandate_id=mandate), old.detached if old else False
        )

    async def mark_detached(self, account_id: str, pm_id: str, when: datetime) -> bool:
        old = self.methods.get((account_id, pm_id))
        if old is None or old.detached:
            return False
        self.methods[(account_id, pm_id)] = StoredPaymentMethod(old.facts, True)
        return True

    async def set_mandate(self, account_id: str, pm_id: str, mandate_id: str) -> None:
        old = self.methods.get((account_id, pm_id))
        if old is not None:
            self.methods[(account_id, pm_id)] = replace(old, facts=replace(old.facts, mandate_id=mandate_id))


@dataclass
class FakeStripe:
    """The gateway's contract, answering from memory and recording every call."""

    calls: list[tuple[str, Any]] = field(default_factory=list)
    failure: PaymentFailure = DECLINED

    async def create_customer(self, account_id: str, details: CustomerDetails) -> str:
        self.calls.append(("create_customer", account_id))
        return f"cus_{account_id}"

    async def update_customer(self, customer_id: str, details: CustomerDetails, *, key: str) -> None:
        self.calls.append(("update_customer", customer_id))

    async def create_setup_checkout(
        self,
        *,
        account_id: str,
        customer_id: str,
        payment_method_types: list[str],
        success_url: str,
        cancel_url: str,
        key: str,
    ) -> HostedPage:
        self.calls.append(("create_setup_checkout", customer_id))
        return HostedPage("https://checkout.example/cs_1", "cs_1")

    async def create_portal_session(self, *, customer_id: str, return_url: str, key: str) -> str:
        self.calls.append(("create_portal_session", customer_id))
        return "https://portal.example"

    async def checkout_payment_method(self, session_id: str) -> PaymentMethodFacts | None:
        return None

    async def payment_method(self, payment_method_id: str) -> PaymentMethodFacts:
        return card(payment_method_id)

    async def set_default_payment_method(self, customer_id: str, payment_method_id: str) -> None:
        self.calls.append(("set_default_payment_method", payment_method_id))

    async def pay_invoice(self, stripe_invoice_id: str, payment_method_id: str, setting: str) -> bool:
        self.calls.append(("pay_invoice", stripe_invoice_id))
        return True

    async def payment_failure(self, stripe_invoice_id: str) -> PaymentFailure:
        self.calls.append(("payment_failure", stripe_invoice_id))
        return self.failure

    async def payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        return {"id": payment_intent_id, "status": "succeeded"}

    async def charge(self, charge_id: str) -> dict[str, Any]:
        return {"id": charge_id, "customer": CUSTOMER}

    async def invoice_of_payment_intent(self, payment_intent_id: str) -> dict[str, Any] | None:
        return None


def card(pm_id: str = CARD) -> PaymentMethodFacts:
    return PaymentMethodFacts(pm_id, "card", "visa", "4242", 12, 2030, NOW - timedelta(days=30))


def ready_account(repos: InMemoryPayments, *activated: Service) -> None:
    """A complete profile, a Stripe customer and a default card; `activated` services active and
    every service announced."""
    repos.accounts[ACCOUNT] = Account(ACCOUNT, True, (), CUSTOMER, CARD, NOW - timedelta(days=30))
    repos.methods[(ACCOUNT, CARD)] = StoredPaymentMethod(card(), False)
    for service in Service:
        on = service in activated
        status = ServiceStatus.ACTIVE if on else ServiceStatus.INACTIVE
        reason = StatusReason.ACTIVATED if on else StatusReason.NOT_ACTIVATED
        repos.services[(ACCOUNT, service)] = ServiceState(
            service, on, status, NOW - timedelta(days=1), reason
        )


Unit = FakeUnitOfWork[Payments]


def unit(repos: InMemoryPayments | None = None) -> tuple[Unit, InMemoryPayments]:
    repos = repos or InMemoryPayments()
    uow: Unit = FakeUnitOfWork(producer="payments", clock=FrozenClock(NOW), repos=repos)
    return uow, repos


def context(stripe: FakeStripe | None = None) -> Context:
    gateway: Gateway = stripe or FakeStripe()
    return Context(gateway=gateway)


def invoice_event(
    event_id: str,
    event_type: str,
    *,
    attempt_count: int,
    next_attempt: datetime | None = None,
    created: datetime = NOW,
) -> StoredEvent:
    """A Stripe invoice event of the standard service's October invoice, as the processor stores it."""
    invoice = {
        "id": "in_1",
        "object": "invoice",
        "customer": CUSTOMER,
        "metadata": {
            "account_id": ACCOUNT,
            "invoice_id": str(INVOICE_ID),
            "service": "standard",
            "period": "2026-10",
        },
        "amount_due": 1900,
        "amount_remaining": 0 if event_type == se.INVOICE_PAID else 1900,
        "amount_paid": 1900 if event_type == se.INVOICE_PAID else 0,
        "currency": "eur",
        "attempt_count": attempt_count,
        "next_payment_attempt": int(next_attempt.timestamp()) if next_attempt else None,
        "hosted_invoice_url": "https://invoice.example/in_1",
    }
    return StoredEvent(event_id, event_type, created, CUSTOMER, {"data": {"object": invoice}}, 0)


def statuses(staged: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [
        (e.service, e.status, e.previous_status, e.reason)
        for e in staged
        if isinstance(e, ServiceStatusChanged)
    ]
