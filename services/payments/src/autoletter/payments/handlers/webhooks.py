"""Processing one stored Stripe event: match it to an account, then apply it. Returns the outcome."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from autoletter.payments.adapters import stripe_events as se
from autoletter.payments.adapters.event_store import StoredEvent
from autoletter.payments.adapters.repository import Account
from autoletter.payments.handlers import debits
from autoletter.payments.handlers import payment_methods as pms
from autoletter.payments.handlers.common import Context, PaymentsWork, stripe_correlation
from autoletter.payments.handlers.invoices import on_invoice_event

Apply = Callable[[PaymentsWork, Context, Account, StoredEvent], Awaitable[str]]


async def process(uow: PaymentsWork, ctx: Context, event: StoredEvent) -> str:
    """Apply a stored event in the caller's transaction; objects of customers we do not know are ignored."""
    apply = _HANDLERS.get(event.type)
    if apply is None:
        return "ignored_type"
    customer = event.customer_key
    if event.type in se.DISPUTE_EVENTS:  # a dispute names its charge, not the customer
        customer = await debits.customer_of_dispute(ctx, _object(event)) or customer
    account_id = await uow.repos.account_of_customer(customer)
    if account_id is None:
        return "ignored_unknown_customer"
    account = await uow.repos.lock_account(account_id)
    return await apply(uow, ctx, account, event)


def _object(event: StoredEvent) -> dict[str, Any]:
    obj: dict[str, Any] = event.payload["data"]["object"]
    return obj


def _when(event: StoredEvent) -> datetime:
    return event.stripe_created


def _older_than_default(account: Account, event: StoredEvent) -> bool:
    """A late event must not undo a newer choice of default (e.g. one made in the portal since)."""
    return account.default_changed_at is not None and event.stripe_created < account.default_changed_at


async def _make_default_from(
    uow: PaymentsWork, ctx: Context, account: Account, pm: Any, event: StoredEvent
) -> str:
    """Make the method the default for invoices, here and in Stripe (Checkout never sets Stripe's default)."""
    return await pms.make_default(
        uow,
        ctx,
        account,
        pm,
        when=_when(event),
        tell_stripe=True,
        cause=stripe_correlation(event.event_id),
    )


async def _checkout_completed(uow: PaymentsWork, ctx: Context, account: Account, event: StoredEvent) -> str:
    if _older_than_default(account, event):
        return "stale"
    session_obj = _object(event)
    if session_obj.get("mode") != "setup":
        return "ignored_not_setup"
    pm = await ctx.gateway.checkout_payment_method(str(session_obj["id"]))
    if pm is None:
        return "ignored_no_payment_method"
    return await _make_default_from(uow, ctx, account, pm, event)


async def _setup_succeeded(uow: PaymentsWork, ctx: Context, account: Account, event: StoredEvent) -> str:
    if _older_than_default(account, event):
        return "stale"
    ref = _object(event).get("payment_method")
    pm_id = ref.get("id") if isinstance(ref, dict) else ref
    if not isinstance(pm_id, str):
        return "ignored_no_payment_method"
    known = await uow.repos.payment_method(account.account_id, pm_id)
    if known is not None and known.detached:
        return "ignored_detached"
    pm = known.facts if known is not None else await ctx.gateway.payment_method(pm_id)
    mandate = se.ref_id(_object(event).get("mandate"))  # a debit's mandate is named here, not on the method
    if mandate is not None:
        pm = replace(pm, mandate_id=mandate)
    return await _make_default_from(uow, ctx, account, pm, event)


async def _pm_attached(uow: PaymentsWork, ctx: Context, account: Account, event: StoredEvent) -> str:
    pm = se.payment_method_facts(_object(event))
    await uow.repos.save_payment_method(account.account_id, pm)
    known = await uow.repos.payment_method(account.account_id, pm.payment_method_id)
    if known is not None and known.detached:
        return "ignored_detached"
    if account.default_payment_method_id is not None:
        return "recorded"
    # A method added while the account has none becomes its default.
    return await _make_default_from(uow, ctx, account, pm, event)


async def _customer_updated(uow: PaymentsWork, ctx: Context, account: Account, event: StoredEvent) -> str:
    if not se.default_changed(event.payload):
        return "ignored_no_default_change"
    if _older_than_default(account, event):
        return "stale"
    cause = stripe_correlation(event.event_id)
    new_default = se.default_payment_method(_object(event))
    if new_default is None:
        previous = (event.payload["data"].get("previous_attributes") or {}).get("invoice_settings") or {}
        gone = previous.get("default_payment_method")
        return await pms.replace_lost_default(
            uow,
            ctx,
            account,
            gone=gone if isinstance(gone, str) else None,
            when=_when(event),
            cause=cause,
        )
    known = await uow.repos.payment_method(account.account_id, new_default)
    if known is not None and known.detached:
        return "ignored_detached"
    pm = known.facts if known is not None else await ctx.gateway.payment_method(new_default)
    return await pms.make_default(uow, ctx, account, pm, when=_when(event), tell_stripe=False, cause=cause)


async def _pm_detached(uow: PaymentsWork, ctx: Context, account: Account, event: StoredEvent) -> str:
    pm = se.payment_method_facts(_object(event))
    return await pms.detached(
        uow, ctx, account, pm, when=_when(event), cause=stripe_correlation(event.event_id)
    )


async def _invoice(uow: PaymentsWork, ctx: Context, account: Account, event: StoredEvent) -> str:
    return await on_invoice_event(
        uow, ctx, account, event.type, _object(event), stripe_correlation(event.event_id)
    )


async def _processing(uow: PaymentsWork, ctx: Context, account: Account, event: StoredEvent) -> str:
    return await debits.on_payment_processing(
        uow, ctx, account, _object(event), stripe_correlation(event.event_id)
    )


async def _dispute(uow: PaymentsWork, ctx: Context, account: Account, event: StoredEvent) -> str:
    return await debits.on_dispute(
        uow, ctx, account, _object(event), _when(event), stripe_correlation(event.event_id)
    )


async def _finalized(uow: PaymentsWork, ctx: Context, account: Account, event: StoredEvent) -> str:
    return await debits.on_invoice_finalized(uow, ctx, account, _object(event), event.event_id)


_HANDLERS: dict[str, Apply] = {
    se.CHECKOUT_COMPLETED: _checkout_completed,
    se.SETUP_SUCCEEDED: _setup_succeeded,
    se.PM_ATTACHED: _pm_attached,
    se.CUSTOMER_UPDATED: _customer_updated,
    se.PM_DETACHED: _pm_detached,
    **{t: _invoice for t in se.INVOICE_OUTCOMES},
    se.PI_PROCESSING: _processing,
    se.INVOICE_FINALIZED: _finalized,
    **{t: _dispute for t in se.DISPUTE_EVENTS},
}
