"""Stripe behind a small interface: the close needs six operations, nothing more.

Every call takes a token from the shared bucket, carries an idempotency key when it writes, and is
retried with backoff on 429, 5xx and network errors (counted). ``find_invoice`` and
``attached_lines`` only trust objects carrying our own metadata, so a stateless stripe-mock (which
answers fixtures) simply finds nothing, and the close stays correct against it.

The close's three requests (create, add_lines, finalize) are sent raw and read as plain JSON: turning
Stripe's whole invoice into StripeObjects cost ~1.6 ms of CPU per request for one id (issue 21).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import quote
from uuid import UUID

import stripe

from autoletter.invoicing import metrics
from autoletter.invoicing.adapters.rate_limit import TokenBucket

T = TypeVar("T")


@dataclass(frozen=True)
class DraftRequest:
    """The Stripe invoice for one account, service and period."""

    invoice_id: UUID
    account_id: str
    service: str
    period: str
    customer: str
    currency: str
    description: str
    #: A recovery invoice's own metadata (recovers_invoice_id, dispute_id) and idempotency key.
    extra_metadata: tuple[tuple[str, str], ...] = ()
    key: str | None = None

    @property
    def metadata(self) -> dict[str, str]:
        return {
            "account_id": self.account_id,
            "service": self.service,
            "period": self.period,
            "invoice_id": str(self.invoice_id),
            **dict(self.extra_metadata),
        }


@dataclass(frozen=True)
class LineRequest:
    """One invoice line, attached to the draft (never left pending on the customer)."""

    key: str
    description: str
    amount_cents: int
    period_start: datetime
    period_end: datetime


class StripeBilling(Protocol):
    """What the close asks of Stripe."""

    async def find_invoice(self, invoice_id: UUID, customer: str) -> str | None:
        """The customer's Stripe invoice carrying our invoice id in its metadata, if one exists."""
        ...

    async def create_draft(self, draft: DraftRequest) -> str:
        """Create the draft invoice; returns its Stripe id."""
        ...

    async def attached_lines(self, stripe_invoice_id: str, invoice_id: UUID) -> dict[str, str]:
        """Our lines already on the Stripe invoice: line key → Stripe id."""
        ...

    async def add_line(self, stripe_invoice_id: str, draft: DraftRequest, line: LineRequest) -> str:
        """Attach one line to the draft; returns the invoice item id."""
        ...

    async def add_lines(
        self, stripe_invoice_id: str, draft: DraftRequest, lines: Sequence[LineRequest]
    ) -> dict[str, str]:
        """Attach lines to the draft in one request (per 50); returns line key → Stripe line id for
        the lines the answer shows."""
        ...

    async def finalize(self, stripe_invoice_id: str, invoice_id: UUID, *, automatic: bool = True) -> None:
        """Finalise for automatic collection (or not: recovery invoices); one finalised before counts
        as done."""
        ...


@dataclass
class StripeStats:
    """What this adapter sent: requests and retries by operation, invoice creates by our key."""

    requests: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    drafts_created_for: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


_RETRYABLE = (stripe.RateLimitError, stripe.APIConnectionError, stripe.APIError)


#: Lines sent in one `add_lines` request.
ADD_LINES_MAX = 50


def lines_key(invoice_id: UUID, line_keys: Sequence[str]) -> str:
    """One idempotency key per invoice and set of lines (the same lines resent: the same key)."""
    digest = hashlib.sha256("\n".join(line_keys).encode()).hexdigest()[:16]
    return f"invoicing-lines:{invoice_id}:{digest}"


def draft_key(draft: DraftRequest) -> str:
    return draft.key or f"invoicing-invoice:{draft.account_id}:{draft.service}:{draft.period}"


class StripeApiBilling:
    """The real adapter over stripe-python's async client."""

    def __init__(
        self,
        client: stripe.StripeClient,
        bucket: TokenBucket,
        *,
        max_attempts: int = 6,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._v1 = client.v1
        self._bucket = bucket
        self._max_attempts = max_attempts
        self._sleep = sleep
        self.stats = StripeStats()

    async def _call(
        self, operation: str, send: Callable[[], Awaitable[T]], *, retry_server_errors: bool = True
    ) -> T:
        for attempt in range(1, self._max_attempts + 1):
            await self._bucket.acquire()
            self.stats.requests[operation] += 1
            metrics.STRIPE_REQUESTS.labels(operation).inc()
            try:
                return await send()
            except _RETRYABLE as exc:
                server_error = type(exc) is stripe.APIError
                if attempt == self._max_attempts or (server_error and not retry_server_errors):
                    raise
                delay = min(0.25 * 2 ** (attempt - 1), 8.0) * (0.5 + random.random())
                reason = type(exc).__name__
                if isinstance(exc, stripe.RateLimitError):
                    self._bucket.pause(delay)
                self.stats.retries[operation] += 1
                metrics.STRIPE_RETRIES.labels(operation, reason).inc()
                await self._sleep(delay)
        raise AssertionError("unreachable")

    async def _post(self, path: str, params: dict[str, Any], key: str) -> dict[str, Any]:
        """A write with its idempotency key; the answer as plain JSON (errors raised as typed ones)."""
        response = await self._client.raw_request_async("post", path, **params, idempotency_key=key)
        data: dict[str, Any] = response.data
        return data

    async def find_invoice(self, invoice_id: UUID, customer: str) -> str | None:
        """Our invoice among the customer's, by our metadata. Listing is strongly consistent; Stripe's
        search lags behind writes, most of all during incidents, so it is never used for this."""
        page = await self._call(
            "list_invoices",
            lambda: self._v1.invoices.list_async(params={"customer": customer, "limit": 100}),
        )
        while True:
            for invoice in page.data:
                if _metadata(invoice).get("invoice_id") == str(invoice_id):
                    return str(invoice.id)
            if not page.has_more or not page.data:
                return None
            last = page.data[-1].id
            page = await self._call(
                "list_invoices",
                lambda last=last: self._v1.invoices.list_async(  # type: ignore[misc]
                    params={"customer": customer, "limit": 100, "starting_after": last}
                ),
            )

    async def create_draft(self, draft: DraftRequest) -> str:
        params: Any = {
            "customer": draft.customer,
            "collection_method": "charge_automatically",
            # Not auto-advanced while a draft: Stripe must never finalise it before every line is
            # attached (a crashed close may resume days later). finalize() turns it on.
            "auto_advance": False,
            "currency": draft.currency,
            "description": draft.description,
            "metadata": draft.metadata,
            # Never sweep pending items of the customer (they could belong to the other service).
            "pending_invoice_items_behavior": "exclude",
        }
        self.stats.drafts_created_for[(draft.account_id, draft.service, draft.period)] += 1
        key = draft_key(draft)
        for attempt in range(1, self._max_attempts + 1):
            try:
                invoice = await self._call(
                    "create_invoice",
                    lambda key=key: self._post("/v1/invoices", params, key),  # type: ignore[misc]
                    retry_server_errors=False,
                )
                return str(invoice["id"])
            except stripe.APIError as exc:
                # A 5xx may have created the invoice, and Stripe replays that 5xx for the same key:
                # look among the customer's invoices first, then try again with a fresh key.
                if attempt == self._max_attempts or (exc.http_status or 500) < 500:
                    raise
                found = await self.find_invoice(draft.invoice_id, draft.customer)
                if found is not None:
                    return found
                key = f"{draft_key(draft)}:after-5xx:{attempt}"
                await self._sleep(min(0.25 * 2 ** (attempt - 1), 8.0))
        raise AssertionError("unreachable")

    async def attached_lines(self, stripe_invoice_id: str, invoice_id: UUID) -> dict[str, str]:
        found: dict[str, str] = {}
        params: Any = {"limit": 100}
        while True:  # every page: an invoice may have far more than 100 lines
            page = await self._call(
                "list_lines",
                lambda: self._v1.invoices.line_items.list_async(stripe_invoice_id, params=params),
            )
            found.update(_our_lines(page, invoice_id))
            if not page.has_more or not page.data:
                return found
            params["starting_after"] = page.data[-1].id

    async def add_line(self, stripe_invoice_id: str, draft: DraftRequest, line: LineRequest) -> str:
        params: Any = {
            "customer": draft.customer,
            "invoice": stripe_invoice_id,
            "amount": line.amount_cents,
            "currency": draft.currency,
            "description": line.description,
            "period": {"start": int(line.period_start.timestamp()), "end": int(line.period_end.timestamp())},
            "metadata": {"invoice_id": str(draft.invoice_id), "line_key": line.key},
        }
        key = f"invoicing-line:{draft.invoice_id}:{line.key}"
        item = await self._call(
            "create_invoice_item",
            lambda: self._v1.invoice_items.create_async(params=params, options={"idempotency_key": key}),
        )
        return str(item.id)

    async def add_lines(
        self, stripe_invoice_id: str, draft: DraftRequest, lines: Sequence[LineRequest]
    ) -> dict[str, str]:
        """One `add_lines` request per invoice (per ADD_LINES_MAX lines), each line carrying its key in
        its metadata. The idempotency key names the invoice and the exact set of lines sent, so a resume
        that sends only the missing lines never reuses a key with other parameters."""
        found: dict[str, str] = {}
        for start in range(0, len(lines), ADD_LINES_MAX):
            chunk = lines[start : start + ADD_LINES_MAX]
            params: Any = {
                "lines": [
                    {
                        "amount": line.amount_cents,
                        "description": line.description,
                        "period": {
                            "start": int(line.period_start.timestamp()),
                            "end": int(line.period_end.timestamp()),
                        },
                        "metadata": {"invoice_id": str(draft.invoice_id), "line_key": line.key},
                    }
                    for line in chunk
                ]
            }
            key = lines_key(draft.invoice_id, [line.key for line in chunk])
            invoice = await self._call(
                "add_lines",
                lambda params=params, key=key: self._post(  # type: ignore[misc]
                    f"/v1/invoices/{quote(stripe_invoice_id, safe='')}/add_lines", params, key
                ),
            )
            found.update(_our_lines(invoice.get("lines"), draft.invoice_id))
        return found

    async def finalize(self, stripe_invoice_id: str, invoice_id: UUID, *, automatic: bool = True) -> None:
        """Finalise; `automatic=False` leaves collection to payments (a recovery invoice is charged only
        to a method made default after its dispute, never to the one charged back)."""
        key = f"invoicing-finalize:{invoice_id}"
        try:
            await self._call(
                "finalize_invoice",
                lambda: self._post(
                    f"/v1/invoices/{quote(stripe_invoice_id, safe='')}/finalize",
                    {"auto_advance": automatic},
                    key,
                ),
            )
        except stripe.InvalidRequestError:
            # A re-run after Stripe forgot the key: finalised already is what we wanted.
            invoice = await self._call(
                "retrieve_invoice", lambda: self._v1.invoices.retrieve_async(stripe_invoice_id)
            )
            if invoice.status == "draft":
                raise


def _our_lines(page: Any, invoice_id: UUID) -> dict[str, str]:
    """Line key → Stripe line id, for the lines of a page (a StripeObject or plain JSON) that carry our
    invoice id and a line key."""
    found: dict[str, str] = {}
    for line in _field(page, "data") or ():
        meta = _metadata(line)
        if meta.get("invoice_id") == str(invoice_id) and meta.get("line_key"):
            found[meta["line_key"]] = str(_field(line, "id"))
    return found


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _metadata(obj: Any) -> dict[str, str]:
    meta = _field(obj, "metadata")
    if meta is None:
        return {}
    plain = meta.to_dict() if hasattr(meta, "to_dict") else dict(meta)
    return {str(k): str(v) for k, v in plain.items()}
