"""Sign-in for the local run: an account id becomes a dev token in an HttpOnly cookie."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from autoletter.console.web import COOKIE, console, current_session, render
from autoletter.runtime.auth import OPS_ROLE, mint_token

router = APIRouter()

MAX_ACCOUNT_ID = 64


def _signed_in(request: Request) -> bool:
    try:
        current_session(request)
    except Exception:
        return False
    return True


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    """Signed in: Billing; otherwise the sign-in form itself (a 200, which `autoletter dev` waits for)."""
    if _signed_in(request):
        return RedirectResponse("/billing", status_code=303)
    return await sign_in_form(request)


@router.get("/sign-in", name="sign_in")
async def sign_in_form(request: Request, expired: bool = False) -> Response:
    settings = console(request).settings
    return render(
        request,
        "sign_in.html",
        None,
        allowed=settings.dev_sign_in,
        expired=expired,
        account_id="",
        error=None,
    )


@router.post("/sign-in")
async def sign_in(
    request: Request, account_id: Annotated[str, Form()] = "", ops: Annotated[bool, Form()] = False
) -> Response:
    settings = console(request).settings
    if not settings.dev_sign_in:
        return render(
            request,
            "sign_in.html",
            None,
            allowed=False,
            expired=False,
            account_id="",
            error=None,
            status_code=403,
        )
    account_id = account_id.strip()
    if not account_id or len(account_id) > MAX_ACCOUNT_ID or not account_id.isprintable():
        error = f"Enter an account id (1 to {MAX_ACCOUNT_ID} printable characters)."
        return render(
            request,
            "sign_in.html",
            None,
            allowed=True,
            expired=False,
            account_id=account_id,
            error=error,
            status_code=422,
        )
    ttl = timedelta(hours=settings.session_hours)
    roles = [OPS_ROLE] if ops else []
    token = mint_token(settings.jwt_secret.get_secret_value(), account_id, roles=roles, ttl=ttl)
    response = RedirectResponse("/billing", status_code=303)
    # SameSite=Lax keeps other sites from posting our forms with this cookie.
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/sign-out")
async def sign_out() -> Response:
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
