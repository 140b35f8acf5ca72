"""HTTP API of invoicing (DESIGN §4): prices, usage, a letter's charge, invoices, billing runs (ops)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from autoletter.contracts.common import Service
from autoletter.invoicing.domain.period import InvalidPeriod, Period
from autoletter.invoicing.entrypoints.deps import DepsDep
from autoletter.invoicing.handlers import views
from autoletter.runtime.auth import (
    AccountId,
    CurrentPrincipal,
    OpsRoute,
    Principal,
    authorize_account,
    require_ops,
)
from autoletter.runtime.http import ApiError, error_responses

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except InvalidPeriod as exc:
        raise ApiError(422, "validation_error", str(exc), {"period": str(exc)}) from exc


class BillingRunRequest(BaseModel):
    period: str = Field(pattern=PERIOD_PATTERN, description="The month to close, YYYY-MM.")


Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"}, description="ISO 8601, UTC.")]
Cents = Annotated[int, Field(ge=0)]


class ServiceUsageOut(BaseModel):
    service: Service
    letters: int
    sheets: int
    amount_cents: int
    billed_letters: int
    currency: str


class UsageOut(BaseModel):
    account_id: str
    period: str
    services: list[ServiceUsageOut]


class PriceOut(BaseModel):
    service: Service
    letter_cents: Cents
    extra_sheet_cents: Cents
    currency: str
    effective_from: Timestamp


class PricesOut(BaseModel):
    at: Timestamp
    services: list[PriceOut]


class ChargeOut(BaseModel):
    account_id: str
    letter_id: UUID
    service: Service
    sent_at: Timestamp
    sheets: int
    letter_cents: int
    extra_sheets: int
    extra_sheet_cents: int
    amount_cents: int
    currency: str
    period: str
    invoice_id: UUID | None
    invoice_state: str | None


class InvoiceOut(BaseModel):
    invoice_id: UUID
    stripe_invoice_id: str | None
    service: Service
    period: str
    state: str
    letters: int
    amount_cents: int
    currency: str
    issued_at: Timestamp | None


class RecoveryInvoiceOut(BaseModel):
    invoice_id: UUID
    stripe_invoice_id: str | None
    recovers_invoice_id: UUID
    dispute_id: str
    service: Service
    period: str
    state: str
    amount_cents: int
    currency: str


class InvoicesOut(BaseModel):
    account_id: str
    invoices: list[InvoiceOut]
    recovery_invoices: list[RecoveryInvoiceOut]


class RunStartedOut(BaseModel):
    run_id: UUID
    period: str
    status: str


class RunProgressOut(BaseModel):
    candidates: int
    done: int
    issued: int
    carried_over: int
    no_customer: int
    failed: int


class RunOut(BaseModel):
    run_id: UUID
    period: str
    status: str
    trigger: str
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    progress: RunProgressOut
    stripe_requests: int
    error: str | None


def _ops_only(principal: CurrentPrincipal) -> Principal:
    require_ops(principal)
    return principal


OpsPrincipal = Annotated[Principal, Depends(_ops_only)]

router = APIRouter(tags=["invoicing"])
#: Billing runs: the ops role is checked before the input, the body's JSON included (OpsRoute), so a
#: customer gets 403, never a 422.
ops = APIRouter(tags=["invoicing"], route_class=OpsRoute)


@router.get(
    "/v1/accounts/{account_id}/usage", response_model=UsageOut, responses=error_responses(401, 404, 422)
)
async def get_usage(
    account_id: AccountId,
    principal: CurrentPrincipal,
    deps: DepsDep,
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN, description="YYYY-MM; default: now")] = None,
) -> dict[str, Any]:
    """Letters, sheets and amount sent in a period, per service."""
    authorize_account(principal, account_id)
    month = _period(period) if period else Period.containing(deps.clock.now())
    async with deps.sessions.begin() as session:
        return await views.usage(session, account_id, month, deps.settings.currency)


@router.get("/v1/prices", response_model=PricesOut, responses=error_responses(401))
async def get_prices(principal: CurrentPrincipal, deps: DepsDep) -> dict[str, Any]:
    """The price list in force now: per service, the letter (first sheet) and each extra sheet, gross."""
    async with deps.sessions.begin() as session:
        price_list = await deps.prices.get(session)
    return views.prices(price_list, deps.clock.now())


@router.get(
    "/v1/accounts/{account_id}/letters/{letter_id}/charge",
    response_model=ChargeOut,
    responses=error_responses(401, 404, 422),
)
async def get_letter_charge(
    account_id: AccountId, letter_id: UUID, principal: CurrentPrincipal, deps: DepsDep
) -> dict[str, Any]:
    """What a sent letter costs and its billing period and invoice; 404 until invoicing has recorded it."""
    authorize_account(principal, account_id)
    async with deps.sessions.begin() as session:
        found = await views.charge(session, account_id, letter_id)
    if found is None:
        raise ApiError(404, "not_found", "No charge is recorded for this letter (yet).")
    return found


@router.get(
    "/v1/accounts/{account_id}/invoices", response_model=InvoicesOut, responses=error_responses(401, 404, 422)
)
async def get_invoices(account_id: AccountId, principal: CurrentPrincipal, deps: DepsDep) -> dict[str, Any]:
    """The account's invoices and their states, newest period first."""
    authorize_account(principal, account_id)
    async with deps.sessions.begin() as session:
        return await views.invoices(session, account_id)


@ops.post(
    "/v1/billing-runs",
    status_code=202,
    response_model=RunStartedOut,
    responses=error_responses(401, 403, 409, 422),
)
async def start_billing_run(
    principal: OpsPrincipal, body: BillingRunRequest, deps: DepsDep
) -> dict[str, Any]:
    """Close a period (ops): answers at once with the run to follow."""
    period = _period(body.period)
    if period.end > deps.clock.now():
        raise ApiError(409, "period_not_ended", f"{period.label} has not ended yet.", {"period": str(period)})
    run_id = await deps.runs.request(period, "ops", requested_by=principal.account_id)
    return {"run_id": str(run_id), "period": str(period), "status": "pending"}


@ops.get("/v1/billing-runs/{run_id}", response_model=RunOut, responses=error_responses(401, 403, 404, 422))
async def get_billing_run(principal: OpsPrincipal, run_id: UUID, deps: DepsDep) -> dict[str, Any]:
    """Progress of a close (ops)."""
    async with deps.sessions.begin() as session:
        found = await views.run(session, run_id)
    if found is None:
        raise ApiError(404, "not_found", "No such billing run.")
    return found


router.include_router(ops)
