"""The monthly close of one period (DESIGN §5): one Stripe invoice per account and service.

Each invoice goes draft → lines_added → issued, each step recorded in our row before the next, so
a close can stop anywhere and a re-run (even days later, when Stripe has forgotten idempotency
keys) carries on from the rows: a Stripe invoice whose id we did not record is looked up by our
metadata before anything is created.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from uuid import UUID, uuid4

from sqlalchemy.exc import IntegrityError

from autoletter.invoicing.adapters.invoice_repo import Candidate, StoredLine
from autoletter.invoicing.adapters.repository import Invoice, InvoicingRepository
from autoletter.invoicing.adapters.stripe_billing import DraftRequest, LineRequest, StripeBilling
from autoletter.invoicing.domain.invoice_state import UNFINISHED, InvoiceState, after_finalised
from autoletter.invoicing.domain.lines import DASH, build_lines, total, worth_invoicing
from autoletter.invoicing.domain.period import Period
from autoletter.invoicing.domain.runs import RunCounts
from autoletter.invoicing.handlers.issue import issued_event
from autoletter.runtime.uow import Units

log = logging.getLogger(__name__)


@dataclass
class CloseProgress:
    """Counts of one close, updated as invoices complete."""

    candidates: int = 0
    issued: int = 0
    carried_over: int = 0
    no_customer: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.issued + self.carried_over + self.no_customer + self.failed

    def counts(self) -> RunCounts:
        return RunCounts(self.candidates, self.issued, self.carried_over, self.no_customer, self.failed)


@dataclass(frozen=True)
class CloseConfig:
    minimum_cents: int
    currency: str
    concurrency: int


class _CarryOver(Exception):
    """The usage taken is below the minimum after all: roll the plan back."""


#: A unit of work: resume one of our invoices, or invoice one account-service.
Job = UUID | Candidate


@dataclass(frozen=True)
class Planned:
    """An invoice just planned: its row and lines as written, so driving it reads nothing back."""

    invoice: Invoice
    lines: list[StoredLine]

    @property
    def invoice_id(self) -> UUID:
        return self.invoice.invoice_id


class PeriodClose:
    """Closes periods through a Stripe adapter; the caller holds the period lock."""

    def __init__(
        self, units: Units[InvoicingRepository], billing: StripeBilling, config: CloseConfig
    ) -> None:
        self._units = units
        self._billing = billing
        self._config = config

    async def run(self, period: Period, run_id: UUID, progress: CloseProgress) -> None:
        """Resume the period's unfinished invoices, then invoice every account-service with usage."""
        async with self._units.begin() as uow:
            resumed = await uow.repos.unfinished_invoices(period)
            found = await uow.repos.close_candidates(period)
        queue: asyncio.Queue[Job] = asyncio.Queue()
        for invoice_id in resumed:
            queue.put_nowait(invoice_id)
        for candidate in found:
            if not worth_invoicing(candidate.amount_cents, self._config.minimum_cents):
                progress.carried_over += 1  # stays unbilled: the next close of the service takes it
            elif candidate.stripe_customer_id is None:
                progress.no_customer += 1
                log.warning("close_without_stripe_customer", extra={"service": candidate.service.value})
            else:
                queue.put_nowait(candidate)
        progress.candidates = len(resumed) + len(found)

        async def worker() -> None:
            while not queue.empty():
                await self._one(queue.get_nowait(), period, run_id, progress)

        async with asyncio.TaskGroup() as group:
            for _ in range(min(self._config.concurrency, queue.qsize())):
                group.create_task(worker())

    async def _one(self, job: Job, period: Period, run_id: UUID, progress: CloseProgress) -> None:
        try:
            if isinstance(job, UUID):
                issued = await self.drive(job, fresh=False)
            else:
                planned = await self.plan(period, job, run_id)
                if planned is None:
                    progress.carried_over += 1
                    return
                issued = await self.drive(planned.invoice_id, fresh=True, planned=planned)
        except Exception as exc:  # one invoice failing must not stop the others; a re-run resumes it
            progress.failed += 1
            if len(progress.errors) < 20:
                progress.errors.append(f"{type(exc).__name__}: {exc}")
            log.exception("close_invoice_failed")
            return
        if issued:
            progress.issued += 1

    async def plan(self, period: Period, candidate: Candidate, run_id: UUID) -> Planned | None:
        """Our invoice row, its lines and the usage it bills, in one transaction; None = carried over."""
        customer = candidate.stripe_customer_id
        if customer is None:  # run() queues only candidates with a customer
            raise ValueError("an account without a Stripe customer cannot be invoiced")
        invoice_id = uuid4()
        try:
            async with self._units.begin() as uow:
                now = uow.now()
                usage = await uow.repos.take_usage(
                    invoice_id, candidate.account_id, candidate.service, period
                )
                lines = build_lines(candidate.service, usage, self._config.currency)
                amount = total(lines)
                if not worth_invoicing(amount, self._config.minimum_cents):
                    raise _CarryOver
                invoice = Invoice(
                    invoice_id=invoice_id,
                    account_id=candidate.account_id,
                    service=candidate.service,
                    period=str(period),
                    state=InvoiceState.DRAFT,
                    currency=self._config.currency,
                    letters=len(usage),
                    amount_cents=amount,
                    stripe_customer_id=customer,
                    stripe_invoice_id=None,
                    issued_at=None,
                )
                # Marked draft-requested before the create is sent: from now on a resume must look
                # in Stripe first.
                stored = await uow.repos.add_invoice(invoice, lines, run_id=run_id, at=now)
        except _CarryOver:
            return None
        except IntegrityError:
            # The account-service got its invoice for this period meanwhile: nothing to plan.
            log.info("close_plan_conflict")
            return None
        return Planned(invoice, stored)

    async def drive(self, invoice_id: UUID, *, fresh: bool, planned: Planned | None = None) -> bool:
        """Take one invoice as far as issued. ``fresh``: planned in this run, nothing in Stripe yet;
        ``planned``: its row and lines as just written (one transaction fewer per invoice)."""
        invoice: Invoice | None
        if planned is not None:
            invoice, lines = planned.invoice, planned.lines
        else:
            async with self._units.begin() as uow:
                invoice = await uow.repos.invoice(invoice_id)
                lines = await uow.repos.lines_of(invoice_id)
        if invoice is None or invoice.state not in UNFINISHED:
            return False
        service = invoice.service.value
        draft = DraftRequest(
            invoice_id=invoice_id,
            account_id=invoice.account_id,
            service=service,
            period=invoice.period,
            customer=invoice.stripe_customer_id,
            currency=invoice.currency,
            description=f"{service.capitalize()} letters {DASH} {Period.parse(invoice.period).label}",
        )
        stripe_id: str | None = invoice.stripe_invoice_id
        created_now = False
        if stripe_id is None:
            stripe_id = None if fresh else await self._billing.find_invoice(invoice_id, draft.customer)
            if stripe_id is None:
                stripe_id = await self._billing.create_draft(draft)
                created_now = True
            async with self._units.begin() as uow:
                await uow.repos.set_stripe_invoice_id(invoice_id, stripe_id, uow.now())
        if invoice.state is InvoiceState.DRAFT:
            await self._attach(invoice_id, stripe_id, draft, lines, look_first=not created_now)
        await self._billing.finalize(stripe_id, invoice_id)
        await self._issue(invoice_id, stripe_id)
        return True

    async def _attach(
        self,
        invoice_id: UUID,
        stripe_id: str,
        draft: DraftRequest,
        lines: list[StoredLine],
        *,
        look_first: bool,
    ) -> None:
        pending = [line for line in lines if line.stripe_item_id is None]
        existing = await self._billing.attached_lines(stripe_id, invoice_id) if pending and look_first else {}
        missing = [line for line in pending if line.key not in existing]
        # Every missing line in one add_lines request: exactly three requests for a fresh invoice.
        added = (
            await self._billing.add_lines(
                stripe_id,
                draft,
                [
                    LineRequest(
                        line.key, line.description, line.amount_cents, line.period.start, line.period.end
                    )
                    for line in missing
                ],
            )
            if missing
            else {}
        )
        # The ids Stripe showed (a stateless stripe-mock shows none of ours): informative only, the
        # state below is what says the lines are attached.
        item_ids = {
            line.line_no: item_id
            for line in pending
            if (item_id := existing.get(line.key) or added.get(line.key)) is not None
        }
        async with self._units.begin() as uow:
            await uow.repos.set_item_ids(invoice_id, item_ids)
            await uow.repos.set_state(invoice_id, InvoiceState.LINES_ADDED, uow.now())

    async def _issue(self, invoice_id: UUID, stripe_id: str) -> None:
        """Issued, and InvoiceIssued staged in the same transaction (exactly once: by issued_at)."""
        async with self._units.begin() as uow:
            now = uow.now()
            invoice = await uow.repos.invoice(invoice_id, for_update=True)
            if invoice is None or invoice.issued_at is not None:
                return
            await uow.repos.mark_issued(invoice_id, now, state=after_finalised(invoice.state))
            await uow.stage(issued_event(uow, invoice, stripe_id, now))
