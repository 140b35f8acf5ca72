"""Test helpers of invoicing: event builders, a stateful Stripe fake, a crash injector."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from autoletter.contracts import new_event
from autoletter.contracts.letters import LetterSent
from autoletter.contracts.payments import StripeCustomerCreated
from autoletter.invoicing.adapters.stripe_billing import DraftRequest, LineRequest, StripeStats


def letter_sent(account_id: str, service: str, sent_at: datetime, sheets: int = 1, **kw: Any) -> LetterSent:
    return new_event(
        LetterSent,
        account_id=account_id,
        producer="letters",
        occurred_at=sent_at,
        letter_id=kw.pop("letter_id", uuid.uuid4()),
        service=service,
        sheets=sheets,
        destination_country="FR",
        sent_at=sent_at,
        **kw,
    )


def customer_created(account_id: str, at: datetime) -> StripeCustomerCreated:
    return new_event(
        StripeCustomerCreated,
        account_id=account_id,
        producer="payments",
        occurred_at=at,
        stripe_customer_id=f"cus_{account_id}",
    )


@dataclass
class FakeInvoice:
    id: str
    customer: str
    metadata: dict[str, str]
    status: str = "draft"
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(i["amount"] for i in self.items)


class FakeStripe:
    """Stripe as the close sees it, with memory: search by metadata works, drafts take lines."""

    def __init__(self) -> None:
        self.invoices: dict[str, FakeInvoice] = {}
        self.stats = StripeStats()
        self._ids = itertools.count(1)

    def _count(self, op: str) -> None:
        self.stats.requests[op] += 1

    async def find_invoice(self, invoice_id: UUID, customer: str) -> str | None:
        self._count("list_invoices")
        for inv in self.invoices.values():
            if inv.customer == customer and inv.metadata.get("invoice_id") == str(invoice_id):
                return inv.id
        return None

    async def create_draft(self, draft: DraftRequest) -> str:
        self._count("create_invoice")
        self.stats.drafts_created_for[(draft.account_id, draft.service, draft.period)] += 1
        inv = FakeInvoice(f"in_{next(self._ids)}", draft.customer, dict(draft.metadata))
        self.invoices[inv.id] = inv
        return inv.id

    async def attached_lines(self, stripe_invoice_id: str, invoice_id: UUID) -> dict[str, str]:
        self._count("list_lines")
        return {i["line_key"]: i["id"] for i in self.invoices[stripe_invoice_id].items}

    async def add_line(self, stripe_invoice_id: str, draft: DraftRequest, line: LineRequest) -> str:
        self._count("create_invoice_item")
        inv = self.invoices[stripe_invoice_id]
        assert inv.status == "draft", "a line was added to a finalised invoice"
        assert inv.customer == draft.customer
        item = {
            "id": f"ii_{next(self._ids)}",
            "line_key": line.key,
            "amount": line.amount_cents,
            "description": line.description,
        }
        inv.items.append(item)
        return str(item["id"])

    async def add_lines(
        self, stripe_invoice_id: str, draft: DraftRequest, lines: Sequence[LineRequest]
    ) -> dict[str, str]:
        """One request attaching every line (all or none, as Stripe does)."""
        self._count("add_lines")
        inv = self.invoices[stripe_invoice_id]
        assert inv.status == "draft", "lines were added to a finalised invoice"
        assert inv.customer == draft.customer
        added: dict[str, str] = {}
        for line in lines:
            item = {
                "id": f"il_{next(self._ids)}",
                "line_key": line.key,
                "amount": line.amount_cents,
                "description": line.description,
            }
            inv.items.append(item)
            added[line.key] = str(item["id"])
        return added

    async def finalize(self, stripe_invoice_id: str, invoice_id: UUID, *, automatic: bool = True) -> None:
        self._count("finalize_invoice")
        self.invoices[stripe_invoice_id].status = "open"

    def invoices_for(self, account_id: str) -> list[FakeInvoice]:
        return [i for i in self.invoices.values() if i.metadata["account_id"] == account_id]


class Crash(BaseException):
    """The process died: nothing after it runs (not an Exception, so nobody catches it)."""


class CrashAfter:
    """Delegates to another adapter and 'kills the process' on call number ``calls + 1``.

    ``after_sending``: the fatal call reaches Stripe and only its answer is lost (the hard case);
    otherwise the process dies just before sending it.
    """

    def __init__(self, inner: Any, calls: int, *, after_sending: bool) -> None:
        self.inner = inner
        self.stats = inner.stats
        self._left = calls
        self._after_sending = after_sending
        self.crashed = False

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self._left == 0 or self.crashed:
                self.crashed = True
                if self._after_sending:
                    await method(*args, **kwargs)
                raise Crash(name)
            self._left -= 1
            return await method(*args, **kwargs)

        return call


async def until_crash(run: Awaitable[Any]) -> None:
    """Await ``run`` and insist it died of a Crash (alone or inside a task group's exception group)."""
    try:
        await run
    except Crash:
        return
    except BaseExceptionGroup as group:
        if group.subgroup(Crash) is not None:
            return
        raise
    raise AssertionError("the run was expected to crash")
