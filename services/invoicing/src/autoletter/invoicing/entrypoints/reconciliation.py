"""Reconciliation in invoicing (DESIGN §5): its side and the comparison on demand (ops routes), the
daily comparison under a lease, and the `autoletter_reconciliation_differences` gauge."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Path
from prometheus_client import Counter, Gauge
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from autoletter import stripe as stripe_api
from autoletter.invoicing.adapters import reconciliation_repo as repo
from autoletter.invoicing.adapters.rate_limit import TokenBucket
from autoletter.invoicing.adapters.reconciliation_sources import ServiceSides, SideUnavailable, StripeInvoices
from autoletter.invoicing.domain.period import InvalidPeriod, Period
from autoletter.invoicing.domain.reconciliation import Kind
from autoletter.invoicing.entrypoints.deps import Deps, DepsDep
from autoletter.invoicing.handlers.reconcile import Reconciler
from autoletter.invoicing.settings import InvoicingSettings
from autoletter.runtime.auth import CurrentPrincipal, OpsRoute, require_ops
from autoletter.runtime.clock import Clock
from autoletter.runtime.http import ApiError, error_responses
from autoletter.runtime.jobs import Job
from autoletter.runtime.reconciliation import OPS_ONLY, PERIOD_PATTERN, PeriodQuery, SideOut, settledness

DIFFERENCES = Gauge(
    "autoletter_reconciliation_differences",
    "Differences found by the latest reconciliation of each period, by kind.",
    ["kind"],
)
RUNS = Counter(
    "autoletter_reconciliation_runs",
    "Scheduled reconciliation passes, by outcome (failed: a side unreachable, Stripe or the database).",
    ["outcome"],
)
for _outcome in ("ok", "failed"):
    RUNS.labels(_outcome)  # both series exist from the start, at 0
DAILY_JOB = "daily"
#: No heartbeat: a comparison takes seconds, and a duplicate run only rewrites the same report.
LEASE_TTL = timedelta(minutes=10)


def build_reconciler(
    settings: InvoicingSettings, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> Reconciler:
    sides = ServiceSides(
        {"letters": settings.letters_url, "payments": settings.payments_url},
        settings.jwt_secret.get_secret_value(),
    )
    client = stripe_api.client(settings.stripe_api_key.get_secret_value(), api_base=settings.stripe_api_base)
    stripe = StripeInvoices(client, TokenBucket(settings.stripe_requests_per_second))
    return Reconciler(sessions, clock, sides, stripe, settings.service_name)


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except InvalidPeriod as exc:
        raise ApiError(422, "validation_error", str(exc), {"period": str(exc)}) from exc


#: Ops only, checked before the body is parsed (a customer gets 403, never a 422).
router = APIRouter(tags=["ops"], dependencies=[OPS_ONLY], route_class=OpsRoute)


class UsageLineOut(BaseModel):
    letter_id: str
    account_id: str
    invoice_id: str | None
    invoice_known: bool


class OurInvoiceOut(BaseModel):
    invoice_id: str
    account_id: str
    state: str
    amount_cents: int
    letters: int
    stripe_invoice_id: str | None
    lines_cents: int
    usage_cents: int
    usage_count: int


class InvoicingSideOut(SideOut):
    usage_lines: list[UsageLineOut]
    invoices: list[OurInvoiceOut]


class DifferenceOut(BaseModel):
    kind: str
    account_id: str
    ref: str
    detail: str


class StoredReportOut(BaseModel):
    period: str
    checked_at: str = Field(json_schema_extra={"format": "date-time"})
    settled: bool
    counts: dict[str, int] = Field(description="Differences per kind.")
    differences: list[DifferenceOut] = Field(description="The first differences found.")


class ReportOut(StoredReportOut):
    unsettled: list[str] = Field(description="The sides that were not settled.")
    checked: dict[str, int]
    closed: bool = Field(description="Whether the period's close completed.")


class ReconcileRequest(BaseModel):
    period: str = Field(pattern=PERIOD_PATTERN, description="The month to reconcile, YYYY-MM.")


@router.get(
    "/v1/ops/reconciliation", response_model=InvoicingSideOut, responses=error_responses(401, 403, 422)
)
async def invoicing_side(period: PeriodQuery, principal: CurrentPrincipal, deps: DepsDep) -> dict[str, Any]:
    """Invoicing's side: the usage lines of letters sent in the period, and the period's invoices."""
    require_ops(principal)
    month = _period(period)
    async with deps.sessions.begin() as session:
        usage = await repo.usage_sent_in(session, month)
        invoices = await repo.invoices_of(session, month) + await repo.recovery_invoices_of(session, month)
        settled = await settledness(session, deps.settings.service_name)
    return {
        "service": "invoicing",
        "period": str(month),
        **settled,
        "usage_lines": [vars(u) for u in usage],
        "invoices": [vars(i) for i in invoices],
    }


@router.post(
    "/v1/ops/reconciliations",
    response_model=ReportOut,
    responses=error_responses(401, 403, 422, codes={409: "period_not_ended", 503: "side_unavailable"}),
)
async def reconcile_now(body: ReconcileRequest, principal: CurrentPrincipal, deps: DepsDep) -> dict[str, Any]:
    """Compare every side of an ended period now (`autoletter reconcile`); the report lists differences."""
    require_ops(principal)
    month = _period(body.period)
    if month.end > deps.clock.now():
        raise ApiError(409, "period_not_ended", f"{month.label} has not ended yet.", {"period": str(month)})
    try:
        report = await deps.reconciler.run(month)
    except SideUnavailable as exc:
        raise ApiError(503, "side_unavailable", f"Cannot reconcile now: {exc}.") from exc
    await refresh_gauge(deps)
    return {**report.as_dict(), "closed": await deps.runs.completed(month)}


@router.get(
    "/v1/ops/reconciliations/{period}",
    response_model=StoredReportOut,
    responses=error_responses(401, 403, 404, 422),
)
async def last_report(
    period: Annotated[str, Path(pattern=PERIOD_PATTERN, description="The month, YYYY-MM (UTC).")],
    principal: CurrentPrincipal,
    deps: DepsDep,
) -> dict[str, Any]:
    """The period's latest stored report (the daily run's or an on-demand one); 404 before any."""
    require_ops(principal)
    month = _period(period)
    async with deps.sessions.begin() as session:
        found = await repo.report_of(session, month)
    if found is None:
        raise ApiError(404, "not_found", f"{month.label} has not been reconciled yet.")
    return {**found, "checked_at": found["checked_at"].isoformat()}


async def refresh_gauge(deps: Deps) -> None:
    async with deps.sessions.begin() as session:
        totals = await repo.difference_counts(session)
    for kind in Kind:
        DIFFERENCES.labels(kind.value).set(totals.get(kind.value, 0))


async def due_periods(deps: Deps) -> list[Period]:
    """The two latest closed periods (late letters land on the next one) not reconciled for a day, or
    whose last report was unsettled or had differences: those are checked again at every check, so
    a difference that was only a delay (a webhook in flight) clears within one check interval."""
    now = deps.clock.now()
    every = timedelta(seconds=deps.settings.reconciliation_every_s)
    last_month = Period.containing(now).previous()
    due = []
    for period in (last_month, last_month.previous()):
        if not await deps.runs.completed(period):
            continue
        async with deps.sessions.begin() as session:
            last = await repo.report_of(session, period)
        if (
            last is None
            or now - last["checked_at"] >= every
            or not last["settled"]
            or any(last["counts"].values())
        ):
            due.append(period)
    return due


async def scheduled_reconciliation(deps: Deps) -> int:
    """Reconcile the due periods if this replica gets the daily lease; how many were reconciled."""
    periods = await due_periods(deps)
    if not periods:
        return 0
    run_id = uuid4()
    async with deps.sessions.begin() as session:
        if not await repo.take_lease(session, DAILY_JOB, run_id, LEASE_TTL):
            return 0
    try:
        for period in periods:
            await deps.reconciler.run(period)
    finally:
        async with deps.sessions.begin() as session:
            await repo.release_lease(session, DAILY_JOB, run_id)
    await refresh_gauge(deps)
    return len(periods)


async def scheduled_pass(deps: Deps) -> None:
    """The daily job's step, counted ok or failed (failing again and again alerts)."""
    try:
        if await scheduled_reconciliation(deps):
            RUNS.labels("ok").inc()
    except Exception:
        RUNS.labels("failed").inc()
        raise  # logged by the job; the next check tries again


def schedule_job(deps: Deps) -> Job:
    """The daily reconciliation, checked every `reconciliation_check_interval_s`."""
    return Job("reconciliation", partial(scheduled_pass, deps), deps.settings.reconciliation_check_interval_s)
