"""Every service route the console uses, in one place (the contracts are in DESIGN §4)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from autoletter.console.upstream import Problem, Upstream


def _a(account_id: str) -> str:
    return "/v1/accounts/" + quote(account_id, safe="")


@dataclass(frozen=True)
class Profile:
    body: dict[str, Any]
    etag: str | None


class Apis:
    """Thin wrappers: they name the routes and pass bodies through; the services decide."""

    def __init__(self, upstream: Upstream, token: str) -> None:
        self.up = upstream
        self.token = token

    async def _json(self, service: str, method: str, path: str, **kw: Any) -> dict[str, Any]:
        body = (await self.up.call(service, method, path, token=self.token, **kw)).body
        if not isinstance(body, dict):
            raise Problem(
                service, 502, "unexpected_response", f"The {service} service answered unexpectedly."
            )
        return body

    # profile (8001)
    async def profile(self, account_id: str) -> Profile:
        reply = await self.up.call("profile", "GET", _a(account_id) + "/profile", token=self.token)
        return Profile(reply.body, reply.headers.get("etag"))

    async def put_profile(self, account_id: str, body: dict[str, Any], etag: str | None) -> Profile:
        headers = {"If-Match": etag} if etag else {}
        reply = await self.up.call(
            "profile", "PUT", _a(account_id) + "/profile", token=self.token, json=body, headers=headers
        )
        return Profile(reply.body, reply.headers.get("etag"))

    # payments (8002)
    async def billing(self, account_id: str) -> dict[str, Any]:
        return await self._json("payments", "GET", _a(account_id) + "/billing")

    async def checkout(self, account_id: str, success_url: str, cancel_url: str) -> dict[str, Any]:
        body = {"success_url": success_url, "cancel_url": cancel_url}
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        return await self._json(
            "payments", "POST", _a(account_id) + "/payment-method/checkout", json=body, headers=headers
        )

    async def portal(self, account_id: str, return_url: str) -> dict[str, Any]:
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        return await self._json(
            "payments",
            "POST",
            _a(account_id) + "/billing-portal",
            json={"return_url": return_url},
            headers=headers,
        )

    async def switch_service(self, account_id: str, service: str, action: str) -> dict[str, Any]:
        path = f"{_a(account_id)}/services/{quote(service, safe='')}/{action}"
        return await self._json("payments", "POST", path)

    # letters (8003)
    async def send_letter(
        self, account_id: str, body: dict[str, Any], idempotency_key: str
    ) -> dict[str, Any]:
        return await self._json(
            "letters",
            "POST",
            _a(account_id) + "/letters",
            json=body,
            headers={"Idempotency-Key": idempotency_key},
        )

    async def letters(
        self, account_id: str, *, status: str | None = None, cursor: str | None = None, limit: int = 50
    ) -> dict[str, Any]:
        params = {"limit": str(limit)}
        if status:
            params["status"] = status
        if cursor:
            params["cursor"] = cursor
        return await self._json("letters", "GET", _a(account_id) + "/letters", params=params)

    async def letter(self, account_id: str, letter_id: str) -> dict[str, Any]:
        return await self._json("letters", "GET", f"{_a(account_id)}/letters/{quote(letter_id, safe='')}")

    async def cancel_letter(self, account_id: str, letter_id: str) -> dict[str, Any]:
        path = f"{_a(account_id)}/letters/{quote(letter_id, safe='')}/cancel"
        return await self._json("letters", "POST", path)

    # invoicing (8004)
    async def invoices(self, account_id: str) -> dict[str, Any]:
        return await self._json("invoicing", "GET", _a(account_id) + "/invoices")

    async def usage(self, account_id: str, period: str | None) -> dict[str, Any]:
        params = {"period": period} if period else None
        return await self._json("invoicing", "GET", _a(account_id) + "/usage", params=params)

    async def prices(self) -> dict[str, Any]:
        return await self._json("invoicing", "GET", "/v1/prices")

    async def letter_charge(self, account_id: str, letter_id: str) -> dict[str, Any]:
        path = f"{_a(account_id)}/letters/{quote(letter_id, safe='')}/charge"
        return await self._json("invoicing", "GET", path)

    async def start_billing_run(self, period: str) -> dict[str, Any]:
        return await self._json("invoicing", "POST", "/v1/billing-runs", json={"period": period})

    async def billing_run(self, run_id: str) -> dict[str, Any]:
        return await self._json("invoicing", "GET", "/v1/billing-runs/" + quote(run_id, safe=""))

    async def metrics(self, service: str) -> str:
        return await self.up.text(service, "/metrics")
