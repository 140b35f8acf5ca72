"""The customer's switches: activate and deactivate one service (the other is never touched)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts.common import Service, ServiceStatus
from autoletter.payments.adapters import repository
from autoletter.payments.domain import status
from autoletter.payments.handlers.common import Context, commit_facts


async def activate(ctx: Context, session: AsyncSession, account_id: str, service: Service) -> ServiceStatus:
    """Raises PrerequisitesMissing naming what is missing; activating twice changes nothing."""
    account = await repository.lock_account(session, account_id)
    before = await repository.load_facts(session, account)
    after, changed = status.activate(before, service)
    await commit_facts(session, ctx, account_id, after, changed, None)
    return after.status(service)


async def deactivate(ctx: Context, session: AsyncSession, account_id: str, service: Service) -> ServiceStatus:
    """The debt of the service stays: reactivating it while unpaid gives overdue."""
    account = await repository.lock_account(session, account_id)
    before = await repository.load_facts(session, account)
    after, changed = status.deactivate(before, service)
    await commit_facts(session, ctx, account_id, after, changed, None)
    return after.status(service)
