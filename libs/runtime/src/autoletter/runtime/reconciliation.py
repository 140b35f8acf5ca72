"""What every service's side of the reconciliation shares (DESIGN §5): the period asked for, and
whether the side is settled (nothing of this service's left unpublished or unconsumed), since a
comparison made while messages are in flight reports differences that are only delays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.runtime import metrics
from autoletter.runtime.auth import CurrentPrincipal, Principal, require_ops
from autoletter.runtime.http import ApiError

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"

PeriodQuery = Annotated[str, Query(pattern=PERIOD_PATTERN, description="The month, YYYY-MM (UTC).")]


def _ops_only(principal: CurrentPrincipal) -> Principal:
    require_ops(principal)
    return principal


#: A router dependency: the role is checked before the input, so a customer learns nothing from 422s.
OPS_ONLY = Depends(_ops_only)


class SideOut(BaseModel):
    """What every service's side of the reconciliation answers, before its own facts."""

    service: str
    period: str = Field(description="The month, YYYY-MM (UTC).")
    settled: bool = Field(description="Nothing of this service's unpublished or unconsumed.")
    outbox_unpublished: int
    consumer_lag: dict[str, int] = Field(description="Per consumer group, as last observed.")


@dataclass(frozen=True)
class Month:
    """A calendar month in UTC, as the ops route receives it."""

    label: str
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, label: str) -> Month:
        try:
            year, month = (int(part) for part in label.split("-"))
            start = datetime(year, month, 1, tzinfo=UTC)
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        except ValueError as exc:
            raise ApiError(422, "validation_error", f"no such period: {label}", {"period": label}) from exc
        return cls(label, start, end)


async def settledness(session: AsyncSession, service: str) -> dict[str, Any]:
    """This service's unpublished outbox rows and its consumers' lag (as last observed), and whether
    both are zero."""
    unpublished = int(
        (await session.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar_one()
    )
    lag: dict[str, int] = {}
    for family in metrics.CONSUMER_LAG.collect():
        for sample in family.samples:
            if sample.labels.get("service") == service:
                group = sample.labels["group"]
                lag[group] = lag.get(group, 0) + int(sample.value)
    return {
        "settled": unpublished == 0 and not any(lag.values()),
        "outbox_unpublished": unpublished,
        "consumer_lag": lag,
    }
