"""The service as operators run it: settings from the environment, health, OpenAPI, merge-patch bodies."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from autoletter.profile.settings import ProfileSettings

if TYPE_CHECKING:  # the fixture's type; conftest is not importable under --import-mode=importlib
    from conftest import ProfileService


def test_the_profile_service_listens_on_8001_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROFILE_HTTP_PORT", raising=False)
    monkeypatch.delenv("AUTOLETTER_HTTP_PORT", raising=False)
    assert ProfileSettings().http_port == 8001
    assert ProfileSettings().database_schema == "profile"
    monkeypatch.setenv("AUTOLETTER_HTTP_PORT", "9000")
    monkeypatch.setenv("PROFILE_HTTP_PORT", "9001")
    assert ProfileSettings().http_port == 9001


async def test_health_readiness_and_the_openapi_document_are_served(service: ProfileService) -> None:
    assert (await service.client.get("/healthz")).status_code == 200
    assert (await service.client.get("/readyz")).json()["status"] == "ready"
    paths = (await service.client.get("/openapi.json")).json()["paths"]
    assert set(paths["/v1/accounts/{account_id}/profile"]) == {"get", "put", "patch"}


async def test_a_patch_may_be_sent_as_merge_patch_json(service: ProfileService, account: str) -> None:
    response = await service.client.patch(
        f"/v1/accounts/{account}/profile",
        content=json.dumps({"name": "Ada", "address": {"country": "fr"}}),
        headers={**service.auth(account), "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["address"]["country"]) == ("Ada", "FR")
