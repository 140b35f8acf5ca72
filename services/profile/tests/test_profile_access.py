"""Who may read and write a profile: only its account (and ops), only with a valid token."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from autoletter.runtime.auth import mint_token

if TYPE_CHECKING:  # the fixture's type; conftest is not importable under --import-mode=importlib
    from conftest import ProfileService

SECRET = "profile-tests-secret-0123456789abcdef"  # the service fixture's secret
BODY = {"name": "ACME GmbH"}


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def tokens(account: str) -> dict[str, str | None]:
    valid = mint_token(SECRET, account)
    head, claims, signature = valid.split(".")
    forged_claims = b64({"sub": account, "roles": ["ops"], "exp": int(datetime.now(UTC).timestamp()) + 600})
    return {
        "missing": None,
        "expired": mint_token(SECRET, account, now=datetime.now(UTC) - timedelta(hours=2)),
        "tampered": f"{head}.{forged_claims}.{signature}",
        "alg_none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{claims}.",
        "other_secret": mint_token("another-secret-0123456789abcdefghij", account),
        "not_a_jwt": "hello",
    }


@pytest.mark.parametrize("kind", ["missing", "expired", "tampered", "alg_none", "other_secret", "not_a_jwt"])
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH"])
async def test_a_request_without_a_valid_token_is_unauthorised(
    service: ProfileService, account: str, kind: str, method: str
) -> None:
    token = tokens(account)[kind]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await service.client.request(
        method, f"/v1/accounts/{account}/profile", json=None if method == "GET" else BODY, headers=headers
    )
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert set(response.json()) == {"error", "message", "details"}
    assert await service.staged(account) == 0


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH"])
async def test_another_accounts_profile_is_not_found_and_untouched(
    service: ProfileService, account: str, method: str
) -> None:
    victim = f"{account}-victim"
    url = f"/v1/accounts/{victim}/profile"
    await service.client.put(url, json={"name": "Victim Ltd"}, headers=service.auth(victim))
    # Same answer whether the other profile exists or not, and whatever the body: nothing leaks.
    for target in (victim, f"{account}-nobody"):
        response = await service.client.request(
            method,
            f"/v1/accounts/{target}/profile",
            json=None if method == "GET" else {"name": 42},
            headers=service.auth(account),
        )
        assert response.status_code == 404
        assert response.json() == {"error": "not_found", "message": "No such resource.", "details": {}}
        assert "etag" not in response.headers
    read = await service.client.get(url, headers=service.auth(victim))
    assert (read.json()["name"], read.headers["etag"]) == ("Victim Ltd", '"1"')
