"""Payments' side of the reconciliation (ops, DESIGN §5): the invoices of a period as payments knows
them from Stripe's webhooks (payments learns of an invoice at its first payment outcome)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from autoletter.payments.adapters.tables import invoices, stripe_events
from autoletter.payments.entrypoints.deps import DepsDep
from autoletter.runtime.auth import CurrentPrincipal, require_ops
from autoletter.runtime.http import error_responses
from autoletter.runtime.reconciliation import OPS_ONLY, Month, PeriodQuery, SideOut, settledness


class InvoiceSideOut(BaseModel):
    invoice_id: UUID
    stripe_invoice_id: str | None
    account_id: str
    service: str
    state: str
    amount_cents: int


class PaymentsSideOut(SideOut):
    stripe_events_pending: int = Field(description="Stored Stripe events not processed yet.")
    invoices: list[InvoiceSideOut]


router = APIRouter(tags=["ops"], dependencies=[OPS_ONLY])


@router.get(
    "/v1/ops/reconciliation", response_model=PaymentsSideOut, responses=error_responses(401, 403, 422)
)
async def payments_side(period: PeriodQuery, principal: CurrentPrincipal, deps: DepsDep) -> dict[str, Any]:
    """The period's invoices: our invoice id, Stripe's, the state payments derived, the amount."""
    require_ops(principal)
    month = Month.parse(period)
    query = (
        select(
            invoices.c.invoice_id,
            invoices.c.stripe_invoice_id,
            invoices.c.account_id,
            invoices.c.service,
            invoices.c.state,
            invoices.c.amount_cents,
        )
        .where(invoices.c.period == month.label)
        .order_by(invoices.c.stripe_invoice_id)
    )
    async with deps.sessions.begin() as session:
        rows = (await session.execute(query)).all()
        settled = await settledness(session, deps.settings.service_name)
        # Stored Stripe events not processed yet may still move an invoice.
        pending = (
            await session.execute(select(func.count()).where(stripe_events.c.state == "pending"))
        ).scalar_one()
    return {
        "service": "payments",
        "period": month.label,
        **settled,
        "settled": settled["settled"] and pending == 0,
        "stripe_events_pending": int(pending),
        "invoices": [
            {
                "invoice_id": str(r.invoice_id),
                "stripe_invoice_id": r.stripe_invoice_id,
                "account_id": r.account_id,
                "service": r.service,
                "state": r.state,
                "amount_cents": int(r.amount_cents),
            }
            for r in rows
        ],
    }
