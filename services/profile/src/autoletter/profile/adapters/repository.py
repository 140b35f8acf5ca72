"""Load and save profiles; every query is scoped by the account id it is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.profile.adapters.tables import profiles
from autoletter.profile.domain import Profile


@dataclass(frozen=True)
class StoredProfile:
    """A profile as stored: its value, version (0: never written) and last change."""

    account_id: str
    profile: Profile
    version: int
    updated_at: datetime | None

    @classmethod
    def never_written(cls, account_id: str) -> StoredProfile:
        return cls(account_id, Profile(), 0, None)


class ConcurrentWrite(Exception):
    """The row changed since it was read; the caller's lock should make this impossible."""


async def load(session: AsyncSession, account_id: str, *, for_update: bool = False) -> StoredProfile:
    """The account's profile, or an empty one at version 0 when it was never written."""
    query = select(profiles).where(profiles.c.account_id == account_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).mappings().first()
    if row is None:
        return StoredProfile.never_written(account_id)
    return StoredProfile(account_id, Profile.from_dict(dict(row)), row["version"], row["updated_at"])


async def save(
    session: AsyncSession, before: StoredProfile, profile: Profile, now: datetime
) -> StoredProfile:
    """Write `profile` as the next version after `before`; only if `before` is still current."""
    values = {**profile.to_dict(), "version": before.version + 1, "updated_at": now}
    if before.version == 0:
        await session.execute(insert(profiles).values(account_id=before.account_id, **values))
    else:
        # Conditional on the version read: a lost update is impossible even without the lock.
        result = await session.execute(
            update(profiles)
            .where(profiles.c.account_id == before.account_id, profiles.c.version == before.version)
            .values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentWrite(before.account_id)
    return StoredProfile(before.account_id, profile, before.version + 1, now)
