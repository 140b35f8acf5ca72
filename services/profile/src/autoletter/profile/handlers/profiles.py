"""Read a profile; write one under a precondition, staging the events it causes.

A write serialises on the account (advisory lock), checks `If-Match` against the version it then
reads, applies the change, and stages its events beside the row, so both commit together
(transactional outbox) when the caller commits the unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from autoletter.contracts import Envelope
from autoletter.contracts.common import PostalAddress
from autoletter.contracts.profile import ProfileCompleted, ProfileIncomplete, ProfileUpdated
from autoletter.profile.adapters.repository import Profiles, StoredProfile
from autoletter.profile.domain import (
    BecameComplete,
    BecameIncomplete,
    Profile,
    ProfileEvent,
    normalise,
    transition,
)
from autoletter.runtime.uow import UnitOfWork

#: A write: the new profile, from the stored one (PUT replaces it, PATCH merges into it).
Change = Callable[[Profile], Profile]

#: The advisory-lock scope one account's writes serialise on.
WRITE_LOCK = "profile-write"


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


async def get_profile(profiles: Profiles, account_id: str) -> StoredProfile:
    """The account's profile (never written: empty, at version 0)."""
    return await profiles.load(account_id)


async def write_profile(uow: UnitOfWork[Profiles], write: Write) -> StoredProfile:
    """Apply a write; raises PreconditionFailed or InvalidProfile having saved and staged nothing."""
    # One writer per account at a time, even for the first write (no row to lock yet).
    await uow.lock(WRITE_LOCK, write.account_id)
    before = await uow.repos.load(write.account_id, for_update=True)
    if write.if_match is not None and before.version not in write.if_match:
        raise PreconditionFailed(before)
    after = normalise(write.change(before.profile))
    first = before.version == 0
    if not first and after == before.profile:
        return before  # changes nothing: no new version, no event
    saved = await uow.repos.save(before, after, uow.now())
    events = transition(None if first else before.profile, after)
    await uow.stage(*(to_message(uow, event, write.account_id) for event in events))
    return saved


def to_message(uow: UnitOfWork[object], event: ProfileEvent, account_id: str) -> Envelope:
    """The contract message announcing a domain event on profile.events."""
    if isinstance(event, BecameIncomplete):
        return uow.new_event(
            ProfileIncomplete, account_id=account_id, missing=[f.value for f in event.missing]
        )
    cls = ProfileCompleted if isinstance(event, BecameComplete) else ProfileUpdated
    profile = event.profile
    assert profile.address is not None  # a complete profile has a complete address
    return uow.new_event(
        cls,
        account_id=account_id,
        name=profile.name,
        email=profile.email,
        address=PostalAddress(**profile.address.to_dict()),
    )
