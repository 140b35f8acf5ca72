"""Composition root of the console: settings, one HTTP client to the services, the pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from autoletter.console.pages import billing, language, letters, ops, sign_in
from autoletter.console.pages import settings as settings_page
from autoletter.console.settings import ConsoleSettings
from autoletter.console.upstream import Problem, SessionExpired, Upstream
from autoletter.console.web import (
    COOKIE,
    Console,
    NeedsOps,
    NeedsSignIn,
    Session,
    current_session,
    render,
    templates,
)
from autoletter.runtime import logs


def create_app(
    settings: ConsoleSettings | None = None,
    *,
    mounts: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    """The console app. `mounts` (URL prefix → transport) lets tests put fake services behind the URLs."""
    settings = settings or ConsoleSettings()
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(settings.upstream_timeout_s, connect=3.0),
        mounts=dict(mounts or {}),
        follow_redirects=False,
        headers={"User-Agent": "autoletter-console"},
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await client.aclose()

    app = FastAPI(title="AutoLetter console", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.console = Console(settings, Upstream(client, settings.service_urls()), templates())
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    for page in (sign_in, language, settings_page, billing, letters, ops):
        app.include_router(page.router)

    # No database or broker of its own: up is ready. Whether the services answer shows on each page.
    @app.get("/healthz", include_in_schema=False)
    @app.get("/readyz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    _install_handlers(app)
    return app


def _install_handlers(app: FastAPI) -> None:
    def to_sign_in(path: str) -> Response:
        response = RedirectResponse(path, status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.exception_handler(NeedsSignIn)
    async def needs_sign_in(_: Request, __: NeedsSignIn) -> Response:
        return to_sign_in("/sign-in")

    @app.exception_handler(SessionExpired)
    async def session_expired(_: Request, __: SessionExpired) -> Response:
        return to_sign_in("/sign-in?expired=true")

    @app.exception_handler(NeedsOps)
    async def needs_ops(request: Request, _: NeedsOps) -> Response:
        problem = Problem("console", 403, "forbidden", "The Ops pages are for the ops role only.")
        return render(request, "error.html", current_session(request), problems=[problem], status_code=403)

    @app.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> Response:
        """A safety net: a service's refusal or absence is shown, never a bare 500."""
        return render(
            request, "error.html", _session_if_any(request), problems=[exc], status_code=exc.status or 503
        )

    # A mistyped address or a path no page knows is a page in the person's language, not JSON.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = "not_found" if exc.status_code == 404 else "bad_request"
        refusal = Problem("console", exc.status_code, code, str(exc.detail))
        return render(
            request, "error.html", _session_if_any(request), problems=[refusal], status_code=exc.status_code
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, _: RequestValidationError) -> Response:
        refusal = Problem("console", 404, "not_found", "No such page.")
        return render(request, "error.html", _session_if_any(request), problems=[refusal], status_code=404)


def _session_if_any(request: Request) -> Session | None:
    try:
        return current_session(request)
    except NeedsSignIn:
        return None


def serve(settings: ConsoleSettings | None = None) -> None:
    """Serve the console until stopped (`python -m autoletter.console`, `autoletter serve console`)."""
    settings = settings or ConsoleSettings()
    logs.configure(settings.service_name, settings.log_level, settings.log_json)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # keep our JSON logging
        timeout_graceful_shutdown=int(settings.graceful_timeout_s),
    )
