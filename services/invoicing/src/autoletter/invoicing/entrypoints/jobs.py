"""Background jobs of the service: the run worker, the monthly schedule, the ledger gauges."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from autoletter.invoicing import metrics
from autoletter.invoicing.adapters import invoice_repo
from autoletter.invoicing.domain.period import due_for_close

if TYPE_CHECKING:
    from autoletter.invoicing.bootstrap import InvoicingRuntime

log = logging.getLogger(__name__)


async def billing_run_worker(runtime: InvoicingRuntime) -> None:
    """Executes the runs requested over HTTP."""
    await runtime.runs.serve()


async def scheduled_close(runtime: InvoicingRuntime) -> bool:
    """Close the previous month if its grace delay passed and no close of it completed; True if run."""
    period = due_for_close(runtime.clock.now(), timedelta(seconds=runtime.settings.close_grace_s))
    if period is None or await runtime.runs.completed(period):
        return False
    result = await runtime.runs.close_period(period, trigger="schedule")
    return result.status != "skipped"


async def close_schedule(runtime: InvoicingRuntime) -> None:
    """Checks the schedule periodically (the time comes from the injectable clock)."""
    while runtime.settings.close_schedule_enabled:
        try:
            await scheduled_close(runtime)
        except Exception:
            log.exception("scheduled_close_failed")  # the next check tries again
        await asyncio.sleep(runtime.settings.close_check_interval_s)


async def refresh_gauges(runtime: InvoicingRuntime) -> None:
    """Usage lines, unbilled amount by service and invoices by state, from the database."""
    while True:
        try:
            async with runtime.sessions.begin() as session:
                for service, lines, unbilled in await invoice_repo.ledger_totals(session):
                    metrics.USAGE_LINES.labels(service).set(lines)
                    metrics.UNBILLED_CENTS.labels(service).set(unbilled)
                for state, n in (await invoice_repo.state_counts(session)).items():
                    metrics.INVOICES.labels(state).set(n)
        except Exception:
            log.warning("gauge_refresh_failed", exc_info=True)
        await asyncio.sleep(runtime.settings.metrics_interval_s)
