"""Billing: payment method, both services with their switch, what is owed, invoices."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from autoletter.console.apis import Apis
from autoletter.console.upstream import Problem
from autoletter.console.web import ApisDep, Session, SessionDep, attempt, public_url, render

router = APIRouter()

#: Notices after a redirect: the query names one, the text is ours (nothing from the URL is shown).
NOTICES = {
    "setup_success": "Thank you: your payment method is added; it shows here once Stripe confirms it.",
    "setup_cancelled": "Adding a payment method was cancelled; nothing was changed.",
    "activated": "The service is switched on.",
    "deactivated": "The service is switched off.",
}


async def _page(
    request: Request,
    session: Session,
    apis: Apis,
    *,
    problem: Problem | None = None,
    notice: str | None = None,
) -> Response:
    (overview, billing_problem), (invoices, invoices_problem) = await asyncio.gather(
        attempt(apis.billing(session.account_id)), attempt(apis.invoices(session.account_id))
    )
    down = overview is None and billing_problem is not None and billing_problem.is_down
    status_code = (problem.status or 503) if problem else 503 if down else 200
    return render(
        request,
        "billing.html",
        session,
        status_code=status_code,
        active="billing",
        overview=overview,
        invoices=(invoices or {}).get("invoices"),
        problems=[problem, billing_problem, invoices_problem],
        notice=NOTICES.get(notice or ""),
    )


@router.get("/billing", name="billing")
async def billing_page(
    request: Request, session: SessionDep, apis: ApisDep, setup: str | None = None, notice: str | None = None
) -> Response:
    if setup in ("success", "cancelled"):
        notice = f"setup_{setup}"
    return await _page(request, session, apis, notice=notice)


@router.post("/billing/payment-method")
async def add_payment_method(request: Request, session: SessionDep, apis: ApisDep) -> Response:
    """To Stripe's hosted page; Stripe brings the person back to Billing."""
    try:
        page = await apis.checkout(
            session.account_id,
            success_url=public_url(request, "/billing?setup=success"),
            cancel_url=public_url(request, "/billing?setup=cancelled"),
        )
    except Problem as problem:
        return await _page(request, session, apis, problem=problem)
    return RedirectResponse(page["url"], status_code=303)


@router.post("/billing/portal")
async def manage_in_stripe(request: Request, session: SessionDep, apis: ApisDep) -> Response:
    try:
        page = await apis.portal(session.account_id, return_url=public_url(request, "/billing"))
    except Problem as problem:
        return await _page(request, session, apis, problem=problem)
    return RedirectResponse(page["url"], status_code=303)


@router.post("/billing/services/{service}/{action}")
async def switch_service(
    request: Request,
    session: SessionDep,
    apis: ApisDep,
    service: str,
    action: Literal["activate", "deactivate"],
) -> Response:
    try:
        await apis.switch_service(session.account_id, service, action)
    except Problem as problem:
        return await _page(request, session, apis, problem=problem)
    return RedirectResponse(f"/billing?notice={action}d", status_code=303)
