"""The customer's switches: activate and deactivate one service (the other is never touched)."""

from __future__ import annotations

from autoletter.contracts.common import Service, ServiceStatus
from autoletter.payments.domain import status
from autoletter.payments.handlers.common import PaymentsWork, commit_facts


async def activate(uow: PaymentsWork, account_id: str, service: Service) -> ServiceStatus:
    """Raises PrerequisitesMissing naming what is missing; activating twice changes nothing."""
    account = await uow.repos.lock_account(account_id)
    before = await uow.repos.load_facts(account)
    after, changed = status.activate(before, service)
    await commit_facts(uow, account_id, after, changed, None)
    return after.status(service)


async def deactivate(uow: PaymentsWork, account_id: str, service: Service) -> ServiceStatus:
    """The debt of the service stays: reactivating it while unpaid gives overdue."""
    account = await uow.repos.lock_account(account_id)
    before = await uow.repos.load_facts(account)
    after, changed = status.deactivate(before, service)
    await commit_facts(uow, account_id, after, changed, None)
    return after.status(service)
