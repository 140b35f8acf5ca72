"""The billing overview lists paid invoices as receipts: Stripe's hosted page and PDF, paid_at if known."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from conftest import PaymentsService


async def test_a_paid_invoice_is_listed_with_its_hosted_page_pdf_and_payment_time(
    service: PaymentsService, account: str
) -> None:
    customer = await service.ready_account(account, "standard", "registered")
    paid_at = int(time.time()) - 600
    paid = service.stripe.invoice(
        customer, account_id=account, service="standard", period="2026-09", status="paid", amount=285
    )
    paid["invoice_pdf"] = f"https://pay.stripe.com/invoice/acct_test/{uuid.uuid4().hex}/pdf"
    paid["status_transitions"] = {**(paid.get("status_transitions") or {}), "paid_at": paid_at}
    assert await service.handle(service.stripe.event("invoice.paid", paid)) == "invoice_paid"
    owed = service.stripe.invoice(customer, account_id=account, service="registered", attempt_count=4)
    owed["invoice_pdf"] = "https://pay.stripe.com/invoice/acct_test/owed/pdf"
    assert await service.handle(service.stripe.event("invoice.payment_failed", owed)) == "invoice_failed"

    answer = await service.client.get(f"/v1/accounts/{account}/billing", headers=service.auth(account))

    assert answer.status_code == 200
    overview = answer.json()
    (receipt,) = overview["paid_invoices"]
    assert receipt["stripe_invoice_id"] == paid["id"]
    assert (receipt["service"], receipt["period"], receipt["amount_cents"], receipt["currency"]) == (
        "standard",
        "2026-09",
        285,
        "eur",
    )
    assert receipt["hosted_invoice_url"] == paid["hosted_invoice_url"]
    assert receipt["invoice_pdf"] == paid["invoice_pdf"]
    assert datetime.fromisoformat(receipt["paid_at"]) == datetime.fromtimestamp(paid_at, UTC)
    (outstanding,) = overview["outstanding_invoices"]
    assert outstanding["stripe_invoice_id"] == owed["id"]
    assert outstanding["invoice_pdf"] == owed["invoice_pdf"]
    # The typed answer is the OpenAPI's too.
    schema = (await service.client.get("/openapi.json")).json()
    get = schema["paths"]["/v1/accounts/{account_id}/billing"]["get"]
    assert get["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BillingOverview"
    }
    assert "paid_invoices" in schema["components"]["schemas"]["BillingOverview"]["properties"]
