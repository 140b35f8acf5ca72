"""The account routes of DESIGN §4. They translate; the handlers decide."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field

from autoletter.contracts.common import Service
from autoletter.payments.domain.redirects import RedirectNotAllowed, check_redirect
from autoletter.payments.domain.status import PrerequisitesMissing
from autoletter.payments.entrypoints.billing_overview import BillingOverview
from autoletter.payments.entrypoints.deps import DepsDep
from autoletter.payments.handlers import billing
from autoletter.payments.handlers import services as service_switches
from autoletter.runtime.auth import AccountId, CurrentPrincipal, authorize_account
from autoletter.runtime.http import ApiError, error_responses

router = APIRouter(prefix="/v1/accounts/{account_id}", tags=["billing"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


class CheckoutBody(BaseModel):
    success_url: str | None = Field(
        default=None, max_length=2000, description="Where Stripe returns after success."
    )
    cancel_url: str | None = Field(
        default=None, max_length=2000, description="Where Stripe returns on cancel."
    )


class PortalBody(BaseModel):
    return_url: str | None = Field(default=None, max_length=2000, description="Where the portal returns to.")


class HostedPageOut(BaseModel):
    url: str
    session_id: str


class PortalOut(BaseModel):
    url: str


class ServiceOut(BaseModel):
    service: Service
    status: str


def _redirect(field: str, url: str | None, default: str, allowed: list[str]) -> str:
    try:
        return check_redirect(url or default, allowed)
    except RedirectNotAllowed as exc:
        raise ApiError(422, "validation_error", f"{field}: {exc}", {field: str(exc)}) from exc


def _incomplete(exc: billing.ProfileIncomplete) -> ApiError:
    return ApiError(
        409,
        "profile_incomplete",
        "Complete your profile first; missing: " + ", ".join(exc.missing) + ".",
        {"missing": exc.missing},
    )


@router.post(
    "/payment-method/checkout",
    response_model=HostedPageOut,
    responses=error_responses(401, 404, 422, codes={409: "profile_incomplete"}),
)
async def start_checkout(
    account_id: AccountId,
    deps: DepsDep,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
    body: CheckoutBody | None = None,
) -> dict[str, Any]:
    """A Stripe-hosted page (Checkout, setup mode) to add a payment method; nothing is charged."""
    authorize_account(principal, account_id)
    s = deps.settings
    body = body or CheckoutBody()
    req = billing.CheckoutRequest(
        account_id=account_id,
        payment_method_types=list(s.checkout_payment_method_types),
        success_url=_redirect(
            "success_url", body.success_url, s.checkout_success_url, s.redirect_allowed_hosts
        ),
        cancel_url=_redirect("cancel_url", body.cancel_url, s.checkout_cancel_url, s.redirect_allowed_hosts),
        idempotency_key=idempotency_key or uuid.uuid4().hex,
    )
    try:
        async with deps.units.read() as repos:  # read first: Stripe is called outside any transaction
            customer_id = await billing.customer(repos, account_id)
    except billing.ProfileIncomplete as exc:
        raise _incomplete(exc) from exc
    page = await billing.start_checkout(deps.ctx, customer_id, req)
    return {"url": page.url, "session_id": page.session_id}


@router.post(
    "/billing-portal",
    response_model=PortalOut,
    responses=error_responses(401, 404, 422, codes={409: "profile_incomplete"}),
)
async def open_portal(
    account_id: AccountId,
    deps: DepsDep,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
    body: PortalBody | None = None,
) -> dict[str, Any]:
    """The Stripe customer portal, where the customer changes or removes payment methods."""
    authorize_account(principal, account_id)
    s = deps.settings
    return_url = _redirect(
        "return_url", (body or PortalBody()).return_url, s.portal_return_url, s.redirect_allowed_hosts
    )
    try:
        async with deps.units.read() as repos:  # read first: Stripe is called outside any transaction
            customer_id = await billing.customer(repos, account_id)
    except billing.ProfileIncomplete as exc:
        raise _incomplete(exc) from exc
    url = await billing.open_portal(
        deps.ctx, account_id, customer_id, return_url, idempotency_key or uuid.uuid4().hex
    )
    return {"url": url}


@router.get("/billing", response_model=BillingOverview, responses=error_responses(401, 404))
async def billing_overview(account_id: str, deps: DepsDep, principal: CurrentPrincipal) -> BillingOverview:
    """Completeness, payment method, both services, outstanding and paid invoices, open disputes."""
    authorize_account(principal, account_id)
    async with deps.units.read() as repos:
        return BillingOverview.model_validate(await billing.overview(repos, account_id))


@router.post(
    "/services/{service}/activate",
    response_model=ServiceOut,
    responses=error_responses(401, 404, 422, codes={409: "prerequisites_missing"}),
)
async def activate(
    account_id: AccountId, service: Service, deps: DepsDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Switch a service on; 409 naming the missing prerequisites."""
    authorize_account(principal, account_id)
    try:
        async with deps.units.begin() as uow:  # committed before the answer goes out
            status = await service_switches.activate(uow, account_id, service)
    except PrerequisitesMissing as exc:
        raise ApiError(
            409,
            "prerequisites_missing",
            f"The {service.value} service needs first: " + ", ".join(exc.missing) + ".",
            {"missing": exc.missing},
        ) from exc
    return {"service": service, "status": status.value}


@router.post(
    "/services/{service}/deactivate", response_model=ServiceOut, responses=error_responses(401, 404, 422)
)
async def deactivate(
    account_id: AccountId, service: Service, deps: DepsDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Switch a service off; unpaid invoices remain owed."""
    authorize_account(principal, account_id)
    async with deps.units.begin() as uow:  # committed before the answer goes out
        status = await service_switches.deactivate(uow, account_id, service)
    return {"service": service, "status": status.value}
