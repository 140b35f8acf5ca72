"""Profile's side of the reconciliation (ops, DESIGN §5). Profile holds no money facts: its side is
only whether it is settled (nothing left unpublished), so `autoletter reconcile` can show every service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from autoletter.profile.entrypoints.deps import DepsDep
from autoletter.runtime.auth import CurrentPrincipal, require_ops
from autoletter.runtime.http import error_responses
from autoletter.runtime.reconciliation import OPS_ONLY, Month, PeriodQuery, SideOut, settledness

router = APIRouter(tags=["ops"], dependencies=[OPS_ONLY])


@router.get("/v1/ops/reconciliation", response_model=SideOut, responses=error_responses(401, 403, 422))
async def profile_side(period: PeriodQuery, principal: CurrentPrincipal, deps: DepsDep) -> dict[str, Any]:
    """Whether profile's events are all published."""
    require_ops(principal)
    month = Month.parse(period)
    async with deps.sessions.begin() as session:
        settled = await settledness(session, deps.settings.service_name)
    return {"service": "profile", "period": month.label, **settled}
