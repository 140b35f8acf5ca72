"""Settings: the three profile fields, what is missing, the service's field errors beside the fields."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from autoletter.console import forms
from autoletter.console.apis import Apis
from autoletter.console.upstream import Problem
from autoletter.console.web import ApisDep, Session, SessionDep, render

router = APIRouter()


def _page(
    request: Request,
    session: Session,
    *,
    values: dict[str, str],
    etag: str | None,
    profile: dict[str, Any] | None,
    errors: dict[str, str] | None = None,
    problem: Problem | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "settings.html",
        session,
        status_code=status_code,
        active="settings",
        values=values,
        etag=etag or "",
        profile=profile,
        errors=errors or {},
        problems=[problem],
        saved=saved,
    )


async def _load(apis: Apis, account_id: str) -> tuple[dict[str, Any] | None, str | None, Problem | None]:
    try:
        found = await apis.profile(account_id)
    except Problem as problem:
        return None, None, problem
    return found.body, found.etag, None


@router.get("/settings", name="settings")
async def settings_page(
    request: Request, session: SessionDep, apis: ApisDep, saved: bool = False
) -> Response:
    profile, etag, problem = await _load(apis, session.account_id)
    values = forms.profile_values(profile or {})
    return _page(
        request,
        session,
        values=values,
        etag=etag,
        profile=profile,
        problem=problem,
        saved=saved,
        status_code=503 if problem and problem.is_down else 200,
    )


@router.post("/settings")
async def save_settings(request: Request, session: SessionDep, apis: ApisDep) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "") for name in forms.PROFILE_FIELDS}
    etag = str(form.get("etag") or "") or None
    body = forms.profile_body(form)
    if not any(body.values()):
        # Saving nothing would clear the profile and then claim success: refuse, change nothing.
        current, current_etag, _ = await _load(apis, session.account_id)
        return _page(
            request,
            session,
            values=values,
            etag=current_etag or etag,
            profile=current,
            problem=Problem("console", 422, "nothing_to_save", "The form is empty."),
            status_code=422,
        )
    try:
        await apis.put_profile(session.account_id, body, etag)
    except Problem as problem:
        errors, _rest = (
            forms.field_errors(problem.details, forms.PROFILE_FIELDS) if problem.status == 422 else ({}, [])
        )
        if problem.status == 412:
            # Keep what the person typed; their next save knowingly replaces the newer version.
            etag = str(problem.details.get("etag") or "") or etag
        current, _, _ = await _load(apis, session.account_id)
        return _page(
            request,
            session,
            values=values,
            etag=etag,
            profile=current,
            errors=errors,
            problem=problem,
            status_code=problem.status or 503,
        )
    return RedirectResponse("/settings?saved=true", status_code=303)
