"""What the profile service announces on profile.events, read back from Kafka."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autoletter.contracts.common import PostalAddress
from autoletter.contracts.profile import ProfileCompleted, ProfileIncomplete, ProfileUpdated

if TYPE_CHECKING:  # the fixture's type; conftest is not importable under --import-mode=importlib
    from conftest import ProfileService

BERLIN = {"line1": "Unter den Linden 1", "postal_code": "10117", "city": "Berlin", "country": "DE"}
COMPLETE = {"name": "ACME GmbH", "email": "billing@acme.example", "address": BERLIN}


async def write(service: ProfileService, account: str, method: str, body: dict[str, Any]) -> None:
    url = f"/v1/accounts/{account}/profile"
    response = await service.client.request(method, url, json=body, headers=service.auth(account))
    assert response.status_code == 200, response.text


def payload(event: Any) -> tuple[str, dict[str, Any]]:
    """The event's type and its fields beyond the envelope."""
    envelope = {
        "event_id",
        "event_type",
        "schema_version",
        "occurred_at",
        "account_id",
        "producer",
        "correlation_id",
        "causation_id",
    }
    return event.event_type, event.model_dump(mode="json", exclude=envelope)


def completed(name: str, email: str, address: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "ProfileCompleted", {"name": name, "email": email, "address": {"line2": None, **address}}


async def test_each_transition_publishes_exactly_one_event_and_silent_writes_none(
    service: ProfileService, account: str
) -> None:
    writes: list[tuple[str, dict[str, Any]]] = [
        ("PUT", {"name": "ACME GmbH"}),  # first write: incomplete
        ("PATCH", {"name": "ACME SE"}),  # still incomplete, same missing: silent
        ("PATCH", {"name": "ACME SE"}),  # changes nothing: silent
        ("PATCH", {"email": "billing@acme.example"}),  # missing shrinks: incomplete again
        ("PATCH", {"address": BERLIN}),  # complete
        ("PUT", {**COMPLETE, "name": "ACME SE"}),  # the same profile: silent
        ("PATCH", {"address": {"line2": "3rd floor"}}),  # changed while complete
        ("PATCH", {"email": None}),  # complete -> incomplete
        ("PATCH", {"email": "accounts@acme.example"}),  # complete again
    ]
    for method, body in writes:
        await write(service, account, method, body)
    floor = {**BERLIN, "line2": "3rd floor"}
    expected = [
        ("ProfileIncomplete", {"missing": ["email", "address"]}),
        ("ProfileIncomplete", {"missing": ["address"]}),
        completed("ACME SE", "billing@acme.example", BERLIN),
        ("ProfileUpdated", {"name": "ACME SE", "email": "billing@acme.example", "address": floor}),
        ("ProfileIncomplete", {"missing": ["email"]}),
        completed("ACME SE", "accounts@acme.example", floor),
    ]
    events = await service.events(account, count=len(expected))
    assert [payload(e) for e in events] == expected
    # Nothing beyond them was staged either (the last write's event was the last one).
    assert await service.staged(account) == len(expected)


async def test_an_event_carries_the_envelope_of_the_profile_service(
    service: ProfileService, account: str
) -> None:
    await write(service, account, "PUT", COMPLETE)
    (event,) = await service.events(account, count=1)
    assert isinstance(event, ProfileCompleted)
    assert (event.account_id, event.producer, event.schema_version) == (account, "profile", 1)
    assert event.occurred_at == service.clock.now()
    assert event.correlation_id == event.event_id and event.causation_id is None
    assert event.address == PostalAddress(**BERLIN)


async def test_the_first_write_announces_an_empty_profile_as_incomplete(
    service: ProfileService, account: str
) -> None:
    await write(service, account, "PUT", {})
    await write(service, account, "PATCH", {"name": "Ada"})
    events = await service.events(account, count=2)
    assert events[0] == ProfileIncomplete.model_validate(
        {**events[0].model_dump(), "missing": ["name", "email", "address"]}
    )
    assert isinstance(events[1], ProfileIncomplete) and events[1].missing == ["email", "address"]


async def test_a_refused_write_publishes_nothing(service: ProfileService, account: str) -> None:
    await write(service, account, "PUT", COMPLETE)
    url = f"/v1/accounts/{account}/profile"
    refused = await service.client.patch(url, json={"email": "nope"}, headers=service.auth(account))
    assert refused.status_code == 422
    stale = await service.client.patch(
        url, json={"name": "X"}, headers={**service.auth(account), "If-Match": '"0"'}
    )
    assert stale.status_code == 412
    await write(service, account, "PATCH", {"name": "ACME SE"})
    events = await service.events(account, count=2)
    assert [type(e) for e in events] == [ProfileCompleted, ProfileUpdated]
