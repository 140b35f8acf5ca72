"""The hosted pages a person sees: Checkout, the customer portal, the hosted invoice; plain HTML forms."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from autoletter.stripe_emulator import accounts, checkout, collection
from autoletter.stripe_emulator.cards import CARDS
from autoletter.stripe_emulator.control import locked
from autoletter.stripe_emulator.core import Emulator
from autoletter.stripe_emulator.errors import StripeError
from autoletter.stripe_emulator.ibans import IBANS, MANDATE_TEXT

STYLE = "body{font-family:sans-serif;max-width:46em;margin:2em auto}td,th{padding:.2em .8em;text-align:left}"


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        f"<!doctype html><html><head><meta charset=utf-8><title>{escape(title)}</title><style>{STYLE}</style>"
    )
    html += f"</head><body><h1>{escape(title)}</h1>{body}<p><small>Stripe emulator (test mode)</small></p>"
    return HTMLResponse(html + "</body></html>", status)


def card_choices() -> str:
    options = "".join(
        f"<label><input type=radio name=card value={c.number}{' checked' if i == 0 else ''}> "
        f"{escape(c.number)} — {escape(c.label)}</label><br>"
        for i, c in enumerate(CARDS.values())
    )
    return f"<fieldset><legend>Test card (expires 12/34)</legend>{options}</fieldset>"


def iban_choices() -> str:
    """The IBAN field (any of Stripe's test IBANs) and the mandate the person accepts by saving it."""
    known = "".join(f"<li><code>{escape(i.iban)}</code> — {escape(i.label)}</li>" for i in IBANS.values())
    return (
        "<fieldset><legend>Or SEPA Direct Debit</legend><label>IBAN <input name=iban autocomplete=off "
        f"placeholder=DE89370400440532013000></label><ul>{known}</ul>"
        f"<p><small>{escape(MANDATE_TEXT)}</small></p></fieldset>"
    )


def _label(pm: dict[str, Any]) -> tuple[str, str]:
    """What a method shows: `visa •••• 4242` and its expiry, or `SEPA •••• 3000` and its bank."""
    if pm["type"] == "sepa_debit":
        debit = pm["sepa_debit"]
        return f"SEPA •••• {debit['last4']}", f"{debit['country']} {debit['bank_code']}"
    card = pm["card"]
    return f"{card['brand']} •••• {card['last4']}", f"{card['exp_month']:02d}/{card['exp_year']}"


def _methods_table(em: Emulator, customer_id: str, session_id: str) -> str:
    default = accounts.default_method(em, customer_id)
    rows = ""
    for pm in em.state.payment_methods.values():
        if pm["customer"] != customer_id:
            continue
        (name, detail), pm_id = _label(pm), escape(pm["id"])
        actions = (
            f"<form method=post action=/portal/{session_id}/detach><input type=hidden name=pm value={pm_id}>"
        )
        actions += "<button>Remove</button></form>"
        if pm["id"] != default:
            actions += f"<form method=post action=/portal/{session_id}/default>"
            actions += f"<input type=hidden name=pm value={pm_id}><button>Make default</button></form>"
        rows += (
            f"<tr><td>{escape(name)}</td><td>{escape(detail)}</td>"
            f"<td>{'default' if pm['id'] == default else ''}</td><td>{actions}</td></tr>"
        )
    return f"<table>{rows or '<tr><td>No payment method yet.</td></tr>'}</table>"


def router(em: Emulator) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    async def act(request: Request, action: Any, then: str) -> Response:
        try:
            await locked(em, request, action)
        except StripeError as exc:
            return page("Something went wrong", f"<p>{escape(exc.body['message'])}</p>", exc.status)
        return RedirectResponse(then, 303)

    @pages.get("/checkout/{session_id}")
    async def checkout_page(session_id: str) -> Response:
        session = em.state.checkout_sessions.get(session_id)
        if session is None or session["status"] != "open":
            return page("This page is no longer available", "<p>The session is complete or unknown.</p>", 404)
        debit = "sepa_debit" in session["payment_method_types"]
        body = f"<p>Save a card or a bank account for future payments.</p><form method=post>{card_choices()}"
        body += iban_choices() if debit else ""
        body += f"<p><button>Save</button> <a href=/checkout/{session_id}/cancel>Cancel</a></p></form>"
        return page("Set up a payment method", body)

    @pages.post("/checkout/{session_id}")
    async def checkout_submit(session_id: str, request: Request) -> Response:
        form = await request.form()
        number, iban = str(form.get("card", "")), str(form.get("iban", "")).strip() or None
        try:
            session = await locked(
                em, request, lambda: checkout.complete_session(em, session_id, number, iban=iban)
            )
        except StripeError as exc:
            return page("Your card could not be saved", f"<p>{escape(exc.body['message'])}</p>", exc.status)
        return RedirectResponse(checkout.redirect_after(session, cancelled=False), 303)

    @pages.get("/checkout/{session_id}/cancel")
    async def checkout_cancel(session_id: str) -> Response:
        session = em.state.checkout_sessions.get(session_id)
        if session is None:
            return page("Unknown session", "", 404)
        return RedirectResponse(checkout.redirect_after(session, cancelled=True), 303)

    @pages.get("/portal/{session_id}")
    async def portal_page(session_id: str) -> Response:
        session = em.state.portal_sessions.get(session_id)
        if session is None:
            return page("Unknown portal session", "", 404)
        body = "<h2>Payment methods</h2>" + _methods_table(em, session["customer"], session_id)
        body += f"<h2>Add a card</h2><form method=post action=/portal/{session_id}/add>{card_choices()}"
        body += iban_choices()
        body += "<p><button>Add and make default</button></p></form>"
        if session["return_url"]:
            body += f"<p><a href='{escape(session['return_url'])}'>Return</a></p>"
        return page("Billing", body)

    @pages.post("/portal/{session_id}/{action}")
    async def portal_action(session_id: str, action: str, request: Request) -> Response:
        session = em.state.portal_sessions.get(session_id)
        if session is None:
            return page("Unknown portal session", "", 404)
        form = await request.form()
        customer, pm_id = session["customer"], str(form.get("pm", ""))
        iban = str(form.get("iban", "")).strip() or None
        actions = {
            "add": lambda: accounts.add_card_to_customer(
                em, customer, str(form.get("card", "")), make_default=True, iban=iban
            ),
            "default": lambda: accounts.update_customer(
                em, customer, {"invoice_settings": {"default_payment_method": pm_id}}
            ),
            "detach": lambda: _detach_own(em, customer, pm_id),
        }
        if action not in actions:
            return page("Unknown action", "", 404)
        return await act(request, actions[action], f"/portal/{session_id}")

    @pages.get("/mandate/{mandate_id}")
    async def mandate_page(mandate_id: str) -> Response:
        """What the customer accepted (the mandate's `url`): its reference and text, never the IBAN."""
        mandate = em.state.mandates.get(mandate_id)
        if mandate is None:
            return page("Mandate not found", "", 404)
        reference = mandate["payment_method_details"]["sepa_debit"]["reference"]
        body = f"<p>SEPA Direct Debit mandate <b>{escape(reference)}</b> — {escape(mandate['status'])}</p>"
        return page("Mandate", body + f"<p>{escape(MANDATE_TEXT)}</p>")

    @pages.get("/invoice/{invoice_id}")
    async def invoice_page(invoice_id: str) -> Response:
        invoice = em.state.invoices.get(invoice_id)
        if invoice is None or invoice["status"] == "draft":
            return page("Invoice not found", "", 404)
        lines = "".join(
            f"<tr><td>{escape(line['description'] or '')}</td><td>{line['quantity']}</td>"
            f"<td>{_money(line['amount'], line['currency'])}</td></tr>"
            for line in invoice["lines"]["data"]
        )
        body = f"<p>Invoice {escape(invoice['number'] or '')} — status <b>{escape(invoice['status'])}</b></p>"
        body += f"<table>{lines}</table><p>Amount due: {_money(invoice['amount_due'], invoice['currency'])}"
        body += f" — remaining: {_money(invoice['amount_remaining'], invoice['currency'])}</p>"
        if invoice["status"] in ("open", "uncollectible"):
            body += f"<form method=post action=/invoice/{invoice_id}/pay><button>Pay now</button></form>"
            body += f"<form method=post action=/invoice/{invoice_id}/authenticate>"
            body += "<button>Complete authentication (3D Secure)</button></form>"
        return page("Invoice", body)

    @pages.get("/invoice/{invoice_id}/pdf")
    async def invoice_pdf(invoice_id: str) -> Response:
        """The invoice's `invoice_pdf`: a one-page PDF with its number, status and amounts."""
        invoice = em.state.invoices.get(invoice_id)
        if invoice is None or invoice["status"] == "draft":
            return page("Invoice not found", "", 404)
        lines = [
            f"Invoice {invoice['number'] or invoice_id}",
            f"Status: {invoice['status']}",
            f"Amount due: {_money(invoice['amount_due'], invoice['currency'])}",
            f"Amount paid: {_money(invoice['amount_paid'], invoice['currency'])}",
            "Stripe emulator (test mode)",
        ]
        return Response(
            one_page_pdf(lines),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{invoice_id}.pdf"'},
        )

    @pages.post("/invoice/{invoice_id}/{action}")
    async def invoice_action(invoice_id: str, action: str, request: Request) -> Response:
        actions = {
            "pay": lambda: collection.pay(em, invoice_id, {}),
            "authenticate": lambda: collection.authenticate(em, invoice_id),
        }
        if action not in actions:
            return page("Unknown action", "", 404)
        return await act(request, actions[action], f"/invoice/{invoice_id}")

    return pages


def _detach_own(em: Emulator, customer: str, pm_id: str) -> dict[str, Any]:
    if em.state.get(pm_id, "PaymentMethod")["customer"] != customer:
        raise StripeError(404, f"No such PaymentMethod: '{pm_id}'", code="resource_missing")
    return accounts.detach(em, pm_id)


def _money(cents: int, currency: str) -> str:
    return f"{cents / 100:.2f} {escape(currency.upper())}"


def one_page_pdf(lines: list[str]) -> bytes:
    """A minimal valid PDF 1.4 (one A4 page, Helvetica, ASCII text): enough for a receipt link."""

    def text(value: str) -> str:
        ascii_only = value.encode("ascii", "replace").decode("ascii")
        return ascii_only.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    shown = "".join(f"({text(line)}) Tj T* " for line in lines)
    stream = f"BT /F1 12 Tf 16 TL 72 770 Td {shown}ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
