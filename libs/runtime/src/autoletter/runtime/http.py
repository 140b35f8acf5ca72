"""HTTP conventions shared by every service: the error body, health and metrics routes."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from autoletter.runtime.failures import TransientError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A domain or request error mapped to one HTTP status, one code and a message for a person."""

    def __init__(self, status: int, error: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.details = details or {}


class ErrorBody(BaseModel):
    """Every error of every service (DESIGN §4)."""

    error: str = Field(description="Machine-readable code, e.g. precondition_failed.")
    message: str = Field(description="For a person.")
    details: dict[str, Any] = Field(
        description="422: one message per field path; otherwise facts about the error (may be empty)."
    )


_STATUS_DESCRIPTIONS = {
    400: "Bad request",
    401: "No valid bearer token",
    403: "The token lacks the role this route needs",
    404: "Not found, or not this token's account",
    409: "Conflicts with the current state",
    412: "The If-Match precondition failed",
    413: "The body is too large",
    415: "Unsupported media type",
    422: "Invalid input: details lists each field",
    503: "A dependency is unavailable: retry later",
}


def error_responses(*statuses: int, codes: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route can give, each with the error body's schema;
    `codes` names a status's `error` values when they say more than the status (also documents it)."""
    codes = codes or {}
    return {
        status: {
            "model": ErrorBody,
            "description": _STATUS_DESCRIPTIONS.get(status, "Error")
            + (f" ({codes[status]})" if status in codes else ""),
        }
        for status in sorted({*statuses, *codes})
    }


def error_body(error: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": error, "message": message, "details": details or {}}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def _document_validation_errors(app: FastAPI) -> None:
    """OpenAPI tells the truth about 422: FastAPI's default entry describes its own body
    ({"detail": [...]}), which no service sends; every route that validates input is given ours.
    And about 400: any route with a body answers it to a body that cannot be parsed."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                entry = operation.get("responses", {}).get("422", {})
                ref = entry.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
                if ref.endswith("/HTTPValidationError"):
                    entry["description"] = _STATUS_DESCRIPTIONS[422]
                    entry["content"]["application/json"]["schema"] = dict(_ERROR_REF)
                    components.setdefault("ErrorBody", ErrorBody.model_json_schema())
                # A JSON body that is not even text (not UTF-8) cannot be parsed: FastAPI answers 400.
                if "requestBody" in operation and "400" not in operation["responses"]:
                    operation["responses"]["400"] = {
                        "description": "The body cannot be parsed",
                        "content": {"application/json": {"schema": dict(_ERROR_REF)}},
                    }
                    components.setdefault("ErrorBody", ErrorBody.model_json_schema())
        if '/HTTPValidationError"' not in json.dumps(schema.get("paths", {})):
            for unused in ("HTTPValidationError", "ValidationError"):
                components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(app: FastAPI) -> None:
    """Every error, in every service: {"error", "message", "details"}, and so documented."""
    _document_validation_errors(app)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.error, exc.message, exc.details), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        details: dict[str, str] = {}
        for err in exc.errors():
            details.setdefault(_field(tuple(err.get("loc", ()))), str(err.get("msg", "invalid")))
        return JSONResponse(
            error_body("validation_error", "Some fields are invalid: " + ", ".join(details), details),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return JSONResponse(
            error_body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(TransientError)
    async def dependency_unavailable(_: Request, exc: TransientError) -> JSONResponse:
        # A dependency's outage (e.g. Stripe unreachable): nothing was changed, asking again will do.
        log.warning("dependency_unavailable", extra={"error": str(exc)})
        return JSONResponse(
            error_body(
                "service_unavailable", "A service we depend on is unavailable: try again in a minute."
            ),
            status_code=503,
            headers={"Retry-After": "30"},
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", exc_info=exc)
        return JSONResponse(
            error_body("internal_error", "Something went wrong on our side."), status_code=500
        )
