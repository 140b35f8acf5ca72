"""Letters' side of the reconciliation (ops, DESIGN §5): every letter sent in a month, which invoicing
must have exactly one usage line for."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from autoletter.contracts.common import Service
from autoletter.letters.adapters.tables import letters
from autoletter.letters.entrypoints.deps import DepsDep
from autoletter.runtime.auth import CurrentPrincipal, require_ops
from autoletter.runtime.http import error_responses
from autoletter.runtime.reconciliation import OPS_ONLY, Month, PeriodQuery, SideOut, settledness


class SentOut(BaseModel):
    letter_id: UUID
    account_id: str
    service: Service
    sheets: int
    sent_at: str = Field(json_schema_extra={"format": "date-time"})


class LettersSideOut(SideOut):
    sent: list[SentOut]


router = APIRouter(tags=["ops"], dependencies=[OPS_ONLY])


@router.get("/v1/ops/reconciliation", response_model=LettersSideOut, responses=error_responses(401, 403, 422))
async def letters_side(period: PeriodQuery, principal: CurrentPrincipal, deps: DepsDep) -> dict[str, Any]:
    """The letters sent in the period (by `sent_at`, UTC), with their service and sheets."""
    require_ops(principal)
    month = Month.parse(period)
    query = (
        select(
            letters.c.letter_id, letters.c.account_id, letters.c.service, letters.c.sheets, letters.c.sent_at
        )
        .where(letters.c.sent_at >= month.start, letters.c.sent_at < month.end)
        .order_by(letters.c.sent_at)
    )
    async with deps.sessions.begin() as session:
        rows = (await session.execute(query)).all()
        settled = await settledness(session, deps.settings.service_name)
    return {
        "service": "letters",
        "period": month.label,
        **settled,
        "sent": [
            {
                "letter_id": str(r.letter_id),
                "account_id": r.account_id,
                "service": r.service,
                "sheets": r.sheets,
                "sent_at": r.sent_at.isoformat(),
            }
            for r in rows
        ],
    }
