"""Ops (ops role only): one account across the services, closing a period, the services' health numbers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from autoletter.console import metrics
from autoletter.console.apis import Apis
from autoletter.console.upstream import Problem
from autoletter.console.web import ApisDep, OpsSessionDep, Session, attempt, render

router = APIRouter()

SERVICES = ("profile", "payments", "letters", "invoicing")


def _last_month() -> str:
    """A suggestion only: invoicing decides with its own clock whether a period has ended."""
    first = datetime.now(UTC).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


async def _highlights(apis: Apis, service: str) -> tuple[str, metrics.Highlights | None, Problem | None]:
    try:
        text = await apis.metrics(service)
    except Problem as problem:
        return service, None, problem
    try:
        return service, metrics.highlights(text, service), None
    except ValueError:
        return service, None, Problem(service, 502, "bad_metrics", f"The {service} metrics cannot be read.")


async def _page(
    request: Request,
    session: Session,
    apis: Apis,
    *,
    account: str | None,
    period: str | None,
    close_period: str | None = None,
    problem: Problem | None = None,
    status_code: int = 200,
) -> Response:
    lookups: list[tuple[dict[str, Any] | None, Problem | None]] = []
    if account:
        lookups = list(
            await asyncio.gather(
                attempt(apis.usage(account, period or None)),
                attempt(apis.billing(account)),
                attempt(apis.letters(account, status="held")),
            )
        )
    (usage, usage_problem), (billing, billing_problem), (held, held_problem) = lookups or [(None, None)] * 3
    health = await asyncio.gather(*(_highlights(apis, s) for s in SERVICES))
    return render(
        request,
        "ops.html",
        session,
        status_code=status_code,
        active="ops",
        account=account or "",
        period=period or "",
        close_period=close_period or _last_month(),
        usage=usage,
        billing=billing,
        held=(held or {}).get("items"),
        health=health,
        problems=[problem, usage_problem, billing_problem, held_problem],
    )


@router.get("/ops", name="ops")
async def ops_page(
    request: Request,
    session: OpsSessionDep,
    apis: ApisDep,
    account: str | None = None,
    period: str | None = None,
) -> Response:
    return await _page(request, session, apis, account=(account or "").strip(), period=period)


@router.post("/ops/billing-runs")
async def close_period(
    request: Request, session: OpsSessionDep, apis: ApisDep, period: Annotated[str, Form()]
) -> Response:
    try:
        run = await apis.start_billing_run(period.strip())
    except Problem as problem:
        return await _page(
            request,
            session,
            apis,
            account=None,
            period=None,
            close_period=period,
            problem=problem,
            status_code=problem.status or 503,
        )
    return RedirectResponse(f"/ops/billing-runs/{run['run_id']}", status_code=303)


@router.get("/ops/billing-runs/{run_id}", name="billing_run")
async def billing_run(request: Request, session: OpsSessionDep, apis: ApisDep, run_id: str) -> Response:
    run, problem = await attempt(apis.billing_run(run_id))
    return render(
        request,
        "ops_run.html",
        session,
        status_code=(problem.status or 503) if problem else 200,
        active="ops",
        run=run,
        run_id=run_id,
        problems=[problem],
    )
