"""POST /v1/stripe/webhook: verify, store once, answer 200 once stored. Processing happens afterwards.

The signature is checked on the raw bytes, before anything parses them. Nothing is stored unless the
signature is valid (any of several v1 signatures, timestamp within the tolerance) and the body is an
event we can store.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import stripe
from fastapi import APIRouter, Request
from pydantic import BaseModel

from autoletter.payments import metrics
from autoletter.payments.adapters.event_store import NewEvent
from autoletter.payments.adapters.repository import PaymentsRepository
from autoletter.payments.adapters.stripe_events import HANDLED_TYPES, MalformedEvent, customer_of, parse_event
from autoletter.payments.entrypoints.deps import DepsDep
from autoletter.runtime import tracing
from autoletter.runtime.grouping import GroupWriter
from autoletter.runtime.http import ApiError, error_responses
from autoletter.runtime.uow import Units

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000
NO_CUSTOMER = "-"

router = APIRouter(tags=["stripe"])


class ReceivedOut(BaseModel):
    received: bool


def intake(units: Units[PaymentsRepository]) -> GroupWriter[NewEvent, bool]:
    """Webhooks arriving together are stored together: one transaction, one INSERT, one commit (and
    its WAL flush) for the group, each request answered after it; a failing group is stored one by one."""

    async def store(events: Sequence[NewEvent]) -> list[bool]:
        async with units.begin() as uow:
            return await uow.repos.store_events(events, uow.now())

    return GroupWriter(store)


def verify_signature(payload: bytes, header: str | None, secret: str, tolerance: int) -> None:
    """Raises stripe.SignatureVerificationError unless one v1 signature matches and is recent."""
    if not header:
        raise stripe.SignatureVerificationError("no signature header", header, payload)  # type: ignore[no-untyped-call]
    stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=tolerance)


@router.post(
    "/v1/stripe/webhook",
    summary="Stripe webhook endpoint (Stripe-Signature, no JWT)",
    response_model=ReceivedOut,
    responses=error_responses(codes={400: "invalid_signature, malformed_event", 413: "payload_too_large"}),
)
async def stripe_webhook(request: Request, deps: DepsDep) -> dict[str, Any]:
    settings = deps.settings
    payload = await request.body()
    if len(payload) > MAX_BODY:
        metrics.WEBHOOKS.labels("other", "too_large").inc()
        raise ApiError(413, "payload_too_large", "The webhook body is too large.")
    try:
        verify_signature(
            payload,
            request.headers.get("stripe-signature"),
            settings.stripe_webhook_secret.get_secret_value(),
            settings.stripe_webhook_tolerance_s,
        )
    except (stripe.SignatureVerificationError, ValueError) as exc:  # ValueError: a body that is not UTF-8
        metrics.WEBHOOKS.labels("other", "signature_invalid").inc()
        raise ApiError(400, "invalid_signature", "The Stripe-Signature header does not verify.") from exc
    try:
        event_id, event_type, created, event = parse_event(json.loads(payload))
    except (ValueError, MalformedEvent) as exc:
        metrics.WEBHOOKS.labels("other", "malformed").inc()
        raise ApiError(400, "malformed_event", "The body is not a Stripe event.") from exc
    label = metrics.type_label(event_type)
    if event_type not in HANDLED_TYPES:
        metrics.WEBHOOKS.labels(label, "ignored_type").inc()
        return {"received": True}
    received = NewEvent(
        event_id, event_type, created, customer_of(event) or NO_CUSTOMER, event, tracing.capture() or None
    )
    new = await deps.intake.submit(received)  # answered once stored: after its group's commit
    metrics.WEBHOOKS.labels(label, "accepted" if new else "duplicate").inc()
    if new:
        deps.processor.wake()
    return {"received": True}
