"""Ops routes of payments (DESIGN §4): stored Stripe events that failed, and their replay."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from autoletter.payments.adapters import failed_events
from autoletter.payments.entrypoints.deps import DepsDep
from autoletter.runtime.http import ApiError, error_responses
from autoletter.runtime.reconciliation import OPS_ONLY

#: The ops role is checked before the input (a customer gets 403, never a 422 about the event id).
router = APIRouter(prefix="/v1/ops/stripe-events", tags=["ops"], dependencies=[OPS_ONLY])

EventId = Annotated[str, Path(pattern=r"^evt_[A-Za-z0-9_]{1,250}$", description="Stripe's event id.")]


class StoredEventOut(BaseModel):
    event_id: str
    type: str
    customer_key: str
    state: str
    outcome: str | None
    attempts: int
    last_error: str | None
    stripe_created: datetime
    received_at: datetime
    processed_at: datetime | None


class StoredEventsOut(BaseModel):
    events: list[StoredEventOut]


def _not_found(event_id: str) -> ApiError:
    return ApiError(404, "not_found", f"No stored Stripe event {event_id}.")


@router.get("", response_model=StoredEventsOut, responses=error_responses(401, 403, 422))
async def list_events(
    deps: DepsDep,
    state: Annotated[Literal["failed", "pending", "done"], Query()] = "failed",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> StoredEventsOut:
    """Stored Stripe events in one state (failed by default), oldest first; bodies are not shown."""
    async with deps.sessions() as session:
        found = await failed_events.by_state(session, state, limit)
    return StoredEventsOut(events=[StoredEventOut(**e.as_dict()) for e in found])


@router.get("/{event_id}", response_model=StoredEventOut, responses=error_responses(401, 403, 404, 422))
async def show_event(event_id: EventId, deps: DepsDep) -> StoredEventOut:
    """One stored Stripe event: its state, attempts and last error."""
    async with deps.sessions() as session:
        found = await failed_events.one(session, event_id)
    if found is None:
        raise _not_found(event_id)
    return StoredEventOut(**found.as_dict())


@router.post(
    "/{event_id}/replay", response_model=StoredEventOut, responses=error_responses(401, 403, 404, 409, 422)
)
async def replay_event(event_id: EventId, deps: DepsDep) -> StoredEventOut:
    """Process a failed event again (fresh attempts); 409 when it is not failed."""
    async with deps.units.begin() as uow:
        replayed = await uow.repos.replay_event(event_id, uow.now())
        found = await uow.repos.stored_event(event_id)
    if found is None:
        raise _not_found(event_id)
    if not replayed:
        raise ApiError(409, "not_failed", f"{event_id} is {found.state}: only a failed event is replayed.")
    deps.processor.wake()
    return StoredEventOut(**found.as_dict())
