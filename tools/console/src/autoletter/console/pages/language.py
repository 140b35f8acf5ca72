"""The language switch: kept in a cookie for a year; the page the person was on is shown again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from autoletter.console import i18n

router = APIRouter()

ONE_YEAR_S = 365 * 24 * 3600


def _local_path(candidate: str) -> str:
    """Only a path of this console: never an open redirect to another site."""
    if candidate.startswith("/") and not candidate.startswith("//") and "\\" not in candidate:
        return candidate
    return "/"


@router.post("/language")
async def choose_language(
    request: Request, lang: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
) -> Response:
    response = RedirectResponse(_local_path(next), status_code=303)
    if lang in i18n.LOCALES:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            lang,
            max_age=ONE_YEAR_S,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response
