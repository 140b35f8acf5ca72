"""The console's reads: the price list in force and one letter's charge, over HTTP on real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from conftest import SECRET, Prepared
from invoicing_testkit import customer_created, letter_sent

from autoletter.invoicing.bootstrap import close_period
from autoletter.runtime.auth import mint_token

NOV = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # already December in Paris: still November's letter
EARLY = datetime(2026, 11, 1, tzinfo=UTC)


def auth(account_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, account_id)}"}


@pytest.fixture
async def http(prepared: Prepared) -> AsyncIterator[httpx.AsyncClient]:
    app = prepared.runtime.create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i.test") as client:
        yield client


async def test_the_price_list_in_force_names_each_service_s_letter_and_extra_sheet(
    http: httpx.AsyncClient, unique: str
) -> None:
    response = await http.get("/v1/prices", headers=auth(f"a{unique}"))
    anonymous = await http.get("/v1/prices")

    assert response.status_code == 200
    by_service = {p["service"]: p for p in response.json()["services"]}
    assert by_service["standard"]["letter_cents"] == 95
    assert by_service["registered"]["letter_cents"] == 420
    assert by_service["standard"]["extra_sheet_cents"] == 15
    assert by_service["standard"]["currency"] == "eur"
    assert anonymous.status_code == 401


async def test_a_letter_s_charge_shows_once_recorded_then_its_invoice(
    prepared: Prepared, http: httpx.AsyncClient, unique: str
) -> None:
    account = f"a{unique}"
    letter_id = uuid.uuid4()
    path = f"/v1/accounts/{account}/letters/{letter_id}/charge"
    before = await http.get(path, headers=auth(account))

    await prepared.deliver(
        customer_created(account, EARLY), letter_sent(account, "standard", NOV, sheets=3, letter_id=letter_id)
    )
    recorded = await http.get(path, headers=auth(account))
    await close_period(prepared.runtime, "2026-11")
    invoiced = await http.get(path, headers=auth(account))
    someone_else = await http.get(path, headers=auth(f"b{unique}"))

    assert before.status_code == 404
    assert before.json()["error"] == "not_found"
    charge = recorded.json()
    assert (charge["amount_cents"], charge["letter_cents"], charge["extra_sheets"]) == (125, 95, 2)
    assert (charge["period"], charge["invoice_id"]) == ("2026-11", None)
    assert invoiced.json()["invoice_id"] is not None
    assert invoiced.json()["period"] == "2026-11"
    assert invoiced.json()["invoice_state"] == "issued"
    assert someone_else.status_code == 404  # another account's letter: nothing leaked


async def test_a_charge_for_a_malformed_letter_id_is_a_validation_error(
    http: httpx.AsyncClient, unique: str
) -> None:
    response = await http.get(f"/v1/accounts/a{unique}/letters/not-a-uuid/charge", headers=auth(f"a{unique}"))

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
