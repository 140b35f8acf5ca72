"""Letters: send a PDF, see each letter's status and reason, cancel a held one."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile
from starlette.responses import Response

from autoletter.console import forms
from autoletter.console.apis import Apis
from autoletter.console.upstream import Problem
from autoletter.console.web import ApisDep, Session, SessionDep, attempt, console, render

router = APIRouter()

FIELDS = (*forms.LETTER_FIELDS, "document")
STATUSES = ("held", "accepted", "sent", "rejected", "expired", "cancelled")


def readiness(overview: dict[str, Any] | None) -> dict[str, Any] | None:
    """What would hold or refuse a letter sent now, from payments' overview (None: not known)."""
    if overview is None:
        return None
    profile = overview.get("profile") or {}
    return {
        "missing": [] if profile.get("complete") else list(profile.get("missing") or []),
        "payment_method": bool(overview.get("payment_method")),
        "services": {s.get("service"): s.get("status") for s in overview.get("services") or []},
    }


async def _page(
    request: Request,
    session: Session,
    apis: Apis,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: Problem | None = None,
    status: str | None = None,
    cursor: str | None = None,
    sent: str | None = None,
    status_code: int = 200,
) -> Response:
    (page, list_problem), (overview, _overview_problem) = await asyncio.gather(
        attempt(
            apis.letters(session.account_id, status=status if status in STATUSES else None, cursor=cursor)
        ),
        attempt(apis.billing(session.account_id)),
    )
    if list_problem and list_problem.is_down and not problem:
        status_code = 503
    items: list[dict[str, Any]] = (page or {}).get("items") or []
    return render(
        request,
        "letters.html",
        session,
        status_code=status_code,
        active="letters",
        letters=items,
        next_cursor=(page or {}).get("next_cursor"),
        status=status,
        statuses=STATUSES,
        sent=next((i for i in items if str(i.get("letter_id")) == sent), None) if sent else None,
        sent_id=sent,
        values=values or {"service": "standard"},
        errors=errors or {},
        problems=[problem, list_problem],
        readiness=readiness(overview),
        # A fresh key per form shown: a double submit of this form sends one letter, a new form another.
        idempotency_key=uuid.uuid4().hex,
    )


@router.get("/letters", name="letters")
async def letters_page(
    request: Request,
    session: SessionDep,
    apis: ApisDep,
    status: str | None = None,
    cursor: str | None = None,
    sent: str | None = None,
) -> Response:
    return await _page(request, session, apis, status=status, cursor=cursor, sent=sent)


async def _document(upload: Any, limit: int) -> tuple[bytes | None, str | None]:
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, "missing_document"
    data = await upload.read(limit + 1)
    if len(data) > limit:
        return None, "file_too_large"
    return data, None


@router.post("/letters")
async def send_letter(request: Request, session: SessionDep, apis: ApisDep) -> Response:
    settings = console(request).settings
    form = await request.form(max_files=1)
    values = forms.letter_values(form)
    document, document_error = await _document(form.get("document"), settings.max_upload_bytes)
    if document is None:
        refusal = Problem("console", 422, document_error or "missing_document", "No usable document.")
        return await _page(
            request,
            session,
            apis,
            values=values,
            errors={"document": "invalid"},
            problem=refusal,
            status_code=422,
        )
    key = str(form.get("idempotency_key") or "") or uuid.uuid4().hex
    try:
        receipt = await apis.send_letter(session.account_id, forms.letter_body(form, document), key)
    except Problem as problem:
        errors, _rest = forms.field_errors(problem.details, FIELDS, {"document_base64": "document"})
        if problem.error in ("invalid_document", "document_too_large"):
            errors.setdefault("document", problem.error)
        return await _page(
            request,
            session,
            apis,
            values=values,
            errors=errors,
            problem=problem,
            status_code=problem.status or 503,
        )
    return RedirectResponse(f"/letters?sent={receipt['letter_id']}", status_code=303)


@router.post("/letters/{letter_id}/cancel")
async def cancel_letter(request: Request, session: SessionDep, apis: ApisDep, letter_id: str) -> Response:
    try:
        await apis.cancel_letter(session.account_id, letter_id)
    except Problem as problem:
        return await _page(request, session, apis, problem=problem, status_code=problem.status or 503)
    return RedirectResponse("/letters", status_code=303)


@router.get("/letters/{letter_id}", name="letter")
async def letter_page(request: Request, session: SessionDep, apis: ApisDep, letter_id: str) -> Response:
    """One letter: where it went, its history, and what it costs once invoicing has recorded it."""
    (letter, problem), (charge, _no_charge) = await asyncio.gather(
        attempt(apis.letter(session.account_id, letter_id)),
        attempt(apis.letter_charge(session.account_id, letter_id)),
    )
    status_code = 200 if letter else (problem.status or 503) if problem else 404
    return render(
        request,
        "letter.html",
        session,
        status_code=status_code,
        active="letters",
        letter=letter,
        history=(letter or {}).get("history") or [],
        charge=charge,
        problems=[problem],
    )
