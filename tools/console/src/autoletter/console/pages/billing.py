"""Billing: payment method, both services with their switch, prices, this month's usage, what is owed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import JSONResponse, Response

from autoletter.console.apis import Apis
from autoletter.console.upstream import Problem
from autoletter.console.web import ApisDep, Session, SessionDep, attempt, public_url, render

router = APIRouter()

#: Notices after a redirect: the query names one; the template holds the words.
NOTICES = ("setup_success", "setup_cancelled", "activated", "deactivated", "method_confirmed")
SERVICES = ("standard", "registered")
#: How long the page waits for Stripe's confirmation after Checkout before it says it still waits.
CONFIRMATION_WAIT_S = 30


def this_period() -> str:
    """Billing periods are UTC months (DESIGN §1)."""
    return datetime.now(UTC).strftime("%Y-%m")


def payment_trouble(overview: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Outstanding invoices whose payment failed (retrying or for good): what the banner is about."""
    invoices = (overview or {}).get("outstanding_invoices") or []
    # A debit still processing is awaited, and a lost dispute has its own words: neither "failed".
    return [
        i
        for i in invoices
        if i.get("state") not in ("processing", "disputed")
        and (i.get("failed_for_good") or i.get("failure_code"))
    ]


async def _page(
    request: Request,
    session: Session,
    apis: Apis,
    *,
    problem: Problem | None = None,
    notice: str | None = None,
) -> Response:
    account = session.account_id
    (
        (overview, billing_problem),
        (invoices, invoices_problem),
        (prices, _prices_problem),
        (usage, _usage_problem),
    ) = await asyncio.gather(
        attempt(apis.billing(account)),
        attempt(apis.invoices(account)),
        attempt(apis.prices()),
        attempt(apis.usage(account, this_period())),
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
        trouble=payment_trouble(overview),
        invoices=(invoices or {}).get("invoices"),
        links=stripe_links(overview),
        prices=(prices or {}).get("services"),
        usage=usage,
        # One banner per kind of trouble: invoicing's refusals repeat the page's own, so keep the first.
        problems=_distinct([problem, billing_problem, invoices_problem]),
        notice=notice if notice in NOTICES else None,
        wait_s=CONFIRMATION_WAIT_S,
    )


def stripe_links(overview: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Stripe's hosted page and PDF per Stripe invoice id, as payments knows them, for invoicing's list."""
    invoices = [
        *((overview or {}).get("outstanding_invoices") or []),
        *((overview or {}).get("paid_invoices") or []),
    ]
    return {str(i["stripe_invoice_id"]): i for i in invoices if i.get("stripe_invoice_id")}


def _distinct(problems: list[Problem | None]) -> list[Problem]:
    seen: set[str] = set()
    kept = []
    for p in problems:
        if p is not None and p.error not in seen:
            seen.add(p.error)
            kept.append(p)
    return kept


@router.get("/billing", name="billing")
async def billing_page(
    request: Request, session: SessionDep, apis: ApisDep, setup: str | None = None, notice: str | None = None
) -> Response:
    if setup in ("success", "cancelled"):
        notice = f"setup_{setup}"
    return await _page(request, session, apis, notice=notice)


@router.get("/billing/payment-method/status")
async def payment_method_status(session: SessionDep, apis: ApisDep) -> Response:
    """For the page's wait after Checkout: has payments heard from Stripe yet?"""
    overview, problem = await attempt(apis.billing(session.account_id))
    confirmed = bool(overview and overview.get("payment_method"))
    return JSONResponse({"confirmed": confirmed, "answering": problem is None})


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


@router.get("/billing/services/{service}/deactivate", name="confirm_deactivation")
async def confirm_deactivation(
    request: Request, session: SessionDep, service: Literal["standard", "registered"]
) -> Response:
    """Switching off is asked on its own page: a double click on Activate never turns a service off."""
    return render(request, "deactivate.html", session, active="billing", service=service)


@router.post("/billing/services/{service}/{action}")
async def switch_service(
    request: Request,
    session: SessionDep,
    apis: ApisDep,
    service: Literal["standard", "registered"],
    action: Literal["activate", "deactivate"],
) -> Response:
    try:
        await apis.switch_service(session.account_id, service, action)
    except Problem as problem:
        return await _page(request, session, apis, problem=problem)
    return RedirectResponse(f"/billing?notice={action}d#service-{service}", status_code=303)
