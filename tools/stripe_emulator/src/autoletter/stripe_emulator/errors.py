"""Stripe's error body: {"error": {"type", "code", "message", "param", ...}} with 400/402/404."""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An API error as Stripe returns it."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"type": type_, "message": message}
        if code:
            self.body["code"] = code
            self.body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            self.body["param"] = param
        self.body.update({k: v for k, v in extra.items() if v is not None})

    def to_json(self) -> dict[str, Any]:
        return {"error": self.body}


def missing(kind: str, object_id: str, *, param: str = "id") -> StripeError:
    """No such object: 404 for the object of the path, 400 for one named in a parameter."""
    status = 404 if param == "id" else 400
    return StripeError(status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, message, param=param, code=code)
