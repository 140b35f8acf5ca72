"""Hosted pages (Checkout in setup mode, customer portal) and the billing overview.

Stripe is called outside any database transaction here: the account is read first, then the page is
created with an idempotency key from the caller's request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autoletter.contracts.common import Service
from autoletter.payments.adapters.repository import Payments
from autoletter.payments.adapters.stripe_gateway import HostedPage
from autoletter.payments.domain.invoices import InvoiceState
from autoletter.payments.domain.status import ALL_PROFILE_FIELDS
from autoletter.payments.handlers import debits
from autoletter.payments.handlers.common import Context


class ProfileIncomplete(Exception):
    """A hosted page needs a complete profile (and so a Stripe customer)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("profile incomplete: " + ", ".join(missing))
        self.missing = missing


@dataclass(frozen=True)
class CheckoutRequest:
    account_id: str
    payment_method_types: list[str]
    success_url: str
    cancel_url: str
    idempotency_key: str


async def customer(repos: Payments, account_id: str) -> str:
    """The account's Stripe customer; ProfileIncomplete (naming what is missing) until there is one."""
    account = await repos.get_account(account_id)
    if account is None or not account.profile_complete or account.stripe_customer_id is None:
        missing = list(account.missing) if account and account.missing else list(ALL_PROFILE_FIELDS)
        raise ProfileIncomplete([m.value for m in missing])
    return account.stripe_customer_id


async def start_checkout(ctx: Context, customer_id: str, req: CheckoutRequest) -> HostedPage:
    """A hosted setup page (Checkout, setup mode) for the account's Stripe customer (see `customer`)."""
    return await ctx.gateway.create_setup_checkout(
        account_id=req.account_id,
        customer_id=customer_id,
        payment_method_types=req.payment_method_types,
        success_url=req.success_url,
        cancel_url=req.cancel_url,
        key=f"checkout:{req.account_id}:{req.idempotency_key}",
    )


async def open_portal(ctx: Context, account_id: str, customer_id: str, return_url: str, key: str) -> str:
    return await ctx.gateway.create_portal_session(
        customer_id=customer_id, return_url=return_url, key=f"portal:{account_id}:{key}"
    )


async def overview(repos: Payments, account_id: str) -> dict[str, Any]:
    """Completeness, the default method's display facts, both services, what is still owed, receipts."""
    account = await repos.get_account(account_id)
    complete = bool(account and account.profile_complete)
    missing = [] if complete else [m.value for m in (account.missing if account else ALL_PROFILE_FIELDS)]
    method = None
    if account and account.default_payment_method_id:
        found = await repos.payment_method(account_id, account.default_payment_method_id)
        if found is not None:
            pm = found.facts
            method = {
                "payment_method_id": pm.payment_method_id,
                "type": pm.type,
                "brand": pm.brand,
                "last4": pm.last4,
                "exp_month": pm.exp_month,
                "exp_year": pm.exp_year,
            }
            if pm.type == "sepa_debit":  # what we keep of a debit: never the IBAN
                method.update(bank_code=pm.bank_code, country=pm.country, mandate_id=pm.mandate_id)
    rows = await repos.service_states(account_id)
    services = []
    for service in Service:
        row = rows.get(service)
        services.append(
            {
                "service": service.value,
                "status": row.status.value if row else "inactive",
                "activated": bool(row and row.activated),
                "since": row.since.isoformat() if row and row.since else None,
                "reason": row.reason if row else None,
            }
        )
    owed = await repos.outstanding_invoices(account_id) if account else []
    outstanding = [
        {
            "invoice_id": str(i.ref.invoice_id),
            "stripe_invoice_id": i.stripe_invoice_id,
            "service": i.ref.service.value,
            "period": i.ref.period,
            "amount_cents": i.amount_cents,
            "currency": i.currency,
            "state": i.state.value,
            "failed_for_good": i.unpaid_final,
            "failure_code": i.failure_code,
            "next_attempt_at": i.next_attempt_at.isoformat() if i.next_attempt_at else None,
            "hosted_invoice_url": i.hosted_invoice_url,
            "invoice_pdf": i.invoice_pdf,
            "dispute_id": i.dispute_id,
            "dispute_status": i.dispute_status.value if i.dispute_status else None,
            "recovers_invoice_id": str(i.recovers_invoice_id) if i.recovers_invoice_id else None,
        }
        for i in owed
    ]
    # A lost dispute is recovered only from a method made default after it: until then, ask for one.
    needed = account is not None and any(
        i.state is InvoiceState.DISPUTED and not debits.new_method_since_dispute(account, i) for i in owed
    )
    return {
        "account_id": account_id,
        "profile": {"complete": complete, "missing": missing},
        "payment_method": method,
        "services": services,
        "outstanding_invoices": outstanding,
        "new_payment_method_needed": needed,
        # Receipts: paid invoices with Stripe's hosted page and PDF, newest period first.
        "paid_invoices": [
            {
                "invoice_id": str(i.ref.invoice_id),
                "stripe_invoice_id": i.stripe_invoice_id,
                "service": i.ref.service.value,
                "period": i.ref.period,
                "amount_cents": i.amount_cents,
                "currency": i.currency,
                "paid_at": i.paid_at.isoformat() if i.paid_at else None,
                "hosted_invoice_url": i.hosted_invoice_url,
                "invoice_pdf": i.invoice_pdf,
                "recovers_invoice_id": str(i.recovers_invoice_id) if i.recovers_invoice_id else None,
            }
            for i in (await repos.paid_invoices(account_id) if account else [])
        ],
        # Disputes opened on paid invoices: nothing changes until they close, but the customer is told.
        "open_disputes": [
            {
                "invoice_id": str(i.ref.invoice_id),
                "stripe_invoice_id": i.stripe_invoice_id,
                "service": i.ref.service.value,
                "period": i.ref.period,
                "amount_cents": i.amount_cents,
                "currency": i.currency,
                "dispute_id": i.dispute_id,
            }
            for i in (await repos.opened_disputes(account_id) if account else [])
        ],
    }
