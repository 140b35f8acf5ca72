"""Invoice outcomes from Stripe: our record moves forward only, and the service's status follows."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any
from uuid import UUID

from autoletter.contracts import Envelope
from autoletter.contracts.common import Service
from autoletter.contracts.payments import (
    InvoiceVoided,
    PaymentFailed,
    PaymentProcessing,
    PaymentSucceeded,
    StatusReason,
)
from autoletter.payments.adapters import stripe_events
from autoletter.payments.adapters.repository import Account
from autoletter.payments.domain import status
from autoletter.payments.domain.invoices import (
    InvoiceOutcome,
    InvoiceRecord,
    InvoiceState,
    OutcomeKind,
    apply_outcome,
)
from autoletter.payments.handlers.common import Cause, Context, PaymentsWork, commit_facts, effect

log = logging.getLogger(__name__)


async def on_invoice_event(
    uow: PaymentsWork,
    ctx: Context,
    account: Account,
    event_type: str,
    invoice: dict[str, Any],
    cause: Cause,
) -> str:
    ref = stripe_events.invoice_ref(invoice)
    if ref is None:
        return "ignored_not_ours"
    if ref.account_id != account.account_id:
        log.warning("invoice_account_mismatch", extra={"stripe_invoice_id": invoice.get("id")})
        return "ignored_account_mismatch"
    outcome = stripe_events.invoice_outcome(event_type, invoice)
    current = await uow.repos.invoice(outcome.stripe_invoice_id)
    record = apply_outcome(current, ref, outcome)
    if record is None:
        return "stale"  # or outside the transition table: acknowledged and ignored
    if current is None:
        record = replace(record, recovers_invoice_id=stripe_events.recovers_invoice_id(invoice))
    if outcome.kind is OutcomeKind.FAILED:
        outcome, record = await _with_failure_reason(ctx, outcome, record)
    before = await uow.repos.load_facts(account)
    await uow.repos.save_invoice(record, uow.now())
    if record.state is InvoiceState.PAID and record.recovers_invoice_id is not None:
        await _recovered(uow, account.account_id, record.recovers_invoice_id)
    after, changed = await recount(uow, account, before, ref.service)
    await commit_facts(
        uow,
        account.account_id,
        after,
        changed,
        cause,
        _outcome_event(uow, account.account_id, record, outcome, cause),
    )
    return f"invoice_{record.state.value}"


async def recount(
    uow: PaymentsWork,
    account: Account,
    before: status.AccountFacts,
    service: Service,
    reason: StatusReason | None = None,
) -> tuple[status.AccountFacts, list[status.StatusChange]]:
    """The service's unpaid failed-for-good invoices counted again, with the status changes."""
    count = await uow.repos.count_unpaid_final(account.account_id, service)
    return status.unpaid_invoices_counted(before, service, count, reason)


async def _recovered(uow: PaymentsWork, account_id: str, invoice_id: UUID) -> None:
    """The recovery invoice of a lost dispute was paid: the disputed amount is no longer owed."""
    disputed = await uow.repos.invoice_by_our_id(account_id, invoice_id)
    if disputed is not None and disputed.recovered_at is None:
        await uow.repos.save_invoice(replace(disputed, recovered_at=uow.now()), uow.now())


async def _with_failure_reason(
    ctx: Context, outcome: InvoiceOutcome, record: InvoiceRecord
) -> tuple[InvoiceOutcome, InvoiceRecord]:
    """Stripe's decline code and message, fetched fresh; the outcome stands without them."""
    failure = await ctx.gateway.payment_failure(outcome.stripe_invoice_id)
    outcome = replace(outcome, failure_code=failure.code, failure_message=failure.message)
    return outcome, replace(record, failure_code=failure.code)


def _outcome_event(
    uow: PaymentsWork, account_id: str, record: InvoiceRecord, outcome: InvoiceOutcome, cause: Cause
) -> Envelope:
    ids = {
        "invoice_id": record.ref.invoice_id,
        "stripe_invoice_id": record.stripe_invoice_id,
        "service": record.ref.service,
        "period": record.ref.period,
    }
    if record.state is InvoiceState.PAID:
        return effect(
            uow,
            cause,
            PaymentSucceeded,
            account_id=account_id,
            **ids,
            amount_cents=outcome.amount_cents,
            currency=outcome.currency,
        )
    if record.state is InvoiceState.VOID:
        return effect(uow, cause, InvoiceVoided, account_id=account_id, **ids)
    if record.state is InvoiceState.PROCESSING:
        return effect(
            uow,
            cause,
            PaymentProcessing,
            account_id=account_id,
            **ids,
            amount_cents=outcome.amount_cents,
            currency=outcome.currency,
        )
    final = record.state is InvoiceState.FAILED
    return effect(
        uow,
        cause,
        PaymentFailed,
        account_id=account_id,
        **ids,
        amount_cents=outcome.amount_cents,
        currency=outcome.currency,
        attempt_count=record.attempt_count,
        next_attempt_at=None if final else outcome.next_attempt_at,
        final=final,
        failure_code=outcome.failure_code,
        failure_message=outcome.failure_message,
    )
