"""The step of the job that issues recovery invoices of lost disputes (requested by the payments
consumer); the runtime runs it every `recovery_check_interval_s`."""

from __future__ import annotations

from autoletter.invoicing.entrypoints.deps import Deps
from autoletter.invoicing.handlers import recovery


async def issue_recoveries(deps: Deps) -> int:
    """Issue every recovery still a draft (new, or left by a crash); the number issued."""
    async with deps.units.begin() as uow:
        waiting = await uow.repos.unfinished_recoveries()
    issued = 0
    for invoice_id in waiting:
        issued += await recovery.issue(deps.units, deps.billing, invoice_id)
    return issued
