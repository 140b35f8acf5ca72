"""HTTP routes of the letters service (DESIGN §4): send, list, get and cancel letters."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field

from autoletter.contracts.common import Service
from autoletter.contracts.letters import LetterReason
from autoletter.letters.adapters import history, queries
from autoletter.letters.domain.model import LetterNotHeld, LetterStatus
from autoletter.letters.entrypoints.deps import Deps, DepsDep
from autoletter.letters.entrypoints.parsing import read_letter_request
from autoletter.letters.handlers import holds, submission
from autoletter.letters.handlers.holds import LetterNotFound
from autoletter.letters.handlers.requests import LetterIn
from autoletter.letters.handlers.submission import DocumentNotFound, IdempotencyKeyReused
from autoletter.runtime import tracing
from autoletter.runtime.auth import AccountId, CurrentPrincipal, authorize_account
from autoletter.runtime.http import ApiError, error_responses
from autoletter.runtime.logs import correlation_id


class LetterReceiptOut(BaseModel):
    """The decision on a new letter."""

    letter_id: UUID
    status: LetterStatus
    reason: LetterReason | None


class LetterOut(BaseModel):
    """One letter as the customer sees it (never the document)."""

    letter_id: UUID
    service: Service
    status: LetterStatus
    reason: LetterReason | None
    recipient: dict[str, Any]
    destination_country: str
    pages: int
    sheets: int
    created_at: datetime
    updated_at: datetime
    hold_expires_at: datetime | None = Field(description="When a held letter expires.")
    sent_at: datetime | None
    trace_id: str | None = Field(
        default=None, description="The trace of its submission (support follows the letter with it)."
    )


class TransitionOut(BaseModel):
    """One step of a letter's life."""

    status: LetterStatus
    reason: LetterReason | None
    at: datetime


class LetterDetailOut(LetterOut):
    """One letter with its history, oldest first."""

    history: list[TransitionOut]


class LetterPage(BaseModel):
    """A page of letters, newest first; pass `next_cursor` as `cursor` for the next page."""

    items: list[LetterOut]
    next_cursor: str | None


IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Retry with the same key to get the same answer.",
    ),
]


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema without `$defs`, so it can sit inside the OpenAPI document (refs resolved in place)."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _inline(LetterIn.model_json_schema())},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["metadata", "document"],
                    "properties": {
                        "metadata": {"type": "string", "description": "JSON: service and recipient."},
                        "document": {"type": "string", "format": "binary", "description": "The PDF."},
                    },
                }
            },
        },
    }
}


def _out(row: Any) -> LetterOut:
    return LetterOut(
        letter_id=row.letter_id,
        service=Service(row.service),
        status=LetterStatus(row.status),
        reason=LetterReason(row.reason) if row.reason else None,
        recipient=row.recipient,
        destination_country=row.destination_country,
        pages=row.pages,
        sheets=row.sheets,
        created_at=row.created_at,
        updated_at=row.updated_at,
        hold_expires_at=row.hold_expires_at,
        sent_at=row.sent_at,
        trace_id=tracing.trace_id_of(row.trace),
    )


async def _detail(deps: Deps, account_id: str, letter_id: UUID) -> LetterDetailOut:
    async with deps.sessions() as session:
        row = await queries.get_letter(session, account_id, letter_id)
        steps = await history.of_letter(session, letter_id) if row is not None else []
    if row is None:
        raise ApiError(404, "not_found", "No such letter.")
    return LetterDetailOut(
        **_out(row).model_dump(),
        history=[TransitionOut(status=s.status, reason=s.reason, at=s.at) for s in steps],
    )


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def _seq(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith("seq:"):
            return int(text[4:])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ApiError(422, "invalid_cursor", "The cursor is not one this API gave out.", {"cursor": "invalid"})


def router() -> APIRouter:
    api = APIRouter(prefix="/v1/accounts/{account_id}/letters", tags=["letters"])

    @api.post(
        "",
        status_code=202,
        response_model=LetterReceiptOut,
        openapi_extra=_BODY_DOC,
        responses=error_responses(
            400,
            401,
            404,
            415,
            codes={
                413: "document_too_large",
                422: "validation_error, invalid_document, document_not_found, idempotency_key_reused",
            },
        ),
    )
    async def send_letter(
        account_id: AccountId,
        principal: CurrentPrincipal,
        deps: DepsDep,
        request: Request,
        response: Response,
        idempotency_key: IdempotencyKey,
    ) -> LetterReceiptOut:
        """Send a letter: accepted, held (with the reason) or rejected from the service's status."""
        authorize_account(principal, account_id)
        letter = await read_letter_request(request, deps.letters.rules)
        flow = correlation_id.get()
        try:
            async with deps.units.begin() as uow:
                receipt = await submission.submit_letter(
                    uow,
                    deps.letters,
                    account_id,
                    idempotency_key,
                    letter,
                    correlation_id=UUID(flow) if flow else None,
                )
        except DocumentNotFound as exc:
            raise ApiError(
                422,
                "document_not_found",
                "No uploaded document of this account has this document_ref; upload the PDF again.",
                {"document_ref": "unknown"},
            ) from exc
        except IdempotencyKeyReused as exc:
            raise ApiError(
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was already used with a different request; use a new key.",
                {"idempotency_key": "reused with another body"},
            ) from exc
        if receipt.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return LetterReceiptOut(letter_id=receipt.letter_id, status=receipt.status, reason=receipt.reason)

    @api.get(
        "", response_model=LetterPage, responses=error_responses(401, 404, codes={422: "invalid_cursor"})
    )
    async def list_letters(
        account_id: AccountId,
        principal: CurrentPrincipal,
        deps: DepsDep,
        status: LetterStatus | None = None,
        cursor: str | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> LetterPage:
        """The account's letters, newest first, optionally of one status."""
        authorize_account(principal, account_id)
        before = _seq(cursor) if cursor else None
        async with deps.sessions() as session:
            rows = await queries.list_letters(
                session,
                account_id,
                status=status.value if status else None,
                before_seq=before,
                limit=limit + 1,
            )
        more = len(rows) > limit
        rows = rows[:limit]
        return LetterPage(items=[_out(r) for r in rows], next_cursor=_cursor(rows[-1].seq) if more else None)

    @api.get("/{letter_id}", response_model=LetterDetailOut, responses=error_responses(401, 404, 422))
    async def get_letter(
        account_id: AccountId, letter_id: UUID, principal: CurrentPrincipal, deps: DepsDep
    ) -> LetterDetailOut:
        """One letter, with every status it took (time and reason), oldest first."""
        authorize_account(principal, account_id)
        return await _detail(deps, account_id, letter_id)

    @api.post(
        "/{letter_id}/cancel",
        response_model=LetterDetailOut,
        responses=error_responses(401, 404, 422, codes={409: "letter_not_held"}),
    )
    async def cancel_letter(
        account_id: AccountId, letter_id: UUID, principal: CurrentPrincipal, deps: DepsDep
    ) -> LetterDetailOut:
        """Cancel a held letter; a letter already accepted, sent or finished cannot be."""
        authorize_account(principal, account_id)
        try:
            async with deps.units.begin() as uow:
                await holds.cancel_letter(uow, deps.letters, account_id, letter_id)
        except LetterNotFound as exc:
            raise ApiError(404, "not_found", "No such letter.") from exc
        except LetterNotHeld as exc:
            raise ApiError(
                409,
                "letter_not_held",
                f"Only a held letter can be cancelled; this one is {exc.status.value}.",
                {"status": exc.status.value},
            ) from exc
        return await _detail(deps, account_id, letter_id)

    return api
