"""The account's default payment method, as Checkout and the customer portal change it.

Only ids and display facts are kept. When a new default arrives while invoices are unpaid, Stripe is
asked to charge them with it (an invoice whose retries are exhausted is never retried on its own).
"""

from __future__ import annotations

import logging
from datetime import datetime

from autoletter.contracts import Envelope
from autoletter.contracts.payments import PaymentMethodAttached, PaymentMethodDetached
from autoletter.payments.adapters.repository import Account
from autoletter.payments.domain import status
from autoletter.payments.domain.payment_methods import PaymentMethodFacts, promotion_candidate
from autoletter.payments.handlers.common import Cause, Context, PaymentsWork, commit_facts, effect

log = logging.getLogger(__name__)


def attached_event(uow: PaymentsWork, account_id: str, pm: PaymentMethodFacts, cause: Cause) -> Envelope:
    return effect(
        uow,
        cause,
        PaymentMethodAttached,
        account_id=account_id,
        payment_method_id=pm.payment_method_id,
        type=pm.type,
        brand=pm.brand,
        last4=pm.last4,
        exp_month=pm.exp_month,
        exp_year=pm.exp_year,
    )


async def make_default(
    uow: PaymentsWork,
    ctx: Context,
    account: Account,
    pm: PaymentMethodFacts,
    *,
    when: datetime,
    tell_stripe: bool,
    cause: Cause,
    extra: tuple[Envelope, ...] = (),
) -> str:
    """The method becomes the default for invoices; unpaid invoices are charged to it."""
    await uow.repos.save_payment_method(account.account_id, pm)
    if account.default_payment_method_id == pm.payment_method_id:
        if extra:
            await commit_facts(uow, account.account_id, *await _unchanged(uow, account), cause, *extra)
        return "unchanged"
    if tell_stripe and account.stripe_customer_id:
        await ctx.gateway.set_default_payment_method(account.stripe_customer_id, pm.payment_method_id)
    before = await uow.repos.load_facts(account)
    await uow.repos.set_default_payment_method(
        account.account_id, pm.payment_method_id, changed_at=when, now=uow.now()
    )
    after, changed = status.default_payment_method_set(before, True)
    event = attached_event(uow, account.account_id, pm, cause)
    await commit_facts(uow, account.account_id, after, changed, cause, *extra, event)
    # One key per default change: re-selecting the same method later asks Stripe again (a key per
    # method would replay the first decline for a day).
    setting = str(
        cause.event_id if isinstance(cause, Envelope) else cause or f"{pm.payment_method_id}@{when}"
    )
    for invoice in await uow.repos.unpaid_invoices(account.account_id):
        await ctx.gateway.pay_invoice(invoice.stripe_invoice_id, pm.payment_method_id, str(setting))
    return "default_set"


async def _unchanged(
    uow: PaymentsWork, account: Account
) -> tuple[status.AccountFacts, list[status.StatusChange]]:
    return await uow.repos.load_facts(account), []


async def no_default_left(
    uow: PaymentsWork,
    account: Account,
    *,
    when: datetime,
    cause: Cause,
    extra: tuple[Envelope, ...] = (),
) -> str:
    before = await uow.repos.load_facts(account)
    await uow.repos.set_default_payment_method(account.account_id, None, changed_at=when, now=uow.now())
    after, changed = status.default_payment_method_set(before, False)
    await commit_facts(uow, account.account_id, after, changed, cause, *extra)
    return "no_default"


async def replace_lost_default(
    uow: PaymentsWork,
    ctx: Context,
    account: Account,
    *,
    gone: str | None,
    when: datetime,
    cause: Cause,
    extra: tuple[Envelope, ...] = (),
) -> str:
    """The default went away: promote the most recently attached of the others (telling Stripe), or the
    account has no payment method any more."""
    remaining = [
        m for m in await uow.repos.attached_payment_methods(account.account_id) if m.payment_method_id != gone
    ]
    current = next((m for m in remaining if m.payment_method_id == account.default_payment_method_id), None)
    if current is not None:
        # We promoted it already and Stripe cleared its default afterwards: say it again (idempotent).
        if account.stripe_customer_id:
            await ctx.gateway.set_default_payment_method(
                account.stripe_customer_id, current.payment_method_id
            )
        await commit_facts(uow, account.account_id, *await _unchanged(uow, account), cause, *extra)
        return "unchanged"
    candidate = promotion_candidate(remaining)
    if candidate is None:
        return await no_default_left(uow, account, when=when, cause=cause, extra=extra)
    return await make_default(
        uow, ctx, account, candidate, when=when, tell_stripe=True, cause=cause, extra=extra
    )


async def detached(
    uow: PaymentsWork,
    ctx: Context,
    account: Account,
    pm: PaymentMethodFacts,
    *,
    when: datetime,
    cause: Cause,
) -> str:
    """A method left the customer. An unknown one is remembered as detached, so a late
    payment_method.attached cannot bring it back."""
    pm_id = pm.payment_method_id
    if not await uow.repos.mark_detached(account.account_id, pm_id, when):
        if await uow.repos.payment_method(account.account_id, pm_id) is not None:
            return "unchanged"
        await uow.repos.save_payment_method(account.account_id, pm)
        await uow.repos.mark_detached(account.account_id, pm_id, when)
    event = effect(uow, cause, PaymentMethodDetached, account_id=account.account_id, payment_method_id=pm_id)
    if account.default_payment_method_id != pm_id:
        await commit_facts(uow, account.account_id, *await _unchanged(uow, account), cause, event)
        return "detached"
    return await replace_lost_default(uow, ctx, account, gone=pm_id, when=when, cause=cause, extra=(event,))
