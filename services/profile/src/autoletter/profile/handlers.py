"""The service layer: read a profile; write one under a precondition, staging the events it causes.

A write serialises on the account (advisory lock), checks `If-Match` against the version it then
reads, applies the change, and commits the row and its event together (transactional outbox).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from autoletter.contracts import Envelope, new_event
from autoletter.contracts.common import PostalAddress
from autoletter.contracts.profile import ProfileCompleted, ProfileIncomplete, ProfileUpdated
from autoletter.profile.adapters import repository
from autoletter.profile.adapters.repository import StoredProfile
from autoletter.profile.domain import (
    BecameComplete,
    BecameIncomplete,
    Profile,
    ProfileEvent,
    normalise,
    transition,
)
from autoletter.runtime import outbox
from autoletter.runtime.clock import Clock
from autoletter.runtime.db import lock_account

#: A write: the new profile, from the stored one (PUT replaces it, PATCH merges into it).
Change = Callable[[Profile], Profile]


class PreconditionFailed(Exception):
    """`If-Match` named none of the current versions; nothing was written."""

    def __init__(self, current: StoredProfile) -> None:
        super().__init__(f"profile of {current.account_id} is at version {current.version}")
        self.current = current


@dataclass(frozen=True)
class Write:
    """A write to one account's profile. `if_match`: the versions it may apply to (None: any)."""

    account_id: str
    change: Change
    if_match: frozenset[int] | None = None


@dataclass(frozen=True)
class Context:
    """What handlers need from the composition root."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    producer: str


async def get_profile(ctx: Context, account_id: str) -> StoredProfile:
    async with ctx.sessions() as session:
        return await repository.load(session, account_id)


async def write_profile(ctx: Context, write: Write) -> StoredProfile:
    """Apply a write; raises PreconditionFailed or InvalidProfile and then changes nothing."""
    async with ctx.sessions.begin() as session:
        # One writer per account at a time, even for the first write (no row to lock yet).
        await lock_account(session, "profile-write", write.account_id)
        before = await repository.load(session, write.account_id, for_update=True)
        if write.if_match is not None and before.version not in write.if_match:
            raise PreconditionFailed(before)
        after = normalise(write.change(before.profile))
        first = before.version == 0
        if not first and after == before.profile:
            return before  # changes nothing: no new version, no event
        now = ctx.clock.now()
        saved = await repository.save(session, before, after, now)
        events = transition(None if first else before.profile, after)
        await outbox.add(session, *(to_message(e, write.account_id, ctx.producer, now) for e in events))
        return saved


def to_message(event: ProfileEvent, account_id: str, producer: str, occurred_at: datetime) -> Envelope:
    """The contract message announcing a domain event on profile.events."""
    if isinstance(event, BecameIncomplete):
        missing = [f.value for f in event.missing]
        return new_event(
            ProfileIncomplete,
            account_id=account_id,
            producer=producer,
            occurred_at=occurred_at,
            missing=missing,
        )
    cls = ProfileCompleted if isinstance(event, BecameComplete) else ProfileUpdated
    profile = event.profile
    assert profile.address is not None  # a complete profile has a complete address
    return new_event(
        cls,
        account_id=account_id,
        producer=producer,
        occurred_at=occurred_at,
        name=profile.name,
        email=profile.email,
        address=PostalAddress(**profile.address.to_dict()),
    )
