"""What every page shares: the signed-in session, the service APIs, rendering with the layout."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from autoletter.console.apis import Apis
from autoletter.console.settings import ConsoleSettings
from autoletter.console.upstream import Problem, Upstream
from autoletter.runtime.auth import Principal, verify_token
from autoletter.runtime.http import ApiError

COOKIE = "autoletter_console_session"
T = TypeVar("T")


class NeedsSignIn(Exception):
    """No session, or one the console cannot verify any more."""


class NeedsOps(Exception):
    """A page for the ops role only."""


@dataclass(frozen=True)
class Console:
    """The app's wiring, kept on app.state."""

    settings: ConsoleSettings
    upstream: Upstream
    templates: Jinja2Templates


@dataclass(frozen=True)
class Session:
    principal: Principal
    token: str

    @property
    def account_id(self) -> str:
        return self.principal.account_id


def console(request: Request) -> Console:
    found: Console = request.app.state.console
    return found


def current_session(request: Request) -> Session:
    token = request.cookies.get(COOKIE)
    if not token:
        raise NeedsSignIn
    secret = console(request).settings.jwt_secret.get_secret_value()
    try:
        principal = verify_token(secret, token)
    except ApiError as exc:
        raise NeedsSignIn from exc
    return Session(principal, token)


SessionDep = Annotated[Session, Depends(current_session)]


def ops_session(session: SessionDep) -> Session:
    if not session.principal.is_ops:
        raise NeedsOps
    return session


OpsSessionDep = Annotated[Session, Depends(ops_session)]


def _apis(request: Request, session: SessionDep) -> Apis:
    return Apis(console(request).upstream, session.token)


ApisDep = Annotated[Apis, Depends(_apis)]


def public_url(request: Request, path: str) -> str:
    """An absolute URL of a console page, as the browser reaches it (Stripe sends people back there)."""
    base = console(request).settings.public_url or str(request.base_url)
    return base.rstrip("/") + path


async def attempt(call: Awaitable[T]) -> tuple[T | None, Problem | None]:
    """A section of a page whose service may refuse or be down: the rest of the page still shows."""
    try:
        return await call, None
    except Problem as problem:
        return None, problem


def render(
    request: Request,
    template: str,
    session: Session | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    problems = [p for p in context.pop("problems", []) if p is not None]
    return console(request).templates.TemplateResponse(
        request,
        template,
        {"session": session, "problems": problems, **context},
        status_code=status_code,
    )


def _money(cents: Any, currency: str | None = "eur") -> str:
    if not isinstance(cents, int):
        return "—"
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{part:02d} {(currency or 'eur').upper()}"


def _when(value: Any) -> str:
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment.tzinfo else moment.strftime("%Y-%m-%d %H:%M")


def _words(code: Any) -> str:
    return str(code).replace("_", " ") if code else ""


def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
    found.env.filters["money"] = _money
    found.env.filters["when"] = _when
    found.env.filters["words"] = _words
    return found
