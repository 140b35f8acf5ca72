"""Profile's handlers on a fake unit of work and an in-memory repository: no database, no broker.

What the service does with a write (which events it stages, what it saves, which lock it takes)
is decided here; test_profile_events.py checks the same through the real service and Kafka.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from autoletter.contracts.common import PostalAddress
from autoletter.contracts.profile import ProfileCompleted, ProfileIncomplete, ProfileUpdated
from autoletter.profile import handlers
from autoletter.profile.adapters.repository import StoredProfile
from autoletter.profile.domain import Address, InvalidProfile, Profile
from autoletter.runtime.clock import FrozenClock
from autoletter.runtime.uow import FakeUnitOfWork

NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
ACCOUNT = "acc-1"
BERLIN = Address(line1="Unter den Linden 1", postal_code="10117", city="Berlin", country="DE")
COMPLETE = Profile(name="ACME GmbH", email="billing@acme.example", address=BERLIN)


@dataclass
class InMemoryProfiles:
    """The repository's contract over a dict: versions start at 0 and grow by one per save."""

    rows: dict[str, StoredProfile] = field(default_factory=dict)
    saves: list[StoredProfile] = field(default_factory=list)
    loads_for_update: list[str] = field(default_factory=list)

    async def load(self, account_id: str, *, for_update: bool = False) -> StoredProfile:
        if for_update:
            self.loads_for_update.append(account_id)
        return self.rows.get(account_id) or StoredProfile.never_written(account_id)

    async def save(self, before: StoredProfile, after: Profile, now: datetime) -> StoredProfile:
        current = await self.load(before.account_id)
        assert current.version == before.version, "saved over a version it did not read"
        saved = StoredProfile(before.account_id, after, before.version + 1, now)
        self.rows[before.account_id] = saved
        self.saves.append(saved)
        return saved


def unit(*stored: StoredProfile) -> FakeUnitOfWork[InMemoryProfiles]:
    profiles = InMemoryProfiles({s.account_id: s for s in stored})
    return FakeUnitOfWork(producer="profile", clock=FrozenClock(NOW), repos=profiles)


def put(profile: Profile, if_match: frozenset[int] | None = None) -> handlers.Write:
    return handlers.Write(ACCOUNT, lambda _: profile, if_match)


def stored(profile: Profile, version: int) -> StoredProfile:
    return StoredProfile(ACCOUNT, profile, version, NOW)


async def test_a_first_complete_write_stages_exactly_one_profile_completed() -> None:
    uow = unit()
    saved = await handlers.write_profile(uow, put(COMPLETE))
    assert saved == StoredProfile(ACCOUNT, COMPLETE, 1, NOW)
    assert uow.repos.rows[ACCOUNT] == saved
    (event,) = uow.staged
    assert isinstance(event, ProfileCompleted)
    assert (event.account_id, event.producer, event.occurred_at) == (ACCOUNT, "profile", NOW)
    assert (event.name, event.email) == ("ACME GmbH", "billing@acme.example")
    assert event.address == PostalAddress(**BERLIN.to_dict())
    assert event.correlation_id == event.event_id and event.causation_id is None


async def test_an_incomplete_write_stages_profile_incomplete_with_the_missing_fields() -> None:
    uow = unit()
    await handlers.write_profile(uow, put(Profile(name="Ada", address=Address(city="Berlin"))))
    (event,) = uow.staged
    assert isinstance(event, ProfileIncomplete)
    assert (event.account_id, event.producer) == (ACCOUNT, "profile")
    assert event.missing == ["email", "address"]


async def test_a_change_while_complete_stages_profile_updated_with_the_new_values() -> None:
    uow = unit(stored(COMPLETE, 3))
    moved = Profile(name="ACME SE", email=COMPLETE.email, address=BERLIN)
    saved = await handlers.write_profile(uow, put(moved, frozenset({3})))
    assert saved.version == 4
    (event,) = uow.staged
    assert isinstance(event, ProfileUpdated)
    assert (event.account_id, event.name) == (ACCOUNT, "ACME SE")


async def test_a_write_equal_to_the_stored_profile_stages_nothing_and_keeps_the_version() -> None:
    before = stored(COMPLETE, 5)
    uow = unit(before)
    result = await handlers.write_profile(uow, put(COMPLETE))
    assert result == before
    assert uow.staged == []
    assert uow.repos.saves == []


async def test_the_first_write_saves_and_announces_even_an_empty_profile() -> None:
    uow = unit()
    saved = await handlers.write_profile(uow, put(Profile()))
    assert saved.version == 1
    (event,) = uow.staged
    assert isinstance(event, ProfileIncomplete) and event.missing == ["name", "email", "address"]


async def test_an_if_match_naming_another_version_fails_and_changes_nothing() -> None:
    before = stored(COMPLETE, 2)
    uow = unit(before)
    with pytest.raises(handlers.PreconditionFailed) as failed:
        await handlers.write_profile(uow, put(Profile(name="Other"), frozenset({1})))
    assert failed.value.current == before
    assert uow.staged == []
    assert uow.repos.saves == []
    assert uow.repos.rows[ACCOUNT] == before


async def test_an_if_match_naming_the_current_version_applies() -> None:
    uow = unit(stored(Profile(name="Ada"), 2))
    saved = await handlers.write_profile(uow, put(COMPLETE, frozenset({1, 2})))
    assert saved.version == 3
    assert [type(e) for e in uow.staged] == [ProfileCompleted]


async def test_an_invalid_write_raises_and_changes_nothing() -> None:
    uow = unit(stored(COMPLETE, 1))
    with pytest.raises(InvalidProfile):
        await handlers.write_profile(uow, put(Profile(email="not an address")))
    assert uow.staged == []
    assert uow.repos.saves == []


async def test_a_write_takes_the_account_lock_and_reads_the_row_for_update() -> None:
    uow = unit()
    await handlers.write_profile(uow, put(COMPLETE))
    assert uow.locks == [("profile-write", ACCOUNT)]
    assert uow.repos.loads_for_update == [ACCOUNT]


async def test_a_write_that_fails_its_precondition_still_took_the_lock_first() -> None:
    uow = unit(stored(COMPLETE, 2))
    with pytest.raises(handlers.PreconditionFailed):
        await handlers.write_profile(uow, put(COMPLETE, frozenset({7})))
    assert uow.locks == [("profile-write", ACCOUNT)]


async def test_get_profile_reads_through_the_repository() -> None:
    profiles = InMemoryProfiles({ACCOUNT: stored(COMPLETE, 4)})
    assert await handlers.get_profile(profiles, ACCOUNT) == stored(COMPLETE, 4)
    assert await handlers.get_profile(profiles, "acc-never") == StoredProfile.never_written("acc-never")
    assert profiles.loads_for_update == []
