"""Letters: send a PDF, see each letter's status and reason, cancel a held one."""

from __future__ import annotations

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
    page, list_problem = await attempt(
        apis.letters(session.account_id, status=status if status in STATUSES else None, cursor=cursor)
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
        return None, "Choose a PDF file."
    data = await upload.read(limit + 1)
    if len(data) > limit:
        return None, f"The file is larger than {limit // 1024} KB."
    return data, None


@router.post("/letters")
async def send_letter(request: Request, session: SessionDep, apis: ApisDep) -> Response:
    settings = console(request).settings
    form = await request.form(max_files=1)
    values = forms.letter_values(form)
    document, document_error = await _document(form.get("document"), settings.max_upload_bytes)
    if document is None:
        return await _page(
            request, session, apis, values=values, errors={"document": document_error or ""}, status_code=422
        )
    key = str(form.get("idempotency_key") or "") or uuid.uuid4().hex
    try:
        receipt = await apis.send_letter(session.account_id, forms.letter_body(form, document), key)
    except Problem as problem:
        errors, rest = forms.field_errors(problem.details, FIELDS, {"document_base64": "document"})
        if problem.error == "invalid_document":
            errors.setdefault("document", problem.message)
        if rest:
            problem.message += " " + "; ".join(rest)
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
