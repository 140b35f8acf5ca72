"""Calling the services: one HTTP client, their error body turned into a value a page can show."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)

SERVICE_TITLES = {
    "profile": "profile",
    "payments": "payments",
    "letters": "letters",
    "invoicing": "invoicing",
}


@dataclass(eq=False)
class Problem(Exception):
    """A service refused or failed a request; `message` is written for a person."""

    service: str
    status: int
    error: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.service}: {self.status} {self.error}"

    @property
    def is_down(self) -> bool:
        return self.status == 0


def service_down(service: str) -> Problem:
    return Problem(
        service,
        0,
        "service_unavailable",
        f"The {SERVICE_TITLES.get(service, service)} service is not answering right now. "
        "Please try again in a moment.",
    )


class SessionExpired(Exception):
    """A service refused the token (401): the person has to sign in again."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: httpx.Headers


def _problem(service: str, response: httpx.Response) -> Problem:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        details = body.get("details")
        return Problem(
            service,
            response.status_code,
            str(body.get("error") or "error"),
            body["message"],
            details if isinstance(details, dict) else {},
        )
    return Problem(
        service,
        response.status_code,
        "unexpected_response",
        f"The {service} service answered {response.status_code}; please try again later.",
    )


class Upstream:
    """The services by name; every call carries the signed-in person's token."""

    def __init__(self, client: httpx.AsyncClient, urls: Mapping[str, str]) -> None:
        self.client = client
        self.urls = dict(urls)

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """The reply of a 2xx; raises Problem (refused, or down: status 0) or SessionExpired."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        url = self.urls[service] + path
        try:
            response = await self.client.request(method, url, json=json, params=params, headers=sent)
        except httpx.TransportError as exc:
            # Never log the headers: they hold the token.
            log.warning("upstream_unreachable service=%s error=%s", service, type(exc).__name__)
            raise service_down(service) from exc
        if response.status_code == 401:
            raise SessionExpired
        if response.status_code >= 400:
            raise _problem(service, response)
        if response.status_code == 204 or not response.content:
            return Reply(response.status_code, None, response.headers)
        try:
            return Reply(response.status_code, response.json(), response.headers)
        except ValueError:
            return Reply(response.status_code, response.text, response.headers)

    async def text(self, service: str, path: str) -> str:
        """A plain-text resource without a token (the services' /metrics)."""
        try:
            response = await self.client.get(self.urls[service] + path)
        except httpx.TransportError as exc:
            raise service_down(service) from exc
        if response.status_code >= 400:
            raise _problem(service, response)
        return response.text
