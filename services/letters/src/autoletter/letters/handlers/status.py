"""Letters' copy of each service's status, and what a change of it decides for the open letters."""

from __future__ import annotations

from autoletter.contracts.common import ServiceStatus
from autoletter.contracts.payments import ServiceStatusChanged
from autoletter.letters.domain import decisions
from autoletter.letters.handlers.common import ACCOUNT_LOCK, LettersContext, LettersWork, apply


async def on_service_status_changed(
    uow: LettersWork, ctx: LettersContext, event: ServiceStatusChanged
) -> None:
    """Update letters' copy of the status and decide the service's open letters (release in order)."""
    account_id, service = event.account_id, event.service.value
    if not isinstance(event.status, ServiceStatus):
        return  # a status this version does not know (counted by the runtime): nothing to decide on
    await uow.lock(ACCOUNT_LOCK, account_id)
    found = await uow.repos.status_copy(account_id, service)
    if found is not None and found[1] > event.occurred_at:
        return  # an older status (e.g. a replayed dead letter) never moves the copy backwards
    copy = decisions.status_copy(found[0] if found else None, event.status, event.reason, event.missing)
    await uow.repos.save_status_copy(
        account_id,
        service,
        copy,
        status_reason=str(event.reason),
        changed_at=event.occurred_at,
        event_id=event.event_id,
    )
    open_letters, correlations = await uow.repos.open_letters(account_id, service)
    now = uow.now()
    transitions = decisions.on_status_changed(copy, open_letters, now, ctx.limits)
    await apply(uow, ctx, account_id, service, transitions, correlations, event.event_id, now)
