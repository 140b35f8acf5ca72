"""Reading and writing one account's payments state. Every write path locks the account row first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts.common import ProfileField, Service, ServiceStatus
from autoletter.contracts.payments import DisputeStatus
from autoletter.payments.adapters import event_store, failed_events, payment_methods_repo
from autoletter.payments.adapters.event_store import StoredEvent
from autoletter.payments.adapters.failed_events import EventRecord
from autoletter.payments.adapters.payment_methods_repo import StoredPaymentMethod
from autoletter.payments.adapters.tables import accounts, invoices, services
from autoletter.payments.domain.invoices import InvoiceRecord, InvoiceRef, InvoiceState
from autoletter.payments.domain.payment_methods import PaymentMethodFacts
from autoletter.payments.domain.status import AccountFacts, StatusChange


@dataclass(frozen=True)
class Account:
    account_id: str
    profile_complete: bool
    missing: tuple[ProfileField, ...]
    stripe_customer_id: str | None
    default_payment_method_id: str | None
    default_changed_at: datetime | None


def _account(row: Any) -> Account:
    return Account(
        account_id=row.account_id,
        profile_complete=row.profile_complete,
        missing=tuple(ProfileField(m) for m in row.missing),
        stripe_customer_id=row.stripe_customer_id,
        default_payment_method_id=row.default_payment_method_id,
        default_changed_at=row.default_changed_at,
    )


async def lock_account(session: AsyncSession, account_id: str) -> Account:
    """The account row, created if new, locked until the transaction ends."""
    await session.execute(insert(accounts).values(account_id=account_id).on_conflict_do_nothing())
    row = (
        await session.execute(select(accounts).where(accounts.c.account_id == account_id).with_for_update())
    ).one()
    return _account(row)


async def get_account(session: AsyncSession, account_id: str) -> Account | None:
    row = (await session.execute(select(accounts).where(accounts.c.account_id == account_id))).one_or_none()
    return _account(row) if row else None


async def account_of_customer(session: AsyncSession, customer_id: str) -> str | None:
    return (
        await session.execute(
            select(accounts.c.account_id).where(accounts.c.stripe_customer_id == customer_id)
        )
    ).scalar_one_or_none()


async def set_stripe_customer(
    session: AsyncSession, account_id: str, customer_id: str, now: datetime
) -> None:
    await session.execute(
        update(accounts)
        .where(accounts.c.account_id == account_id)
        .values(updated_at=now, stripe_customer_id=customer_id)
    )


async def set_profile_completeness(
    session: AsyncSession, account_id: str, complete: bool, missing: Sequence[ProfileField], now: datetime
) -> None:
    await session.execute(
        update(accounts)
        .where(accounts.c.account_id == account_id)
        .values(updated_at=now, profile_complete=complete, missing=[m.value for m in missing])
    )


async def set_default_payment_method(
    session: AsyncSession, account_id: str, payment_method_id: str | None, changed_at: datetime, now: datetime
) -> None:
    await session.execute(
        update(accounts)
        .where(accounts.c.account_id == account_id)
        .values(updated_at=now, default_payment_method_id=payment_method_id, default_changed_at=changed_at)
    )


async def load_facts(session: AsyncSession, account: Account) -> AccountFacts:
    """The facts both statuses derive from, read in the caller's transaction."""
    activated = (
        await session.execute(
            select(services.c.service).where(
                services.c.account_id == account.account_id, services.c.activated
            )
        )
    ).scalars()
    debts = (
        await session.execute(
            select(invoices.c.service, func.count())
            .where(invoices.c.account_id == account.account_id, owed())
            .group_by(invoices.c.service)
        )
    ).all()
    facts = AccountFacts(
        profile_complete=account.profile_complete,
        missing=account.missing,
        has_default_payment_method=account.default_payment_method_id is not None,
        activated=frozenset(Service(s) for s in activated),
    )
    for service, count in debts:
        facts = facts.with_debt(Service(service), int(count))
    return facts


async def save_services(
    session: AsyncSession, account_id: str, facts: AccountFacts, changed: list[StatusChange], now: datetime
) -> None:
    """Store the switch and the derived status of each service; since/reason move only on a change."""
    by_service = {c.service: c for c in changed}
    for service in Service:
        values: dict[str, Any] = {
            "activated": service in facts.activated,
            "status": facts.status(service).value,
        }
        change = by_service.get(service)
        if change is not None:
            values |= {"since": now, "reason": change.reason.value}
        stmt = insert(services).values(account_id=account_id, service=service.value, **values)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[services.c.account_id, services.c.service], set_=values
            )
        )


async def announced_services(session: AsyncSession, account_id: str) -> set[Service]:
    """Services whose status was ever published (every publication sets `since`)."""
    query = select(services.c.service).where(
        services.c.account_id == account_id, services.c.since.isnot(None)
    )
    return {Service(s) for s in (await session.execute(query)).scalars()}


async def accounts_not_fully_announced(session: AsyncSession, after: str, limit: int) -> list[str]:
    """Accounts (in id order, after `after`) with a service whose status was never published."""
    announced = (
        select(func.count())
        .where(services.c.account_id == accounts.c.account_id, services.c.since.isnot(None))
        .scalar_subquery()
    )
    query = (
        select(accounts.c.account_id)
        .where(accounts.c.account_id > after, announced < len(Service))
        .order_by(accounts.c.account_id)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


@dataclass(frozen=True)
class ServiceState:
    """One service of an account as stored: the switch, the derived status, since when and why."""

    service: Service
    activated: bool
    status: ServiceStatus
    since: datetime | None
    reason: str | None


async def service_states(session: AsyncSession, account_id: str) -> dict[Service, ServiceState]:
    rows = (await session.execute(select(services).where(services.c.account_id == account_id))).all()
    return {
        Service(r.service): ServiceState(
            Service(r.service), bool(r.activated), ServiceStatus(r.status), r.since, r.reason
        )
        for r in rows
    }


# --- invoices ---


def _invoice(row: Any) -> InvoiceRecord:
    return InvoiceRecord(
        ref=InvoiceRef(row.account_id, row.invoice_id, Service(row.service), row.period),
        stripe_invoice_id=row.stripe_invoice_id,
        state=InvoiceState(row.state),
        amount_cents=row.amount_cents,
        currency=row.currency,
        attempt_count=row.attempt_count,
        next_attempt_at=row.next_attempt_at,
        hosted_invoice_url=row.hosted_invoice_url,
        failure_code=row.failure_code,
        failed_for_good=row.failed_for_good,
        dispute_id=row.dispute_id,
        dispute_status=DisputeStatus(row.dispute_status) if row.dispute_status else None,
        disputed_at=row.disputed_at,
        recovered_at=row.recovered_at,
        recovers_invoice_id=row.recovers_invoice_id,
        invoice_pdf=row.invoice_pdf,
        paid_at=row.paid_at,
    )


async def invoice(session: AsyncSession, stripe_invoice_id: str) -> InvoiceRecord | None:
    row = (
        await session.execute(
            select(invoices).where(invoices.c.stripe_invoice_id == stripe_invoice_id).with_for_update()
        )
    ).one_or_none()
    return _invoice(row) if row else None


async def save_invoice(session: AsyncSession, record: InvoiceRecord, now: datetime) -> None:
    values = {
        "account_id": record.ref.account_id,
        "invoice_id": record.ref.invoice_id,
        "service": record.ref.service.value,
        "period": record.ref.period,
        "state": record.state.value,
        "amount_cents": record.amount_cents,
        "currency": record.currency,
        "attempt_count": record.attempt_count,
        "next_attempt_at": record.next_attempt_at,
        "hosted_invoice_url": record.hosted_invoice_url,
        "failure_code": record.failure_code,
        "failed_for_good": record.failed_for_good,
        "dispute_id": record.dispute_id,
        "dispute_status": record.dispute_status.value if record.dispute_status else None,
        "disputed_at": record.disputed_at,
        "recovered_at": record.recovered_at,
        "recovers_invoice_id": record.recovers_invoice_id,
        "invoice_pdf": record.invoice_pdf,
        "paid_at": record.paid_at,
        "updated_at": now,
    }
    stmt = insert(invoices).values(stripe_invoice_id=record.stripe_invoice_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[invoices.c.stripe_invoice_id], set_=values)
    )


async def unpaid_invoices(session: AsyncSession, account_id: str) -> list[InvoiceRecord]:
    """Invoices still owed (open or failed for good), oldest period first."""
    rows = (
        await session.execute(
            select(invoices)
            .where(
                invoices.c.account_id == account_id,
                invoices.c.state.in_([InvoiceState.OPEN.value, InvoiceState.FAILED.value]),
            )
            .order_by(invoices.c.period, invoices.c.service)
        )
    ).all()
    return [_invoice(r) for r in rows]


def owed() -> ColumnElement[bool]:
    """Unpaid and failed for good (DESIGN §5): failed, a debit processing on such an invoice, or a lost
    dispute whose recovery invoice is not paid yet. Mirrors InvoiceRecord.unpaid_final."""
    return or_(
        invoices.c.state == InvoiceState.FAILED.value,
        and_(invoices.c.state == InvoiceState.PROCESSING.value, invoices.c.failed_for_good),
        and_(invoices.c.state == InvoiceState.DISPUTED.value, invoices.c.recovered_at.is_(None)),
    )


async def invoice_by_our_id(session: AsyncSession, account_id: str, invoice_id: UUID) -> InvoiceRecord | None:
    row = (
        await session.execute(
            select(invoices)
            .where(invoices.c.account_id == account_id, invoices.c.invoice_id == invoice_id)
            .with_for_update()
        )
    ).one_or_none()
    return _invoice(row) if row else None


async def outstanding_invoices(session: AsyncSession, account_id: str) -> list[InvoiceRecord]:
    """What the overview lists: unpaid, processing, and lost disputes not yet recovered."""
    rows = (
        await session.execute(
            select(invoices)
            .where(
                invoices.c.account_id == account_id,
                or_(
                    invoices.c.state.in_(
                        [InvoiceState.OPEN.value, InvoiceState.FAILED.value, InvoiceState.PROCESSING.value]
                    ),
                    owed(),
                ),
            )
            .order_by(invoices.c.period, invoices.c.service)
        )
    ).all()
    return [_invoice(r) for r in rows]


async def paid_invoices(session: AsyncSession, account_id: str) -> list[InvoiceRecord]:
    """Paid invoices (their receipts), newest period first."""
    rows = (
        await session.execute(
            select(invoices)
            .where(invoices.c.account_id == account_id, invoices.c.state == InvoiceState.PAID.value)
            .order_by(invoices.c.period.desc(), invoices.c.service)
        )
    ).all()
    return [_invoice(r) for r in rows]


async def opened_disputes(session: AsyncSession, account_id: str) -> list[InvoiceRecord]:
    """Paid invoices whose payment is disputed and not decided yet (the console warns)."""
    rows = (
        await session.execute(
            select(invoices)
            .where(
                invoices.c.account_id == account_id,
                invoices.c.state == InvoiceState.PAID.value,
                invoices.c.dispute_status == DisputeStatus.OPENED.value,
            )
            .order_by(invoices.c.period, invoices.c.service)
        )
    ).all()
    return [_invoice(r) for r in rows]


async def count_unpaid_final(session: AsyncSession, account_id: str, service: Service) -> int:
    return int(
        (
            await session.execute(
                select(func.count()).where(
                    invoices.c.account_id == account_id,
                    invoices.c.service == service.value,
                    owed(),
                )
            )
        ).scalar_one()
    )


# --- the repository handlers use ---


class Payments(Protocol):
    """What payments' handlers need of storage (`PaymentsRepository`, or an in-memory fake in fast
    tests). Every write path locks the account first (`lock_account`)."""

    async def lock_account(self, account_id: str) -> Account:
        """The account, created if new, its row locked until the transaction ends."""
        ...

    async def get_account(self, account_id: str) -> Account | None: ...

    async def account_of_customer(self, customer_id: str) -> str | None:
        """The account whose Stripe customer this is, if any."""
        ...

    async def set_stripe_customer(self, account_id: str, customer_id: str, now: datetime) -> None: ...

    async def set_profile_completeness(
        self, account_id: str, complete: bool, missing: Sequence[ProfileField], now: datetime
    ) -> None: ...

    async def set_default_payment_method(
        self, account_id: str, payment_method_id: str | None, changed_at: datetime, now: datetime
    ) -> None:
        """The default for invoices (None: none left), and when Stripe says it changed."""
        ...

    async def load_facts(self, account: Account) -> AccountFacts:
        """The facts both statuses derive from."""
        ...

    async def save_services(
        self, account_id: str, facts: AccountFacts, changed: list[StatusChange], now: datetime
    ) -> None:
        """Store each service's switch and derived status; since/reason move only on a change."""
        ...

    async def announced_services(self, account_id: str) -> set[Service]:
        """Services whose status was ever published."""
        ...

    async def accounts_not_fully_announced(self, after: str, limit: int) -> list[str]: ...

    async def service_states(self, account_id: str) -> dict[Service, ServiceState]: ...

    async def invoice(self, stripe_invoice_id: str) -> InvoiceRecord | None:
        """An invoice by Stripe's id, its row locked until the transaction ends."""
        ...

    async def invoice_by_our_id(self, account_id: str, invoice_id: UUID) -> InvoiceRecord | None:
        """An invoice by our id, its row locked until the transaction ends."""
        ...

    async def save_invoice(self, record: InvoiceRecord, now: datetime) -> None: ...

    async def unpaid_invoices(self, account_id: str) -> list[InvoiceRecord]:
        """Open or failed for good, oldest period first."""
        ...

    async def outstanding_invoices(self, account_id: str) -> list[InvoiceRecord]: ...

    async def paid_invoices(self, account_id: str) -> list[InvoiceRecord]: ...

    async def opened_disputes(self, account_id: str) -> list[InvoiceRecord]: ...

    async def count_unpaid_final(self, account_id: str, service: Service) -> int:
        """The service's invoices that failed for good and are still owed."""
        ...

    async def payment_method(self, account_id: str, pm_id: str) -> StoredPaymentMethod | None: ...

    async def attached_payment_methods(self, account_id: str) -> list[PaymentMethodFacts]: ...

    async def save_payment_method(self, account_id: str, pm: PaymentMethodFacts) -> None:
        """Record an attached method's facts; a detached one stays detached, a known mandate stays."""
        ...

    async def mark_detached(self, account_id: str, pm_id: str, when: datetime) -> bool:
        """True when the method was attached until now."""
        ...

    async def set_mandate(self, account_id: str, pm_id: str, mandate_id: str) -> None: ...


class PaymentsRepository:
    """payments' tables over one session (the unit of work's transaction): accounts, services,
    invoices, payment methods, and the stored Stripe events the processor claims."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # accounts

    async def lock_account(self, account_id: str) -> Account:
        return await lock_account(self._session, account_id)

    async def get_account(self, account_id: str) -> Account | None:
        return await get_account(self._session, account_id)

    async def account_of_customer(self, customer_id: str) -> str | None:
        return await account_of_customer(self._session, customer_id)

    async def set_stripe_customer(self, account_id: str, customer_id: str, now: datetime) -> None:
        await set_stripe_customer(self._session, account_id, customer_id, now)

    async def set_profile_completeness(
        self, account_id: str, complete: bool, missing: Sequence[ProfileField], now: datetime
    ) -> None:
        await set_profile_completeness(self._session, account_id, complete, missing, now)

    async def set_default_payment_method(
        self, account_id: str, payment_method_id: str | None, changed_at: datetime, now: datetime
    ) -> None:
        await set_default_payment_method(self._session, account_id, payment_method_id, changed_at, now)

    # services

    async def load_facts(self, account: Account) -> AccountFacts:
        return await load_facts(self._session, account)

    async def save_services(
        self, account_id: str, facts: AccountFacts, changed: list[StatusChange], now: datetime
    ) -> None:
        await save_services(self._session, account_id, facts, changed, now)

    async def announced_services(self, account_id: str) -> set[Service]:
        return await announced_services(self._session, account_id)

    async def accounts_not_fully_announced(self, after: str, limit: int) -> list[str]:
        return await accounts_not_fully_announced(self._session, after, limit)

    async def service_states(self, account_id: str) -> dict[Service, ServiceState]:
        return await service_states(self._session, account_id)

    # invoices

    async def invoice(self, stripe_invoice_id: str) -> InvoiceRecord | None:
        return await invoice(self._session, stripe_invoice_id)

    async def invoice_by_our_id(self, account_id: str, invoice_id: UUID) -> InvoiceRecord | None:
        return await invoice_by_our_id(self._session, account_id, invoice_id)

    async def save_invoice(self, record: InvoiceRecord, now: datetime) -> None:
        await save_invoice(self._session, record, now)

    async def unpaid_invoices(self, account_id: str) -> list[InvoiceRecord]:
        return await unpaid_invoices(self._session, account_id)

    async def outstanding_invoices(self, account_id: str) -> list[InvoiceRecord]:
        return await outstanding_invoices(self._session, account_id)

    async def paid_invoices(self, account_id: str) -> list[InvoiceRecord]:
        return await paid_invoices(self._session, account_id)

    async def opened_disputes(self, account_id: str) -> list[InvoiceRecord]:
        return await opened_disputes(self._session, account_id)

    async def count_unpaid_final(self, account_id: str, service: Service) -> int:
        return await count_unpaid_final(self._session, account_id, service)

    # payment methods

    async def payment_method(self, account_id: str, pm_id: str) -> StoredPaymentMethod | None:
        return await payment_methods_repo.payment_method(self._session, account_id, pm_id)

    async def attached_payment_methods(self, account_id: str) -> list[PaymentMethodFacts]:
        return await payment_methods_repo.attached_payment_methods(self._session, account_id)

    async def save_payment_method(self, account_id: str, pm: PaymentMethodFacts) -> None:
        await payment_methods_repo.save_payment_method(self._session, account_id, pm)

    async def mark_detached(self, account_id: str, pm_id: str, when: datetime) -> bool:
        return await payment_methods_repo.mark_detached(self._session, account_id, pm_id, when)

    async def set_mandate(self, account_id: str, pm_id: str, mandate_id: str) -> None:
        await payment_methods_repo.set_mandate(self._session, account_id, pm_id, mandate_id)

    # stored Stripe events (the webhook route, the processor, ops)

    async def store_events(self, events: Sequence[event_store.NewEvent], now: datetime) -> list[bool]:
        """For each event, True when it is new (a redelivery is stored once)."""
        return await event_store.store_many(self._session, events, now)

    async def claim_event(self, now: datetime) -> StoredEvent | None:
        """Lock the oldest due event at the head of its customer's queue (FOR UPDATE SKIP LOCKED)."""
        return await event_store.claim(self._session, now)

    async def finish_event(self, event_id: str, outcome: str, now: datetime) -> None:
        await event_store.finish(self._session, event_id, outcome, now)

    async def postpone_event(
        self,
        event_id: str,
        *,
        attempts: int,
        error: str,
        now: datetime,
        max_attempts: int,
        max_backoff_s: float,
    ) -> bool:
        """Count a failed attempt; back off, or give up after max_attempts. True when given up."""
        return await event_store.postpone(
            self._session,
            event_id,
            attempts=attempts,
            error=error,
            now=now,
            max_attempts=max_attempts,
            max_backoff_s=max_backoff_s,
        )

    async def replay_event(self, event_id: str, now: datetime) -> bool:
        """A failed event becomes pending again with fresh attempts; False when it is not failed."""
        return await failed_events.replay(self._session, event_id, now)

    async def stored_event(self, event_id: str) -> EventRecord | None:
        """What an operator sees of one stored event."""
        return await failed_events.one(self._session, event_id)
