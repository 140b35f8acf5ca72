"""Every /v1 request goes through here: stripe-mock validation, idempotency keys, the lock, errors."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request, Response
from fastapi.responses import JSONResponse

from autoletter.stripe_emulator import collection
from autoletter.stripe_emulator.core import Emulator
from autoletter.stripe_emulator.errors import StripeError
from autoletter.stripe_emulator.expansion import expand
from autoletter.stripe_emulator.objects import new_id
from autoletter.stripe_emulator.params import expand_paths, parse
from autoletter.stripe_emulator.state import Idempotent

_FORWARDED = ("authorization", "content-type", "stripe-version", "stripe-account")


@dataclass(frozen=True)
class Call:
    """One API request: its parameters (query or form, parsed) and path parameters."""

    params: dict[str, Any]
    path: dict[str, str]
    url_path: str


Handler = Callable[[Emulator, Call], dict[str, Any]]


class Gateway:
    def __init__(self, em: Emulator) -> None:
        self.em = em
        self._http: httpx.AsyncClient | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def handle(self, request: Request, handler: Handler) -> Response:
        em = self.em
        request_id = new_id("req_", 14)
        body = await request.body()
        raw = body.decode() if request.method == "POST" else request.url.query
        key = request.headers.get("idempotency-key") if request.method == "POST" else None
        headers = {"Request-Id": request_id, "Stripe-Version": em.config.api_version}
        if key:
            headers["Idempotency-Key"] = key
        if not request.headers.get("authorization"):
            error = StripeError(401, "You did not provide an API key.")
            return JSONResponse(error.to_json(), 401, headers=headers)
        try:
            params = parse(raw)
        except StripeError as exc:
            return JSONResponse(exc.to_json(), exc.status, headers=headers)
        fingerprint = (request.method, request.url.path, json.dumps(params, sort_keys=True))
        client = (request.client.host, request.client.port) if request.client else None
        await em.hold.wait(request.method, request.url.path, client)
        async with em.lock:
            if key and key in em.state.idempotency:
                return self._replay(em.state.idempotency[key], fingerprint, key, headers)
            refused = await self._refused_by_stripe_mock(request, body)
            if refused is not None:
                return refused  # validation failures are not remembered under the key (as Stripe)
            if em.config.public_url is None:
                em.base_url = str(request.base_url).rstrip("/")
            em.request = {"id": request_id, "idempotency_key": key}
            try:
                result = handler(em, Call(params, dict(request.path_params), request.url.path))
                status, payload = 200, expand(copy.deepcopy(result), expand_paths(params), em.state)
            except StripeError as exc:
                status, payload = exc.status, exc.to_json()
            finally:
                em.request = None
            if key:
                em.state.idempotency[key] = Idempotent(fingerprint, status, payload)
            collection.run_due(em)  # e.g. the first charge of an invoice just finalised
            em.save()
        return JSONResponse(payload, status, headers=headers)

    def _replay(
        self, saved: Idempotent, fingerprint: tuple[str, str, str], key: str, headers: dict[str, str]
    ) -> Response:
        if saved.fingerprint != fingerprint:
            error = StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were first used "
                f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                type_="idempotency_error",
            )
            return JSONResponse(error.to_json(), 400, headers=headers)
        return JSONResponse(saved.body, saved.status, headers={**headers, "Idempotent-Replayed": "true"})

    async def _refused_by_stripe_mock(self, request: Request, body: bytes) -> Response | None:
        """stripe-mock's answer when it refuses the request (4xx): what real Stripe would refuse too."""
        base = self.em.config.stripe_mock
        if not base:
            return None
        if self._http is None:
            self._http = httpx.AsyncClient(base_url=base.rstrip("/"), timeout=10.0)
        headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED}
        url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        try:
            answer = await self._http.request(request.method, url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            error = StripeError(502, f"stripe-mock did not answer: {type(exc).__name__}", type_="api_error")
            return JSONResponse(error.to_json(), 502)
        if 400 <= answer.status_code < 500:
            return Response(answer.content, answer.status_code, media_type="application/json")
        return None
