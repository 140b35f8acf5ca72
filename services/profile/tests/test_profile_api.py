"""The profile API: reading, replacing and patching a profile, with ETags and per-field errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the fixture's type; conftest is not importable under --import-mode=importlib
    from conftest import ProfileService

BERLIN = {"line1": "Unter den Linden 1", "postal_code": "10117", "city": "Berlin", "country": "DE"}
COMPLETE = {"name": "ACME GmbH", "email": "billing@acme.example", "address": BERLIN}


def url(account_id: str) -> str:
    return f"/v1/accounts/{account_id}/profile"


async def put(service: ProfileService, account: str, body: dict[str, Any], **headers: str) -> Any:
    return await service.client.put(url(account), json=body, headers={**service.auth(account), **headers})


async def patch(service: ProfileService, account: str, body: dict[str, Any], **headers: str) -> Any:
    return await service.client.patch(url(account), json=body, headers={**service.auth(account), **headers})


async def test_a_never_written_profile_reads_as_empty_with_all_three_fields_missing(
    service: ProfileService, account: str
) -> None:
    response = await service.client.get(url(account), headers=service.auth(account))
    assert response.status_code == 200
    assert response.headers["etag"] == '"0"'
    assert response.json() == {
        "account_id": account,
        "name": None,
        "email": None,
        "address": None,
        "complete": False,
        "missing": ["name", "email", "address"],
        "updated_at": None,
    }


async def test_a_complete_profile_is_stored_normalised_and_read_back_with_its_etag(
    service: ProfileService, account: str
) -> None:
    body = {"name": "  ACME GmbH ", "email": "Billing@ACME.example", "address": {**BERLIN, "country": "de"}}
    written = await put(service, account, body)
    assert written.status_code == 200
    assert written.headers["etag"] == '"1"'
    read = await service.client.get(url(account), headers=service.auth(account))
    assert read.headers["etag"] == '"1"'
    assert read.json() == written.json()
    assert read.json() == {
        "account_id": account,
        "name": "ACME GmbH",
        "email": "Billing@acme.example",
        "address": {**BERLIN, "line2": None},
        "complete": True,
        "missing": [],
        "updated_at": "2026-11-03T09:30:00Z",
    }


async def test_put_clears_what_it_leaves_out_and_patch_keeps_it(
    service: ProfileService, account: str
) -> None:
    await put(service, account, COMPLETE)
    patched = (await patch(service, account, {"name": "ACME SE"})).json()
    assert (patched["name"], patched["email"], patched["complete"]) == ("ACME SE", COMPLETE["email"], True)
    replaced = (await put(service, account, {"name": "ACME SE"})).json()
    assert (replaced["email"], replaced["address"], replaced["missing"]) == (None, None, ["email", "address"])


async def test_patch_merges_address_parts_and_null_clears_one(service: ProfileService, account: str) -> None:
    await put(service, account, {**COMPLETE, "address": {**BERLIN, "line2": "3rd floor"}})
    body = (await patch(service, account, {"address": {"city": "Potsdam", "line2": None}})).json()
    assert body["address"] == {**BERLIN, "city": "Potsdam", "line2": None}
    body = (await patch(service, account, {"email": None})).json()
    assert (body["email"], body["missing"]) == (None, ["email"])


async def test_a_partial_address_is_kept_and_reported_missing(service: ProfileService, account: str) -> None:
    body = (
        await put(service, account, {**COMPLETE, "address": {"line1": "Main St 1", "city": "Berlin"}})
    ).json()
    assert body["address"] == {
        "line1": "Main St 1",
        "line2": None,
        "postal_code": None,
        "city": "Berlin",
        "country": None,
    }
    assert (body["complete"], body["missing"]) == (False, ["address"])


async def test_a_read_only_field_sent_back_from_a_get_is_ignored(
    service: ProfileService, account: str
) -> None:
    got = (await put(service, account, COMPLETE)).json()
    response = await put(service, account, {**got, "complete": False, "missing": ["name"]})
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'  # the same profile: nothing changed


async def test_invalid_values_get_one_message_per_field_and_nothing_is_stored(
    service: ProfileService, account: str
) -> None:
    await put(service, account, {"name": "Ada"})
    bad = {
        "name": "x" * 201,
        "email": "not an e-mail",
        "address": {**BERLIN, "postal_code": "1011", "country": "DE"},
    }
    response = await put(service, account, bad)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert sorted(body["details"]) == ["address.postal_code", "email", "name"]
    assert all(isinstance(m, str) and m for m in body["details"].values())

    unknown_country = await patch(service, account, {"address": {**BERLIN, "country": "XX"}})
    assert unknown_country.status_code == 422
    assert list(unknown_country.json()["details"]) == ["address.country"]

    read = await service.client.get(url(account), headers=service.auth(account))
    assert (read.headers["etag"], read.json()["name"]) == ('"1"', "Ada")
    assert await service.staged(account) == 1  # only the first write's event


async def test_a_body_of_the_wrong_shape_is_refused_field_by_field(
    service: ProfileService, account: str
) -> None:
    response = await put(service, account, {"name": 42, "adress": {}, "address": {"zip": "10117"}})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert set(body["details"]) == {"name", "adress", "address.zip"}
    assert await service.staged(account) == 0


async def test_a_stale_if_match_is_refused_and_changes_nothing(service: ProfileService, account: str) -> None:
    first = await put(service, account, COMPLETE)
    await patch(service, account, {"name": "ACME SE"}, **{"If-Match": first.headers["etag"]})
    stale = await patch(service, account, {"name": "Someone Else"}, **{"If-Match": first.headers["etag"]})
    assert stale.status_code == 412
    assert stale.json()["error"] == "precondition_failed"
    assert stale.json()["details"] == {"etag": '"2"'}
    weak = await patch(service, account, {"name": "Someone Else"}, **{"If-Match": 'W/"2"'})
    assert weak.status_code == 412
    read = await service.client.get(url(account), headers=service.auth(account))
    assert (read.json()["name"], read.headers["etag"]) == ("ACME SE", '"2"')
    assert await service.staged(account) == 2


async def test_a_current_or_wildcard_if_match_or_none_lets_the_write_apply(
    service: ProfileService, account: str
) -> None:
    assert (await put(service, account, {"name": "A"}, **{"If-Match": '"0"'})).headers["etag"] == '"1"'
    assert (await patch(service, account, {"name": "B"}, **{"If-Match": '"7", "1"'})).headers["etag"] == '"2"'
    assert (await patch(service, account, {"name": "C"}, **{"If-Match": "*"})).headers["etag"] == '"3"'
    assert (await patch(service, account, {"name": "D"})).headers["etag"] == '"4"'


async def test_ops_may_read_and_write_any_account(service: ProfileService, account: str) -> None:
    ops = service.auth("ops-person", "ops")
    written = await service.client.put(url(account), json=COMPLETE, headers=ops)
    assert written.status_code == 200
    read = await service.client.get(url(account), headers=service.auth(account))
    assert read.json()["complete"] is True
