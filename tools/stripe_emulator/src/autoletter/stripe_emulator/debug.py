"""/_emulator/: what the emulator holds — customers, invoices, webhooks delivered and their answers."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from autoletter.stripe_emulator.core import Emulator
from autoletter.stripe_emulator.pages import page


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table border=1 cellspacing=0><tr>{head}</tr>{body or '<tr><td>none</td></tr>'}</table>"


def _when(ts: int | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S") if ts else ""


def router(em: Emulator) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/_emulator/")
    async def debug_page() -> HTMLResponse:
        limit = em.config.debug_limit
        customers = [
            [c["id"], c["name"] or "", c["email"] or "",
             c["invoice_settings"]["default_payment_method"] or "", c["balance"], c["metadata"]]
            for c in list(em.state.customers.values())[-limit:]
        ]  # fmt: skip
        invoices = [
            [i["id"], i["customer"], i["status"], i["amount_due"], i["amount_paid"], i["attempt_count"],
             _when(i["next_payment_attempt"]), i["metadata"]]
            for i in list(em.state.invoices.values())[-limit:]
        ]  # fmt: skip
        deliveries = [
            [d.event_id, d.event_type, d.customer or "", d.url, d.status,
             ", ".join(str(a["status"] or a["error"]) for a in d.attempts), _when(d.next_attempt_at)]
            for d in em.state.deliveries[-limit:]
        ]  # fmt: skip
        body = f"<p>Clock: {_when(em.now())} UTC</p>"
        body += "<h2>Customers</h2>" + _table(
            ["id", "name", "email", "default method", "balance", "metadata"], customers
        )
        body += "<h2>Invoices</h2>" + _table(
            ["id", "customer", "status", "due", "paid", "attempts", "next attempt", "metadata"], invoices
        )
        body += "<h2>Webhooks</h2>" + _table(
            ["event", "type", "customer", "url", "status", "responses", "next retry"], deliveries
        )
        return page("Stripe emulator", body)

    return api
