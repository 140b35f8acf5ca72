"""The steps of invoicing's jobs: the monthly schedule and the ledger gauges (the runtime loops)."""

from __future__ import annotations

from datetime import timedelta

from autoletter.invoicing import metrics
from autoletter.invoicing.adapters import invoice_repo
from autoletter.invoicing.domain.period import due_for_close
from autoletter.invoicing.domain.runs import RunStatus
from autoletter.invoicing.entrypoints.deps import Deps


async def scheduled_close(deps: Deps) -> bool:
    """Close the previous month if its grace delay passed and no close of it completed; True if run."""
    period = due_for_close(deps.clock.now(), timedelta(seconds=deps.settings.close_grace_s))
    if period is None or await deps.runs.completed(period):
        return False
    result = await deps.runs.close_period(period, trigger="schedule")
    return result.status != RunStatus.SKIPPED


async def update_gauges(deps: Deps) -> None:
    """Usage lines, unbilled amount by service and invoices by state, from the database."""
    async with deps.sessions.begin() as session:
        for service, lines, unbilled in await invoice_repo.ledger_totals(session):
            metrics.USAGE_LINES.labels(service).set(lines)
            metrics.UNBILLED_CENTS.labels(service).set(unbilled)
        for state, n in (await invoice_repo.state_counts(session)).items():
            metrics.INVOICES.labels(state).set(n)
