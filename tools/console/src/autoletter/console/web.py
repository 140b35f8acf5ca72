"""What every page shares: the signed-in session, the service APIs, rendering with the layout."""

from __future__ import annotations

import functools
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import jinja2
from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from autoletter.console import i18n, words
from autoletter.console.apis import Apis
from autoletter.console.formatting import Formatter, countries
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
    templates: dict[str, Jinja2Templates]


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


def locale_of(request: Request) -> str:
    """The language of this request: the switch's cookie, else Accept-Language, else French."""
    return i18n.choose_locale(
        request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language")
    )


def render(
    request: Request,
    template: str,
    session: Session | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    problems = [p for p in context.pop("problems", []) if p is not None]
    locale = locale_of(request)
    return (
        console(request)
        .templates[locale]
        .TemplateResponse(
            request,
            template,
            {
                "session": session,
                "problems": problems,
                "lang": locale,
                "languages": i18n.NATIVE_NAMES,
                "here": request.url.path,
                **context,
            },
            status_code=status_code,
        )
    )


def _environment(locale: str) -> Jinja2Templates:
    """One environment per language, its catalog installed once: never swapped per request."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    translations = i18n.compile_catalog(locale)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    formatter = Formatter(locale)
    env.filters["money"] = formatter.money
    env.filters["when"] = formatter.when
    env.filters["day"] = formatter.day
    env.filters["month"] = formatter.month
    env.filters["country"] = formatter.country
    say = words.sayer(translations.gettext)
    env.globals["say"] = say
    for family in words.FAMILIES:  # `code | service_status_words`, …
        env.filters[f"{family}_words"] = functools.partial(say, family)
    env.globals["countries"] = countries(locale)
    return Jinja2Templates(env=env)


def templates() -> dict[str, Jinja2Templates]:
    return {locale: _environment(locale) for locale in i18n.LOCALES}
