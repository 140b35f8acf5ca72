"""Load and save profiles; every query is scoped by the account id it is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.profile.adapters.tables import profiles
from autoletter.profile.domain import Address, Profile


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


class Profiles(Protocol):
    """What the handlers need of profile storage (`ProfileRepository`, or a fake in fast tests)."""

    async def load(self, account_id: str, *, for_update: bool = False) -> StoredProfile:
        """The account's profile, or an empty one at version 0 when it was never written."""
        ...

    async def save(self, before: StoredProfile, after: Profile, now: datetime) -> StoredProfile:
        """Write `after` as the next version after `before`; only if `before` is still current."""
        ...


class ProfileRepository:
    """The `profiles` table, over one session (the unit of work's transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def load(self, account_id: str, *, for_update: bool = False) -> StoredProfile:
        """The account's profile, or an empty one at version 0 when it was never written;
        `for_update` locks its row until the transaction ends."""
        query = select(profiles).where(profiles.c.account_id == account_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).mappings().first()
        if row is None:
            return StoredProfile.never_written(account_id)
        return _stored(row)

    async def save(self, before: StoredProfile, after: Profile, now: datetime) -> StoredProfile:
        """Write `after` as the next version after `before`; only if `before` is still current
        (else ConcurrentWrite)."""
        version = before.version + 1
        address = _address_column(after.address)
        if before.version == 0:
            await self._session.execute(
                insert(profiles).values(
                    account_id=before.account_id,
                    name=after.name,
                    email=after.email,
                    address=address,
                    version=version,
                    updated_at=now,
                )
            )
        else:
            # Conditional on the version read: a lost update is impossible even without the lock.
            result = await self._session.execute(
                update(profiles)
                .where(profiles.c.account_id == before.account_id, profiles.c.version == before.version)
                .values(name=after.name, email=after.email, address=address, version=version, updated_at=now)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise ConcurrentWrite(before.account_id)
        return StoredProfile(before.account_id, after, version, now)


def _address_column(address: Address | None) -> dict[str, str | None] | None:
    """The address as its JSONB column holds it (all five parts, absent ones null)."""
    return address.to_dict() if address is not None else None


def _stored(row: RowMapping) -> StoredProfile:
    address: dict[str, Any] | None = row["address"]
    profile = Profile(
        name=row["name"],
        email=row["email"],
        address=Address.from_dict(address) if address is not None else None,
    )
    return StoredProfile(row["account_id"], profile, row["version"], row["updated_at"])
