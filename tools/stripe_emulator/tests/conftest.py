"""An emulator on a real loopback port per test (fresh state), talking to the real stripe-mock."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import stripe
import uvicorn
from fastapi import FastAPI, Request, Response

from autoletter import stripe as stripe_api
from autoletter.stripe_emulator import EmulatorConfig, WebhookTarget, create_app

WEBHOOK_SECRET = "whsec_test_emulator_0123456789abcdef"
START = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _serve(app: Any) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.get_running_loop().create_task(server.serve())
    for _ in range(1000):  # uvicorn offers no event to wait on: poll, with a 10 s deadline
        if server.started:
            break
        await asyncio.sleep(0.01)
    else:
        raise TimeoutError("uvicorn did not start")
    return server, task, f"http://127.0.0.1:{port}"


async def _stop(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    server.should_exit = True
    await asyncio.wait_for(task, 10)


@dataclass
class Receiver:
    """A webhook endpoint that records raw bodies and headers; `fail_next` answers 500 that many times."""

    url: str = ""
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    fail_next: int = 0

    def events(self) -> list[dict[str, Any]]:
        """Every event received, each verified as the payments service does (300 s tolerance)."""
        verified = []
        for body, headers in self.received:
            stripe.Webhook.construct_event(body, headers["stripe-signature"], WEBHOOK_SECRET)
            verified.append(json.loads(body))
        return verified

    def types(self) -> list[str]:
        return [e["type"] for e in self.events()]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = FastAPI()

    @app.post("/webhook")
    async def webhook(request: Request) -> Response:
        if rec.fail_next > 0:
            rec.fail_next -= 1
            return Response(status_code=500)
        rec.received.append((await request.body(), dict(request.headers)))
        return Response(status_code=200)

    server, task, base = await _serve(app)
    rec.url = f"{base}/webhook"
    yield rec
    await _stop(server, task)


@dataclass
class Emulator:
    """A running emulator: its base URL, a pinned StripeClient on it, and a plain HTTP client."""

    url: str
    stripe: stripe.StripeClient
    http: httpx.AsyncClient

    async def control(self, method: str, path: str, json: Any = None) -> Any:
        response = await self.http.request(method, path, json=json)
        assert response.status_code < 400, response.text
        return response.json()

    async def advance(self, seconds: float) -> dict[str, Any]:
        return await self.control("POST", "/_emulator/clock/advance", {"seconds": seconds})  # type: ignore[no-any-return]

    async def drain(self) -> None:
        assert (await self.control("POST", "/_emulator/webhooks/drain", {"timeout": 20}))["drained"]


StartEmulator = Callable[..., Awaitable[Emulator]]


@pytest.fixture
async def start_emulator(stripe_api_base: str, receiver: Receiver) -> AsyncIterator[StartEmulator]:
    """Start an emulator with the given config overrides; webhooks go to `receiver`, time is frozen."""
    running: list[tuple[uvicorn.Server, asyncio.Task[None], httpx.AsyncClient]] = []

    async def start(**overrides: Any) -> Emulator:
        base = EmulatorConfig(
            stripe_mock=stripe_api_base,
            webhooks=(WebhookTarget(receiver.url, WEBHOOK_SECRET),),
            frozen_clock=True,
            clock_start=START,
        )
        server, task, url = await _serve(create_app(replace(base, **overrides)))
        http = httpx.AsyncClient(base_url=url, timeout=20)
        running.append((server, task, http))
        client = stripe_api.client("sk_test_emulator", api_base=url, max_network_retries=0)
        return Emulator(url, client, http)

    yield start
    for server, task, http in running:
        await http.aclose()
        await _stop(server, task)


@pytest.fixture
async def emulator(start_emulator: StartEmulator) -> Emulator:
    return await start_emulator()
