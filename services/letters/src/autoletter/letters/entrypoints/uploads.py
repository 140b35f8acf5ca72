"""HTTP route for documents uploaded on their own (up to 10 MB), to be sent by reference."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from autoletter.letters.entrypoints.deps import DepsDep
from autoletter.letters.entrypoints.parsing import read_upload
from autoletter.letters.handlers import submission
from autoletter.runtime.auth import AccountId, CurrentPrincipal, authorize_account
from autoletter.runtime.http import error_responses


class DocumentOut(BaseModel):
    """An uploaded document: name it in `document_ref` of a letter or a SendLetter command."""

    document_ref: str = Field(description="Opaque; valid only for this account.")
    pages: int


_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["document"],
                    "properties": {
                        "document": {"type": "string", "format": "binary", "description": "The PDF."}
                    },
                }
            },
        },
    }
}


def router() -> APIRouter:
    """The documents route."""
    api = APIRouter(prefix="/v1/accounts/{account_id}/documents", tags=["documents"])

    @api.post(
        "",
        status_code=201,
        response_model=DocumentOut,
        openapi_extra=_BODY_DOC,
        responses=error_responses(
            400,
            401,
            404,
            codes={413: "document_too_large", 415: "unsupported_media_type", 422: "invalid_document"},
        ),
    )
    async def upload_document(
        account_id: AccountId, principal: CurrentPrincipal, deps: DepsDep, request: Request
    ) -> DocumentOut:
        """Upload a PDF once; the same PDF uploaded again gets the same reference.

        Kept while letters may still print it, and deleted some days after the last of them is
        sent or ends (or after upload, if no letter names it)."""
        authorize_account(principal, account_id)
        upload = await read_upload(request, deps.letters.rules)
        async with deps.units.begin() as uow:
            ref = await submission.upload_document(uow, account_id, upload)
        return DocumentOut(document_ref=ref, pages=upload.pages)

    return api
