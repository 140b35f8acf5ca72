"""invoicing's repository: what its handlers read and write, bound to one unit of work's transaction
(`resources.units(...)` builds an `InvoicingRepository` over each unit's session). Reads return domain
values; writes say what they change. The queries themselves live in `invoice_repo`, `ledger_repo` and
`recovery_repo` (shared with the close, the read routes and the benchmarks)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts.common import Service
from autoletter.invoicing.adapters import close_lease, invoice_repo, ledger_repo, recovery_repo, runs_repo
from autoletter.invoicing.adapters.close_lease import Taken
from autoletter.invoicing.adapters.invoice_repo import Candidate, StoredLine
from autoletter.invoicing.adapters.prices_repo import PriceBook
from autoletter.invoicing.domain.invoice_state import InvoiceState
from autoletter.invoicing.domain.lines import InvoiceLine, Usage
from autoletter.invoicing.domain.period import Period
from autoletter.invoicing.domain.pricing import PriceList
from autoletter.invoicing.domain.runs import RunCounts, RunStatus

V = TypeVar("V")


def _of_row(cls: type[V], row: Any, **converted: Any) -> V:
    """A frozen value from a row with a column of each field's name; `converted` overrides columns
    whose value needs a type of its own (an enum)."""
    plain = {f.name: getattr(row, f.name) for f in fields(cls) if f.name not in converted}  # type: ignore[arg-type]
    return cls(**plain, **converted)


@dataclass(frozen=True)
class Invoice:
    """One of our monthly invoices (a row of `invoices`)."""

    invoice_id: UUID
    account_id: str
    service: Service
    period: str
    state: InvoiceState
    currency: str
    letters: int
    amount_cents: int
    stripe_customer_id: str
    stripe_invoice_id: str | None
    issued_at: datetime | None
    last_failure_code: str | None = None

    @classmethod
    def of_row(cls, row: Any) -> Invoice:
        return _of_row(cls, row, service=Service(row.service), state=InvoiceState(row.state))


@dataclass(frozen=True)
class RecoveryInvoice:
    """The recovery invoice of one lost dispute (a row of `recovery_invoices`)."""

    invoice_id: UUID
    dispute_id: str
    recovers_invoice_id: UUID
    account_id: str
    service: Service
    period: str
    amount_cents: int
    currency: str
    stripe_customer_id: str
    state: InvoiceState
    created_at: datetime
    updated_at: datetime
    stripe_invoice_id: str | None = None

    @classmethod
    def of_row(cls, row: Any) -> RecoveryInvoice:
        return _of_row(cls, row, service=Service(row.service), state=InvoiceState(row.state))


@dataclass(frozen=True)
class UsageEntry:
    """One priced letter for the ledger, with the account and event it came from."""

    usage: Usage
    account_id: str
    event_id: UUID
    currency: str


class Invoicing(Protocol):
    """What invoicing's handlers need of its storage (`InvoicingRepository`, or a fake in fast tests)."""

    async def price_list(self) -> PriceList:
        """The price list in force (every version), as the database holds it."""
        ...

    async def add_usage(self, entries: Sequence[UsageEntry]) -> Counter[str]:
        """Write usage lines; a letter already in the ledger is skipped. The lines written, by service."""
        ...

    async def save_customer(self, account_id: str, stripe_customer_id: str, at: datetime) -> None:
        """The account's Stripe customer (the latest one wins)."""
        ...

    async def invoice(self, invoice_id: UUID, *, for_update: bool = False) -> Invoice | None:
        """One of our invoices; `for_update` locks it until the transaction ends."""
        ...

    async def set_state(self, invoice_id: UUID, state: InvoiceState, at: datetime) -> None:
        """Move the invoice to `state` at `at`."""
        ...

    async def set_failed(
        self, invoice_id: UUID, state: InvoiceState, at: datetime, failure_code: str | None
    ) -> None:
        """Move the invoice to the `state` a failed payment led to, at `at`, and record the failure's
        code (None: Stripe gave none, which replaces an earlier failure's)."""
        ...

    async def mark_issued(
        self,
        invoice_id: UUID,
        at: datetime,
        *,
        stripe_invoice_id: str | None = None,
        state: InvoiceState | None = None,
    ) -> None:
        """Record that the invoice was announced (InvoiceIssued) at `at`; with its Stripe id and state
        when given."""
        ...

    async def recovery(self, invoice_id: UUID, *, for_update: bool = False) -> RecoveryInvoice | None:
        """A recovery invoice by our id; `for_update` locks it until the transaction ends."""
        ...

    async def request_recovery(self, recovery: RecoveryInvoice) -> bool:
        """Record a dispute's recovery invoice; False when that dispute's was recorded already."""
        ...

    async def set_recovery_state(self, invoice_id: UUID, state: InvoiceState, at: datetime) -> None:
        """Move a recovery invoice to `state` at `at`."""
        ...


class InvoicingRepository:
    """invoicing's reads and writes in one transaction (a unit of work's session)."""

    def __init__(self, session: AsyncSession, prices: PriceBook | None = None) -> None:
        self.session = session
        self._prices = prices or PriceBook()

    async def price_list(self) -> PriceList:
        """The database's price list, through the service's PriceBook (re-read at most every TTL)."""
        return await self._prices.get(self.session)

    async def add_usage(self, entries: Sequence[UsageEntry]) -> Counter[str]:
        columns: dict[str, list[Any]] = {
            "letter_id": [e.usage.letter_id for e in entries],
            "account_id": [e.account_id for e in entries],
            "service": [e.usage.service.value for e in entries],
            "sent_at": [e.usage.sent_at for e in entries],
            "sheets": [e.usage.sheets for e in entries],
            "letter_cents": [e.usage.letter_cents for e in entries],
            "extra_sheet_cents": [e.usage.extra_sheet_cents for e in entries],
            "amount_cents": [e.usage.amount_cents for e in entries],
            "currency": [e.currency for e in entries],
            "event_id": [e.event_id for e in entries],
        }
        return await ledger_repo.insert_usage(self.session, columns)

    async def save_customer(self, account_id: str, stripe_customer_id: str, at: datetime) -> None:
        await ledger_repo.save_customer(self.session, account_id, stripe_customer_id, at)

    async def invoice(self, invoice_id: UUID, *, for_update: bool = False) -> Invoice | None:
        row = await invoice_repo.get(self.session, invoice_id, for_update=for_update)
        return None if row is None else Invoice.of_row(row)

    async def set_state(self, invoice_id: UUID, state: InvoiceState, at: datetime) -> None:
        await invoice_repo.set_values(self.session, invoice_id, state=state.value, updated_at=at)

    async def set_failed(
        self, invoice_id: UUID, state: InvoiceState, at: datetime, failure_code: str | None
    ) -> None:
        await invoice_repo.set_values(
            self.session, invoice_id, state=state.value, updated_at=at, last_failure_code=failure_code
        )

    async def mark_issued(
        self,
        invoice_id: UUID,
        at: datetime,
        *,
        stripe_invoice_id: str | None = None,
        state: InvoiceState | None = None,
    ) -> None:
        values: dict[str, object] = {"issued_at": at, "updated_at": at}
        if stripe_invoice_id is not None:
            values["stripe_invoice_id"] = stripe_invoice_id
        if state is not None:
            values["state"] = state.value
        await invoice_repo.set_values(self.session, invoice_id, **values)

    async def recovery(self, invoice_id: UUID, *, for_update: bool = False) -> RecoveryInvoice | None:
        row = await recovery_repo.get(self.session, invoice_id, for_update=for_update)
        return None if row is None else RecoveryInvoice.of_row(row)

    async def request_recovery(self, recovery: RecoveryInvoice) -> bool:
        row: dict[str, object] = {
            "invoice_id": recovery.invoice_id,
            "dispute_id": recovery.dispute_id,
            "recovers_invoice_id": recovery.recovers_invoice_id,
            "account_id": recovery.account_id,
            "service": recovery.service.value,
            "period": recovery.period,
            "amount_cents": recovery.amount_cents,
            "currency": recovery.currency,
            "stripe_customer_id": recovery.stripe_customer_id,
            "state": recovery.state.value,
            "created_at": recovery.created_at,
            "updated_at": recovery.updated_at,
        }
        if recovery.stripe_invoice_id is not None:
            row["stripe_invoice_id"] = recovery.stripe_invoice_id
        return await recovery_repo.request(self.session, row)

    async def set_recovery_state(self, invoice_id: UUID, state: InvoiceState, at: datetime) -> None:
        await recovery_repo.set_values(self.session, invoice_id, state=state.value, updated_at=at)

    # The close's reads and writes (DESIGN §5): each step recorded before the next Stripe request.

    async def unfinished_invoices(self, period: Period) -> list[UUID]:
        """Invoices of the period a previous close left before issuing them."""
        return await invoice_repo.unfinished(self.session, period)

    async def close_candidates(self, period: Period) -> list[Candidate]:
        """Account-services with unbilled usage sent before the period's end and no invoice for it."""
        return await invoice_repo.candidates(self.session, period)

    async def take_usage(
        self, invoice_id: UUID, account_id: str, service: Service, period: Period
    ) -> list[Usage]:
        """Put every unbilled line of the account-service sent before the period's end on the invoice."""
        return await invoice_repo.take_usage(self.session, invoice_id, account_id, service, period)

    async def add_invoice(
        self, invoice: Invoice, lines: Sequence[InvoiceLine], *, run_id: UUID, at: datetime
    ) -> list[StoredLine]:
        """Insert a planned invoice and its lines, marked draft-requested (a resume looks in Stripe
        before creating); the lines as stored. IntegrityError when the account-service has its invoice
        for the period already."""
        row = {
            "invoice_id": invoice.invoice_id,
            "account_id": invoice.account_id,
            "service": invoice.service.value,
            "period": invoice.period,
            "state": invoice.state.value,
            "currency": invoice.currency,
            "letters": invoice.letters,
            "amount_cents": invoice.amount_cents,
            "stripe_customer_id": invoice.stripe_customer_id,
            "draft_requested": True,
            "run_id": run_id,
            "created_at": at,
            "updated_at": at,
        }
        return await invoice_repo.insert_invoice(self.session, row, lines)

    async def lines_of(self, invoice_id: UUID) -> list[StoredLine]:
        return await invoice_repo.lines_of(self.session, invoice_id)

    async def set_stripe_invoice_id(self, invoice_id: UUID, stripe_invoice_id: str, at: datetime) -> None:
        """The Stripe invoice found or created for ours."""
        await invoice_repo.set_values(
            self.session, invoice_id, stripe_invoice_id=stripe_invoice_id, updated_at=at
        )

    async def set_item_ids(self, invoice_id: UUID, item_ids: Mapping[int, str]) -> None:
        """The Stripe line item ids of the invoice's lines, by line number."""
        await invoice_repo.set_item_ids(self.session, invoice_id, item_ids)

    # The recovery worker's reads and writes.

    async def unfinished_recoveries(self) -> list[UUID]:
        """Recoveries not yet issued in Stripe (new, or left by a crash)."""
        return await recovery_repo.unfinished(self.session)

    async def set_recovery_stripe_id(self, invoice_id: UUID, stripe_invoice_id: str, at: datetime) -> None:
        """The Stripe invoice found or created for a recovery."""
        await recovery_repo.set_values(
            self.session, invoice_id, stripe_invoice_id=stripe_invoice_id, updated_at=at
        )

    # Billing runs and the close's lease per period (on the database's wall clock).

    async def create_run(
        self, run_id: UUID, period: Period, trigger: str, requested_by: str | None, at: datetime
    ) -> None:
        """A pending run of a close of `period`."""
        await runs_repo.create(self.session, run_id, str(period), trigger, requested_by, at)

    async def run_completed(self, period: Period) -> bool:
        """Whether a run of `period` completed."""
        return await runs_repo.completed(self.session, str(period))

    async def take_lease(self, period: Period, run_id: UUID, ttl: timedelta) -> Taken:
        """The period's lease for `run_id`, if free or lapsed (then naming the run whose it was)."""
        return await close_lease.take(self.session, str(period), run_id, ttl)

    async def renew_lease(self, period: Period, run_id: UUID, ttl: timedelta) -> bool:
        """False when the lease is no longer this run's."""
        return await close_lease.renew(self.session, str(period), run_id, ttl)

    async def release_lease(self, period: Period, run_id: UUID) -> None:
        await close_lease.release(self.session, str(period), run_id)

    async def mark_interrupted(self, run_id: UUID, resumed_by: UUID, at: datetime) -> None:
        """The run whose lapsed lease `resumed_by` took: stopped, and resumed by that run."""
        await runs_repo.mark_interrupted(self.session, run_id, resumed_by, at)

    async def skip_run(self, run_id: UUID, at: datetime, reason: str) -> None:
        """The run did not take place (`reason`)."""
        await runs_repo.set_values(
            self.session, run_id, status=RunStatus.SKIPPED, finished_at=at, error=reason
        )

    async def start_run(self, run_id: UUID, at: datetime) -> None:
        await runs_repo.set_values(self.session, run_id, status=RunStatus.RUNNING, started_at=at)

    async def record_progress(self, run_id: UUID, counts: RunCounts, stripe_requests: int) -> None:
        """A running close's counts so far, and the Stripe requests it made."""
        await runs_repo.set_values(
            self.session, run_id, stripe_requests=stripe_requests, **counts.by_outcome()
        )

    async def finish_run(
        self,
        run_id: UUID,
        status: RunStatus,
        at: datetime,
        *,
        error: str | None,
        counts: RunCounts,
        stripe_requests: int,
    ) -> None:
        """How the run ended, with its final counts."""
        await runs_repo.set_values(
            self.session,
            run_id,
            status=status,
            finished_at=at,
            error=error,
            stripe_requests=stripe_requests,
            **counts.by_outcome(),
        )
