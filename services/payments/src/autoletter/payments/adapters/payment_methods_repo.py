"""The account's payment methods: display facts only (never a card or bank number)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.payments.adapters.tables import payment_methods
from autoletter.payments.domain.payment_methods import PaymentMethodFacts


async def save_payment_method(session: AsyncSession, account_id: str, pm: PaymentMethodFacts) -> None:
    """Record (or re-record) an attached method's display facts."""
    values = {
        "account_id": account_id,
        "type": pm.type,
        "brand": pm.brand,
        "last4": pm.last4,
        "exp_month": pm.exp_month,
        "exp_year": pm.exp_year,
        "bank_code": pm.bank_code,
        "country": pm.country,
        "mandate_id": pm.mandate_id,
        "attached_at": pm.attached_at,
        "detached_at": None,
    }
    stmt = insert(payment_methods).values(payment_method_id=pm.payment_method_id, **values)
    # A method that was detached stays detached: Stripe never re-attaches a detached PaymentMethod.
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[payment_methods.c.account_id, payment_methods.c.payment_method_id],
            set_={
                **{k: v for k, v in values.items() if k not in ("detached_at", "account_id", "mandate_id")},
                # a mandate once known stays known (a payment_method object does not name it)
                "mandate_id": func.coalesce(stmt.excluded.mandate_id, payment_methods.c.mandate_id),
            },
        )
    )


def _pm(row: Any) -> PaymentMethodFacts:
    return PaymentMethodFacts(
        payment_method_id=row.payment_method_id,
        type=row.type,
        brand=row.brand,
        last4=row.last4,
        exp_month=row.exp_month,
        exp_year=row.exp_year,
        attached_at=row.attached_at,
        bank_code=row.bank_code,
        country=row.country,
        mandate_id=row.mandate_id,
    )


@dataclass(frozen=True)
class StoredPaymentMethod:
    """A method of an account as stored: its facts, and whether it left the customer."""

    facts: PaymentMethodFacts
    detached: bool


async def payment_method(session: AsyncSession, account_id: str, pm_id: str) -> StoredPaymentMethod | None:
    """A method of this account and whether it is detached."""
    row = (
        await session.execute(
            select(payment_methods).where(
                payment_methods.c.account_id == account_id, payment_methods.c.payment_method_id == pm_id
            )
        )
    ).one_or_none()
    return StoredPaymentMethod(_pm(row), row.detached_at is not None) if row else None


async def attached_payment_methods(session: AsyncSession, account_id: str) -> list[PaymentMethodFacts]:
    rows = (
        await session.execute(
            select(payment_methods).where(
                payment_methods.c.account_id == account_id, payment_methods.c.detached_at.is_(None)
            )
        )
    ).all()
    return [_pm(r) for r in rows]


async def mark_detached(session: AsyncSession, account_id: str, pm_id: str, when: datetime) -> bool:
    """True when the method was attached until now."""
    result = await session.execute(
        update(payment_methods)
        .where(
            payment_methods.c.account_id == account_id,
            payment_methods.c.payment_method_id == pm_id,
            payment_methods.c.detached_at.is_(None),
        )
        .values(detached_at=when)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def set_mandate(session: AsyncSession, account_id: str, pm_id: str, mandate_id: str) -> None:
    await session.execute(
        update(payment_methods)
        .where(payment_methods.c.account_id == account_id, payment_methods.c.payment_method_id == pm_id)
        .values(mandate_id=mandate_id)
    )
