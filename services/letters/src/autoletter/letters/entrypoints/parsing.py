"""Turning an HTTP body (JSON with base64, or multipart) into a valid LetterRequest, or a clear 4xx."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from autoletter.letters.adapters.pdf import InvalidDocument
from autoletter.letters.handlers.requests import (
    DocumentRules,
    DocumentTooLarge,
    LetterIn,
    LetterMetadata,
    LetterRequest,
    Upload,
    by_reference,
    decode_document,
    prepare,
    prepare_upload,
)
from autoletter.runtime.http import ApiError

#: Room for the JSON around the base64 document, or the multipart framing and metadata.
_ENVELOPE_ROOM = 64 * 1024


def _too_large(rules: DocumentRules, limit: int | None = None) -> ApiError:
    limit = limit or rules.max_bytes
    return ApiError(
        413,
        "document_too_large",
        f"The document is larger than the {limit} bytes allowed.",
        {"max_document_bytes": limit},
    )


def _refused(exc: InvalidDocument) -> ApiError:
    return ApiError(422, "invalid_document", f"The document is refused: {exc}.")


def _invalid(exc: ValidationError, prefix: tuple[str, ...] = ("body",)) -> RequestValidationError:
    errors: list[dict[str, Any]] = [
        {"loc": (*prefix, *e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()
    ]
    return RequestValidationError(errors)


async def _read_capped(request: Request, limit: int, too_large: ApiError) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def read_letter_request(request: Request, rules: DocumentRules) -> LetterRequest:
    """Validate the body; raises ApiError (413, 422) or RequestValidationError (422 by field)."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        meta, document = await _multipart(request, rules)
    elif content_type.startswith("application/json") or not content_type:
        limit = (rules.max_bytes + 2) // 3 * 4 + _ENVELOPE_ROOM
        body = await _read_capped(request, limit, _too_large(rules))
        try:
            letter = LetterIn.model_validate_json(body or b"{}")
        except ValidationError as exc:
            raise _invalid(exc) from exc
        meta = letter
        if (letter.document_base64 is None) == (letter.document_ref is None):
            both = "give exactly one of document_base64 and document_ref"
            raise ApiError(
                422,
                "validation_error",
                "Give exactly one document: the PDF in document_base64, or an uploaded one in document_ref.",
                {"document_base64": both, "document_ref": both},
            )
        if letter.document_ref is not None:
            return by_reference(letter.service, letter.recipient, letter.document_ref)
        try:
            document = decode_document(letter.document_base64 or "", rules)
        except DocumentTooLarge as exc:
            raise _too_large(rules) from exc
        except InvalidDocument as exc:
            raise _refused(exc) from exc
    else:
        raise ApiError(415, "unsupported_media_type", "Send application/json or multipart/form-data.")
    try:
        # Parsing a PDF is CPU work: keep the event loop free for other requests.
        return await asyncio.to_thread(prepare, meta.service, meta.recipient, document, rules)
    except DocumentTooLarge as exc:
        raise _too_large(rules) from exc
    except InvalidDocument as exc:
        raise _refused(exc) from exc


async def read_upload(request: Request, rules: DocumentRules) -> Upload:
    """A PDF uploaded on its own: the raw body (application/pdf) or a multipart `document` part."""
    too_large = _too_large(rules, rules.max_upload_bytes)
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        document = await _uploaded_file(request, rules.max_upload_bytes, too_large)
    elif content_type.startswith(("application/pdf", "application/octet-stream")):
        document = await _read_capped(request, rules.max_upload_bytes, too_large)
    else:
        raise ApiError(
            415, "unsupported_media_type", "Send the PDF as application/pdf or as multipart/form-data."
        )
    try:
        return await asyncio.to_thread(prepare_upload, document, rules)
    except DocumentTooLarge as exc:
        raise too_large from exc
    except InvalidDocument as exc:
        raise _refused(exc) from exc


async def _uploaded_file(request: Request, limit: int, too_large: ApiError) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + _ENVELOPE_ROOM:
        raise too_large
    try:
        form = await request.form(max_files=1, max_fields=1, max_part_size=_ENVELOPE_ROOM)
    except Exception as exc:  # starlette refuses malformed or oversized forms with its own errors
        raise ApiError(400, "bad_request", f"The multipart body cannot be read: {exc}.") from exc
    upload = form.get("document")
    if not isinstance(upload, UploadFile):
        raise ApiError(
            422,
            "validation_error",
            "Send the PDF as a file part named document.",
            {"document": "Field required"},
        )
    document = await upload.read(limit + 1)
    if len(document) > limit:
        raise too_large
    return document


async def _multipart(request: Request, rules: DocumentRules) -> tuple[LetterMetadata, bytes]:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > rules.max_bytes + _ENVELOPE_ROOM:
        raise _too_large(rules)
    try:
        form = await request.form(max_files=1, max_fields=2, max_part_size=_ENVELOPE_ROOM)
    except Exception as exc:  # starlette refuses malformed or oversized forms with its own errors
        raise ApiError(400, "bad_request", f"The multipart body cannot be read: {exc}.") from exc
    metadata, upload = form.get("metadata"), form.get("document")
    missing = {
        name: "Field required"
        for name, value in (("metadata", metadata), ("document", upload))
        if value is None
    }
    if missing:
        raise ApiError(422, "validation_error", "Some fields are invalid: " + ", ".join(missing), missing)
    if not isinstance(metadata, str) or not isinstance(upload, UploadFile):
        raise ApiError(422, "validation_error", "metadata must be a JSON text part and document a file part.")
    try:
        meta = LetterMetadata.model_validate_json(metadata)
    except ValidationError as exc:
        raise _invalid(exc, ("body", "metadata")) from exc
    document = await upload.read(rules.max_bytes + 1)
    if len(document) > rules.max_bytes:
        raise _too_large(rules)
    return meta, document
