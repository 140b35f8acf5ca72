"""The worker that issues recovery invoices of lost disputes (requested by the payments consumer)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from autoletter.invoicing.adapters import recovery_repo
from autoletter.invoicing.handlers import recovery

if TYPE_CHECKING:
    from autoletter.invoicing.bootstrap import InvoicingRuntime

log = logging.getLogger(__name__)


async def issue_recoveries(runtime: InvoicingRuntime) -> int:
    """Issue every recovery still a draft (new, or left by a crash); the number issued."""
    async with runtime.sessions.begin() as session:
        waiting = await recovery_repo.unfinished(session)
    issued = 0
    for invoice_id in waiting:
        issued += await recovery.issue(runtime.sessions, runtime.billing, invoice_id, runtime.clock.now())
    return issued


async def recovery_worker(runtime: InvoicingRuntime) -> None:
    while True:
        try:
            await issue_recoveries(runtime)
        except Exception:
            log.warning("recovery_issue_failed", exc_info=True)  # the next round tries again
        await asyncio.sleep(runtime.settings.recovery_check_interval_s)
