"""Read models for the HTTP API: usage of a period, invoices of an account, a billing run."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts.common import Service
from autoletter.invoicing.adapters import invoice_repo, ledger_repo, recovery_repo, runs_repo
from autoletter.invoicing.domain.period import Period
from autoletter.invoicing.domain.pricing import NoPriceInForce, PriceList


async def usage(session: AsyncSession, account_id: str, period: Period, currency: str) -> dict[str, Any]:
    rows = {
        r.service: r for r in await ledger_repo.usage_summary(session, account_id, period.start, period.end)
    }
    services = []
    for service in Service:
        r = rows.get(service.value)
        services.append(
            {
                "service": service.value,
                "letters": int(r.letters) if r else 0,
                "sheets": int(r.sheets) if r else 0,
                "amount_cents": int(r.amount_cents) if r else 0,
                "billed_letters": int(r.billed_letters) if r else 0,
                "currency": currency,
            }
        )
    return {"account_id": account_id, "period": str(period), "services": services}


def prices(price_list: PriceList, at: datetime) -> dict[str, Any]:
    """The price in force at `at` for each service that has one (gross, in cents)."""
    services = []
    for service in Service:
        try:
            price = price_list.in_force(service, at)
        except NoPriceInForce:
            continue
        services.append(
            {
                "service": service.value,
                "letter_cents": price.letter_cents,
                "extra_sheet_cents": price.extra_sheet_cents,
                "currency": price.currency,
                "effective_from": price.effective_from.isoformat(),
            }
        )
    return {"at": at.isoformat(), "services": services}


async def charge(session: AsyncSession, account_id: str, letter_id: UUID) -> dict[str, Any] | None:
    """What a sent letter costs and the period it is billed in: its invoice's, else the month it was sent."""
    r = await ledger_repo.charge_of(session, account_id, letter_id)
    if r is None:
        return None
    return {
        "account_id": account_id,
        "letter_id": str(r.letter_id),
        "service": r.service,
        "sent_at": r.sent_at.isoformat(),
        "sheets": r.sheets,
        "letter_cents": r.letter_cents,
        "extra_sheets": r.sheets - 1,
        "extra_sheet_cents": r.extra_sheet_cents,
        "amount_cents": r.amount_cents,
        "currency": r.currency,
        "period": r.invoice_period or str(Period.containing(r.sent_at)),
        "invoice_id": str(r.invoice_id) if r.invoice_id else None,
        "invoice_state": r.invoice_state,
    }


async def invoices(session: AsyncSession, account_id: str) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "invoices": [
            {
                "invoice_id": str(r.invoice_id),
                "stripe_invoice_id": r.stripe_invoice_id,
                "service": r.service,
                "period": r.period,
                "state": r.state,
                "letters": r.letters,
                "amount_cents": r.amount_cents,
                "currency": r.currency,
                "issued_at": r.issued_at.isoformat() if r.issued_at else None,
            }
            for r in await invoice_repo.of_account(session, account_id)
        ],
        # A lost dispute's amount billed again (no letters, no fee): one per dispute.
        "recovery_invoices": [
            {
                "invoice_id": str(r.invoice_id),
                "stripe_invoice_id": r.stripe_invoice_id,
                "recovers_invoice_id": str(r.recovers_invoice_id),
                "dispute_id": r.dispute_id,
                "service": r.service,
                "period": r.period,
                "state": r.state,
                "amount_cents": r.amount_cents,
                "currency": r.currency,
            }
            for r in await recovery_repo.of_account(session, account_id)
        ],
    }


async def run(session: AsyncSession, run_id: UUID) -> dict[str, Any] | None:
    r = await runs_repo.get(session, run_id)
    if r is None:
        return None
    done = r.issued + r.carried_over + r.no_customer + r.failed
    return {
        "run_id": str(r.run_id),
        "period": r.period,
        "status": r.status,
        "trigger": r.trigger,
        "created_at": r.created_at.isoformat(),
        "started_at": r.started_at.isoformat() if r.started_at else None,
        "finished_at": r.finished_at.isoformat() if r.finished_at else None,
        "progress": {
            "candidates": r.candidates,
            "done": done,
            "issued": r.issued,
            "carried_over": r.carried_over,
            "no_customer": r.no_customer,
            "failed": r.failed,
        },
        "stripe_requests": r.stripe_requests,
        "error": r.error,
    }
