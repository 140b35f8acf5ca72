"""Invoice outcomes from Stripe: our record moves forward only, and the service's status follows."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts import Envelope
from autoletter.contracts.common import Service
from autoletter.contracts.payments import (
    InvoiceVoided,
    PaymentFailed,
    PaymentProcessing,
    PaymentSucceeded,
    StatusReason,
)
from autoletter.payments.adapters import repository, stripe_events
from autoletter.payments.adapters.repository import Account
from autoletter.payments.domain import status
from autoletter.payments.domain.invoices import (
    InvoiceOutcome,
    InvoiceRecord,
    InvoiceState,
    OutcomeKind,
    apply_outcome,
)
from autoletter.payments.handlers.common import Cause, Context, commit_facts, make

log = logging.getLogger(__name__)


async def on_invoice_event(
    ctx: Context,
    session: AsyncSession,
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
    current = await repository.invoice(session, outcome.stripe_invoice_id)
    record = apply_outcome(current, ref, outcome)
    if record is None:
        return "stale"  # or outside the transition table: acknowledged and ignored
    if current is None:
        record = replace(record, recovers_invoice_id=stripe_events.recovers_invoice_id(invoice))
    if outcome.kind is OutcomeKind.FAILED:
        outcome, record = await _with_failure_reason(ctx, outcome, record)
    before = await repository.load_facts(session, account)
    await repository.save_invoice(session, record, ctx.clock.now())
    if record.state is InvoiceState.PAID and record.recovers_invoice_id is not None:
        await _recovered(ctx, session, account.account_id, record.recovers_invoice_id)
    after, changed = await recount(session, account, before, ref.service)
    await commit_facts(
        session,
        ctx,
        account.account_id,
        after,
        changed,
        cause,
        _outcome_event(ctx, account.account_id, record, outcome, cause),
    )
    return f"invoice_{record.state.value}"


async def recount(
    session: AsyncSession,
    account: Account,
    before: status.AccountFacts,
    service: Service,
    reason: StatusReason | None = None,
) -> tuple[status.AccountFacts, list[status.StatusChange]]:
    """The service's unpaid failed-for-good invoices counted again, with the status changes."""
    count = await repository.count_unpaid_final(session, account.account_id, service)
    return status.unpaid_invoices_counted(before, service, count, reason)


async def _recovered(ctx: Context, session: AsyncSession, account_id: str, invoice_id: UUID) -> None:
    """The recovery invoice of a lost dispute was paid: the disputed amount is no longer owed."""
    disputed = await repository.invoice_by_our_id(session, account_id, invoice_id)
    if disputed is not None and disputed.recovered_at is None:
        await repository.save_invoice(
            session, replace(disputed, recovered_at=ctx.clock.now()), ctx.clock.now()
        )


async def _with_failure_reason(
    ctx: Context, outcome: InvoiceOutcome, record: InvoiceRecord
) -> tuple[InvoiceOutcome, InvoiceRecord]:
    """Stripe's decline code and message, fetched fresh; the outcome stands without them."""
    failure = await ctx.gateway.payment_failure(outcome.stripe_invoice_id)
    outcome = replace(outcome, failure_code=failure.code, failure_message=failure.message)
    return outcome, replace(record, failure_code=failure.code)


def _outcome_event(
    ctx: Context, account_id: str, record: InvoiceRecord, outcome: InvoiceOutcome, cause: Cause
) -> Envelope:
    ids = {
        "invoice_id": record.ref.invoice_id,
        "stripe_invoice_id": record.stripe_invoice_id,
        "service": record.ref.service,
        "period": record.ref.period,
    }
    if record.state is InvoiceState.PAID:
        return make(
            ctx,
            PaymentSucceeded,
            account_id,
            cause,
            **ids,
            amount_cents=outcome.amount_cents,
            currency=outcome.currency,
        )
    if record.state is InvoiceState.VOID:
        return make(ctx, InvoiceVoided, account_id, cause, **ids)
    if record.state is InvoiceState.PROCESSING:
        return make(
            ctx,
            PaymentProcessing,
            account_id,
            cause,
            **ids,
            amount_cents=outcome.amount_cents,
            currency=outcome.currency,
        )
    final = record.state is InvoiceState.FAILED
    return make(
        ctx,
        PaymentFailed,
        account_id,
        cause,
        **ids,
        amount_cents=outcome.amount_cents,
        currency=outcome.currency,
        attempt_count=record.attempt_count,
        next_attempt_at=None if final else outcome.next_attempt_at,
        final=final,
        failure_code=outcome.failure_code,
        failure_message=outcome.failure_message,
    )
