"""For tests only: the four services as fakes — tiny FastAPI apps that record what they are asked and
answer what a test told them to, served in-process through httpx transports (no sockets, no sleeping)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from autoletter.console.settings import ConsoleSettings

SERVICES = ("profile", "payments", "letters", "invoicing")
JWT_SECRET = "console-tests-jwt-secret-0123456789abcdef"
CONSOLE = "http://console.test"


@dataclass
class Call:
    service: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> Answer:
    """The error body every service sends (DESIGN §4)."""
    return Answer(status, {"error": code, "message": message, "details": details or {}})


class Upstreams:
    """The four services as fakes: `answer(...)` what a route returns, `calls(...)` what was asked."""

    def __init__(self) -> None:
        self.recorded: list[Call] = []
        self.answers: dict[tuple[str, str, str], Answer] = {}
        self.down: set[str] = set()

    def answer(self, service: str, method: str, path: str, answer: Answer | Any, status: int = 200) -> None:
        found = answer if isinstance(answer, Answer) else Answer(status, answer)
        self.answers[(service, method, path)] = found

    def calls(self, service: str, method: str, path: str) -> list[Call]:
        return [c for c in self.recorded if (c.service, c.method, c.path) == (service, method, path)]

    def app(self, service: str) -> FastAPI:
        app = FastAPI()

        @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        async def any_route(path: str, request: Request) -> Response:
            raw = await request.body()
            body = json.loads(raw) if raw else None
            call = Call(
                service, request.method, "/" + path, dict(request.query_params), dict(request.headers), body
            )
            self.recorded.append(call)
            found = self.answers.get((service, request.method, "/" + path))
            if found is None:
                return JSONResponse(
                    {"error": "not_found", "message": "No such resource.", "details": {}}, status_code=404
                )
            if isinstance(found.body, str):
                return PlainTextResponse(found.body, found.status, headers=found.headers)
            return JSONResponse(found.body, found.status, headers=found.headers)

        return app

    def transport(self, service: str) -> httpx.AsyncBaseTransport:
        return _Switchable(self, service)


class _Switchable(httpx.AsyncBaseTransport):
    """A fake service that can be 'down': the connection is refused, as with a stopped process."""

    def __init__(self, upstreams: Upstreams, service: str) -> None:
        self.upstreams = upstreams
        self.service = service
        self.inner = httpx.ASGITransport(app=upstreams.app(service))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.service in self.upstreams.down:
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)


def console_settings(**overrides: Any) -> ConsoleSettings:
    values: dict[str, Any] = {
        "environment": "test",
        "jwt_secret": JWT_SECRET,
        **{f"{s}_url": f"http://{s}.test" for s in SERVICES},
        **overrides,
    }
    return ConsoleSettings(**values)


async def sign_in(browser: httpx.AsyncClient, account_id: str, *, ops: bool = False) -> httpx.Response:
    form = {"account_id": account_id, **({"ops": "true"} if ops else {})}
    response = await browser.post("/sign-in", data=form)
    if response.status_code != 303:
        raise AssertionError(f"sign-in failed: {response.status_code} {response.text[:200]}")
    return response
