"""/_emulator JSON endpoints: what a person does on the hosted pages, the test clock, deliveries."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from autoletter.stripe_emulator import accounts, checkout, collection
from autoletter.stripe_emulator.core import Emulator
from autoletter.stripe_emulator.errors import StripeError, invalid


async def locked(em: Emulator, request: Request, action: Callable[[], Any]) -> Any:
    """Run a change as an API request would: under the lock, then whatever became due."""
    async with em.lock:
        if em.config.public_url is None:
            em.base_url = str(request.base_url).rstrip("/")
        try:
            return action()
        finally:
            collection.run_due(em)
            em.save()


def router(em: Emulator) -> APIRouter:
    api = APIRouter(prefix="/_emulator", tags=["emulator"])

    async def run(request: Request, action: Callable[[], Any]) -> JSONResponse:
        try:
            return JSONResponse(await locked(em, request, action))
        except StripeError as exc:
            return JSONResponse(exc.to_json(), exc.status)

    @api.post("/checkout/{session_id}/complete")
    async def complete_checkout(session_id: str, request: Request, body: dict[str, Any] = Body(...)) -> Any:
        """Complete a setup-mode Checkout Session with a test card or, `{"iban": …}`, a test IBAN (the
        mandate accepted), as the hosted page does."""
        card, iban = str(body.get("card", "")), body.get("iban")
        return await run(
            request, lambda: checkout.complete_session(em, session_id, card, iban=str(iban) if iban else None)
        )

    @api.post("/portal/{customer}/payment-methods")
    async def add_method(customer: str, request: Request, body: dict[str, Any] = Body(...)) -> Any:
        """Add a test card (or `{"iban": …}`) in the portal; made the default unless `"default": false`."""
        make_default = bool(body.get("default", True))
        card, iban = str(body.get("card", "")), body.get("iban")
        return await run(
            request,
            lambda: accounts.add_card_to_customer(
                em, customer, card, make_default=make_default, iban=str(iban) if iban else None
            ),
        )

    @api.post("/portal/{customer}/default")
    async def set_default(customer: str, request: Request, body: dict[str, Any] = Body(...)) -> Any:
        params = {"invoice_settings": {"default_payment_method": str(body.get("payment_method", ""))}}
        return await run(request, lambda: accounts.update_customer(em, customer, params))

    @api.delete("/portal/{customer}/payment-methods/{pm_id}")
    async def remove_method(customer: str, pm_id: str, request: Request) -> Any:
        def detach() -> dict[str, Any]:
            if em.state.get(pm_id, "PaymentMethod")["customer"] != customer:
                raise invalid(f"{pm_id} is not attached to {customer}.")
            return accounts.detach(em, pm_id)

        return await run(request, detach)

    @api.post("/invoices/{invoice_id}/authenticate")
    async def authenticate(invoice_id: str, request: Request) -> Any:
        """The customer passes 3D Secure on the hosted invoice page."""
        return await run(request, lambda: collection.authenticate(em, invoice_id))

    @api.get("/clock")
    async def clock() -> dict[str, Any]:
        now = em.now()
        return {"now": now, "iso": datetime.fromtimestamp(now, UTC).isoformat()}

    @api.post("/clock/advance")
    async def advance(request: Request, body: dict[str, Any] = Body(...)) -> Any:
        """Move the test clock forward; retries and auto-finalisations due by then run, in order."""
        seconds = body.get("seconds")
        if not isinstance(seconds, int | float) or seconds < 0:
            return JSONResponse(invalid("`seconds` must be a number >= 0.", param="seconds").to_json(), 400)
        async with em.lock:
            ran = collection.run_due(em, em.now() + int(seconds))
            em.save()
        now = em.now()
        return {"now": now, "iso": datetime.fromtimestamp(now, UTC).isoformat(), "ran": ran}

    @api.post("/hold")
    async def hold(body: dict[str, Any] = Body(...)) -> Any:
        """Keep API requests of that method whose path starts with `path` waiting until released."""
        method, path = body.get("method"), body.get("path")
        if not isinstance(method, str) or not isinstance(path, str) or not path.startswith("/v1"):
            return JSONResponse(invalid("`method` and a `path` starting with /v1 are needed.").to_json(), 400)
        em.hold.hold(method, path)
        return em.hold.describe()

    @api.get("/hold")
    async def held() -> dict[str, Any]:
        """What is held, and the requests waiting (method, path, the caller's TCP port)."""
        return em.hold.describe()

    @api.delete("/hold")
    async def release() -> dict[str, Any]:
        """Let every held request through, and hold nothing more."""
        em.hold.release()
        return em.hold.describe()

    @api.get("/webhooks")
    async def deliveries() -> list[dict[str, Any]]:
        """Every delivery (oldest first) with each attempt's response code."""
        return [dataclasses.asdict(d) for d in em.state.deliveries]

    @api.post("/webhooks/drain")
    async def drain(body: dict[str, Any] = Body(default={})) -> dict[str, bool]:
        """Wait (bounded) until every webhook due was delivered, given up or scheduled for a later retry."""
        return {"drained": await em.dispatcher.drain(float(body.get("timeout", 10)))}

    return api
