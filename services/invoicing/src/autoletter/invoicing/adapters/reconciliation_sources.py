"""The other sides of the reconciliation: letters' and payments' ops routes (never their tables) and
Stripe's invoices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import stripe

from autoletter.invoicing.adapters.rate_limit import TokenBucket
from autoletter.invoicing.domain.period import Period
from autoletter.invoicing.domain.reconciliation import TheirInvoice
from autoletter.runtime.auth import OPS_ROLE, mint_token


class SideUnavailable(Exception):
    """A service's side could not be read: no comparison is made (half a picture is wrong)."""


class ServiceSides:
    """Reads a service's side with a short-lived ops token signed by the shared secret."""

    def __init__(self, urls: dict[str, str], jwt_secret: str, *, timeout: float = 60.0) -> None:
        self._urls = urls
        self._secret = jwt_secret
        self._timeout = timeout

    async def side(self, service: str, period: Period) -> dict[str, Any]:
        token = mint_token(self._secret, "invoicing", roles=[OPS_ROLE], ttl=timedelta(minutes=5))
        url = self._urls[service].rstrip("/")
        try:
            async with httpx.AsyncClient(base_url=url, timeout=self._timeout) as client:
                response = await client.get(
                    "/v1/ops/reconciliation",
                    params={"period": str(period)},
                    headers={"Authorization": f"Bearer {token}"},
                )
        except httpx.HTTPError as exc:
            raise SideUnavailable(f"{service} at {url}: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise SideUnavailable(f"{service} at {url} answered {response.status_code}")
        body: dict[str, Any] = response.json()
        return body


class StripeInvoices:
    """Stripe's view of our invoices: status and total, one retrieve each, within our request budget."""

    def __init__(self, client: stripe.StripeClient, bucket: TokenBucket) -> None:
        self._v1 = client.v1
        self._bucket = bucket

    async def get(self, stripe_invoice_id: str) -> TheirInvoice | None:
        await self._bucket.acquire()
        try:
            found = await self._v1.invoices.retrieve_async(stripe_invoice_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                return None
            raise
        return TheirInvoice(str(found.id), str(found.status), int(found.total))
