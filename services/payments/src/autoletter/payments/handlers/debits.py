"""Bank debits (SEPA) and disputes: a debit processing for days, a dispute opened or lost, and the
recovery invoice of a lost dispute, which waits for a payment method made default after the dispute.

PaymentIntents, charges and disputes name no invoice with the pinned API: Invoice Payments map them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from autoletter.contracts.payments import DisputeStatus, PaymentDisputed, StatusReason
from autoletter.payments.adapters import stripe_events as se
from autoletter.payments.adapters.repository import Account
from autoletter.payments.domain.invoices import InvoiceRecord, InvoiceState, apply_dispute
from autoletter.payments.handlers.common import Cause, Context, PaymentsWork, commit_facts, effect
from autoletter.payments.handlers.invoices import on_invoice_event, recount

log = logging.getLogger(__name__)


async def on_payment_processing(
    uow: PaymentsWork, ctx: Context, account: Account, intent_ref: dict[str, Any], cause: Cause
) -> str:
    """A debit was submitted: the invoice is processing (its status changes nothing)."""
    intent = await ctx.gateway.payment_intent(str(intent_ref["id"]))
    if intent.get("status") != "processing":
        return "stale"  # it has settled since; its outcome is (or will be) an invoice event
    invoice = await ctx.gateway.invoice_of_payment_intent(str(intent["id"]))
    if invoice is None:
        return "ignored_not_ours"
    await _remember_mandate(uow, ctx, account, intent)
    return await on_invoice_event(uow, ctx, account, se.PI_PROCESSING, invoice, cause)


async def _remember_mandate(
    uow: PaymentsWork, ctx: Context, account: Account, intent: dict[str, Any]
) -> None:
    """The charge names the mandate a debit was collected under (a method added in the portal has no
    SetupIntent of ours to name it)."""
    charge_id = se.ref_id(intent.get("latest_charge"))
    if charge_id is None:
        return
    charge = await ctx.gateway.charge(charge_id)
    mandate, pm_id = se.sepa_mandate(charge), se.ref_id(charge.get("payment_method"))
    if mandate and pm_id:
        await uow.repos.set_mandate(account.account_id, pm_id, mandate)


async def customer_of_dispute(ctx: Context, dispute: dict[str, Any]) -> str | None:
    """A dispute names its charge, not the customer: the charge does."""
    charge_id = se.ref_id(dispute.get("charge"))
    if charge_id is None:
        return None
    return se.ref_id((await ctx.gateway.charge(charge_id)).get("customer"))


async def on_dispute(
    uow: PaymentsWork,
    ctx: Context,
    account: Account,
    dispute: dict[str, Any],
    when: datetime,
    cause: Cause,
) -> str:
    """Opened: told, nothing changes. Lost: the invoice is disputed and counts as failed for good
    (overdue, reason payment_disputed) until its recovery invoice is paid. Won: paid again."""
    dispute_status = se.dispute_status(dispute)
    if dispute_status is None:
        return "ignored_dispute_status"
    intent_id = se.ref_id(dispute.get("payment_intent"))
    if intent_id is None:
        charge_id = se.ref_id(dispute.get("charge"))
        intent_id = (
            se.ref_id((await ctx.gateway.charge(charge_id)).get("payment_intent")) if charge_id else None
        )
    invoice = await ctx.gateway.invoice_of_payment_intent(intent_id) if intent_id else None
    ref = se.invoice_ref(invoice) if invoice else None
    if invoice is None or ref is None or ref.account_id != account.account_id:
        return "ignored_not_ours"
    current = await uow.repos.invoice(str(invoice["id"]))
    if current is None:
        return "ignored_unknown_invoice"
    record = apply_dispute(current, str(dispute["id"]), dispute_status, when)
    if record is None:
        return "stale"
    before = await uow.repos.load_facts(account)
    await uow.repos.save_invoice(record, uow.now())
    lost = dispute_status is DisputeStatus.LOST
    after, changed = await recount(
        uow, account, before, ref.service, StatusReason.PAYMENT_DISPUTED if lost else None
    )
    event = effect(
        uow,
        cause,
        PaymentDisputed,
        account_id=account.account_id,
        invoice_id=ref.invoice_id,
        stripe_invoice_id=record.stripe_invoice_id,
        dispute_id=str(dispute["id"]),
        service=ref.service,
        period=ref.period,
        amount_cents=int(dispute.get("amount") or 0),
        currency=str(dispute.get("currency") or record.currency).lower(),
        dispute_status=dispute_status,
    )
    await commit_facts(uow, account.account_id, after, changed, cause, event)
    return f"dispute_{dispute_status.value}"


async def on_invoice_finalized(
    uow: PaymentsWork, ctx: Context, account: Account, invoice: dict[str, Any], event_id: str
) -> str:
    """A recovery invoice exists: remember it as owed; charge it only to a method made default after
    the dispute (the one that was charged back is not asked again)."""
    recovers = se.recovers_invoice_id(invoice)
    ref = se.invoice_ref(invoice)
    if recovers is None or ref is None or ref.account_id != account.account_id:
        return "ignored_not_recovery"
    if await uow.repos.invoice(str(invoice["id"])) is not None:
        return "unchanged"
    disputed = await uow.repos.invoice_by_our_id(account.account_id, recovers)
    record = InvoiceRecord(
        ref=ref,
        stripe_invoice_id=str(invoice["id"]),
        state=InvoiceState.OPEN,
        amount_cents=int(invoice.get("amount_remaining") or invoice.get("amount_due") or 0),
        currency=str(invoice.get("currency") or "eur").lower(),
        attempt_count=int(invoice.get("attempt_count") or 0),
        next_attempt_at=None,
        hosted_invoice_url=invoice.get("hosted_invoice_url"),
        invoice_pdf=invoice.get("invoice_pdf"),
        failure_code=None,
        recovers_invoice_id=recovers,
    )
    await uow.repos.save_invoice(record, uow.now())
    method = account.default_payment_method_id
    if method is None or not new_method_since_dispute(account, disputed):
        return "recovery_waiting_for_new_method"
    await ctx.gateway.pay_invoice(record.stripe_invoice_id, method, event_id)
    return "recovery_charged"


def new_method_since_dispute(account: Account, disputed: InvoiceRecord | None) -> bool:
    """Was the account's default made after the dispute was lost? Only then is the recovery charged."""
    if account.default_payment_method_id is None or account.default_changed_at is None:
        return False
    lost_at = disputed.disputed_at if disputed is not None else None
    return lost_at is not None and account.default_changed_at > lost_at
