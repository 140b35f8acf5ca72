"""payments' consumer registry: what it does with the messages of other services."""

from __future__ import annotations

from autoletter.contracts import CONSUMER_GROUPS
from autoletter.contracts.profile import ProfileCompleted, ProfileIncomplete, ProfileUpdated
from autoletter.payments.adapters.repository import PaymentsRepository
from autoletter.payments.handlers import profile
from autoletter.payments.handlers.common import Context
from autoletter.runtime.consumer import Subscription
from autoletter.runtime.registry import on, subscribe
from autoletter.runtime.uow import SqlUnitOfWork


def subscriptions(ctx: Context) -> list[Subscription]:
    """A complete profile creates or updates the Stripe customer; an incomplete one is remembered."""

    async def completed(
        uow: SqlUnitOfWork[PaymentsRepository], event: ProfileCompleted | ProfileUpdated
    ) -> None:
        await profile.on_profile_complete(uow, ctx, event)

    async def incomplete(uow: SqlUnitOfWork[PaymentsRepository], event: ProfileIncomplete) -> None:
        await profile.on_profile_incomplete(uow, event)

    return [
        subscribe(
            CONSUMER_GROUPS["payments.profile"],
            on(ProfileCompleted, completed),
            on(ProfileUpdated, completed),
            on(ProfileIncomplete, incomplete),
        )
    ]
