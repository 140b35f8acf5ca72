"""One reconciliation of a period (DESIGN §5): read every side, compare, keep the report.

Letters' and payments' sides come from their ops routes, Stripe's from Stripe, ours from our tables;
the report says whether every side was settled (no unpublished events, no consumer lag), since
differences found while messages are in flight may only be delays.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from autoletter.invoicing.adapters import reconciliation_repo as repo
from autoletter.invoicing.adapters.reconciliation_sources import ServiceSides, StripeInvoices
from autoletter.invoicing.domain.period import Period
from autoletter.invoicing.domain.reconciliation import SentLetter, TheirInvoice, compare, counts
from autoletter.runtime.clock import Clock
from autoletter.runtime.reconciliation import settledness

log = logging.getLogger(__name__)
STRIPE_IN_FLIGHT = 8


@dataclass(frozen=True)
class Report:
    period: Period
    checked_at: datetime
    settled: bool
    unsettled: list[str]
    checked: dict[str, int]
    differences: list[dict[str, str]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": str(self.period),
            "checked_at": self.checked_at.isoformat(),
            "settled": self.settled,
            "unsettled": self.unsettled,
            "checked": self.checked,
            "counts": counts_of(self.differences),
            "differences": self.differences,
        }


def counts_of(differences: list[dict[str, str]]) -> dict[str, int]:
    totals = counts([])
    for d in differences:
        totals[d["kind"]] += 1
    return totals


class Reconciler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        sides: ServiceSides,
        stripe: StripeInvoices,
        service_name: str,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._sides = sides
        self._stripe = stripe
        self._service = service_name

    async def run(self, period: Period) -> Report:
        """Compare every side of the period now and keep the report (replacing the period's last)."""
        letters = await self._sides.side("letters", period)
        payments = await self._sides.side("payments", period)
        async with self._sessions.begin() as session:
            usage = await repo.usage_sent_in(session, period)
            invoices = await repo.invoices_of(session, period) + await repo.recovery_invoices_of(
                session, period
            )
            ours = await settledness(session, self._service)
        stripe = await self._stripe_side([i.stripe_invoice_id for i in invoices if i.stripe_invoice_id])
        differences = compare(
            [SentLetter(s["letter_id"], s["account_id"]) for s in letters["sent"]],
            usage,
            invoices,
            {
                p["invoice_id"]: TheirInvoice(p["invoice_id"], p["state"], p["amount_cents"])
                for p in payments["invoices"]
            },
            stripe,
        )
        sides = {"letters": letters, "payments": payments, "invoicing": ours}
        report = Report(
            period=period,
            checked_at=self._clock.now(),
            settled=all(side["settled"] for side in sides.values()),
            unsettled=[name for name, side in sides.items() if not side["settled"]],
            checked={"letters": len(letters["sent"]), "usage_lines": len(usage), "invoices": len(invoices)},
            differences=[d.as_dict() for d in differences],
        )
        async with self._sessions.begin() as session:
            await repo.save_report(session, period, report.checked_at, report.settled, report.differences)
        log.info(
            "reconciliation_done",
            extra={"period": str(period), "settled": report.settled, "differences": len(differences)},
        )
        return report

    async def _stripe_side(self, stripe_ids: list[str]) -> dict[str, TheirInvoice | None]:
        """Stripe's invoices, a few requests in flight (the request budget still paces them)."""
        gate = asyncio.Semaphore(STRIPE_IN_FLIGHT)

        async def one(stripe_id: str) -> TheirInvoice | None:
            async with gate:
                return await self._stripe.get(stripe_id)

        found = await asyncio.gather(*(one(i) for i in stripe_ids))
        return dict(zip(stripe_ids, found, strict=True))
