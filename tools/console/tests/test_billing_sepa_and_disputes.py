"""Billing in words for SEPA Direct Debit, a debit in progress, disputes, recovery invoices and receipts."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from autoletter.console.testing import Upstreams, sign_in

ACCOUNT = "acct-sepa"
BASE = f"/v1/accounts/{ACCOUNT}"

SEPA = {
    "payment_method_id": "pm_sepa",
    "type": "sepa_debit",
    "brand": None,
    "last4": "3000",
    "exp_month": None,
    "exp_year": None,
    "bank_code": "37040044",
    "country": "DE",
    "mandate_id": "mandate_1Abc",
}
SERVICES = [
    {"service": "standard", "status": "active", "activated": True, "since": None, "reason": "activated"},
    {"service": "registered", "status": "inactive", "activated": False, "since": None, "reason": None},
]


def invoice(stripe_id: str, state: str, period: str, amount: int, **fields: object) -> dict[str, object]:
    return {
        "invoice_id": f"ours-{stripe_id}",
        "stripe_invoice_id": stripe_id,
        "service": "standard",
        "period": period,
        "amount_cents": amount,
        "currency": "eur",
        "state": state,
        "failed_for_good": False,
        "failure_code": None,
        "next_attempt_at": None,
        "hosted_invoice_url": f"https://stripe.test/invoice/{stripe_id}",
        "invoice_pdf": f"https://stripe.test/invoice/{stripe_id}/pdf",
        "dispute_id": None,
        "dispute_status": None,
        "recovers_invoice_id": None,
        **fields,
    }


OVERVIEW = {
    "account_id": ACCOUNT,
    "profile": {"complete": True, "missing": []},
    "payment_method": SEPA,
    "services": SERVICES,
    "outstanding_invoices": [
        invoice("in_proc", "processing", "2026-10", 190),
        invoice(
            "in_lost",
            "disputed",
            "2026-08",
            380,
            failed_for_good=True,
            dispute_id="du_1",
            dispute_status="lost",
        ),
        invoice("in_recov", "open", "2026-08", 380, recovers_invoice_id="ours-in_lost"),
    ],
    "new_payment_method_needed": True,
    "paid_invoices": [
        {
            "invoice_id": "ours-in_paid",
            "stripe_invoice_id": "in_paid",
            "service": "registered",
            "period": "2026-09",
            "amount_cents": 420,
            "currency": "eur",
            "paid_at": "2026-10-01T09:30:00+00:00",
            "hosted_invoice_url": "https://stripe.test/invoice/in_paid",
            "invoice_pdf": "https://stripe.test/invoice/in_paid/pdf",
            "recovers_invoice_id": None,
        }
    ],
    "open_disputes": [
        {
            "invoice_id": "ours-in_cont",
            "stripe_invoice_id": "in_cont",
            "service": "standard",
            "period": "2026-07",
            "amount_cents": 285,
            "currency": "eur",
            "dispute_id": "du_2",
        }
    ],
}


@pytest.fixture
async def billing(browser: httpx.AsyncClient, upstreams: Upstreams) -> httpx.AsyncClient:
    await sign_in(browser, ACCOUNT)
    upstreams.answer("payments", "GET", f"{BASE}/billing", OVERVIEW)
    upstreams.answer("invoicing", "GET", f"{BASE}/invoices", {"account_id": ACCOUNT, "invoices": []})
    return browser


async def page_text(browser: httpx.AsyncClient, language: str) -> str:
    page = await browser.get("/billing", headers={"Accept-Language": language})
    assert page.status_code == 200
    return html.unescape(page.text)


@pytest.mark.parametrize(
    ("language", "method", "mandate", "in_progress", "recovery"),
    [
        ("fr", "Prélèvement SEPA", "Référence du mandat", "Paiement en cours", "Facture de régularisation"),
        ("de", "SEPA-Lastschrift", "Mandatsreferenz", "Zahlung in Bearbeitung", "Nachbelastungsrechnung"),
        ("en", "SEPA Direct Debit", "Mandate reference", "Payment in progress", "Recovery invoice"),
    ],
)
async def test_a_sepa_method_a_debit_in_progress_and_a_recovery_invoice_in_words(
    billing: httpx.AsyncClient, language: str, method: str, mandate: str, in_progress: str, recovery: str
) -> None:
    text = await page_text(billing, language)

    assert f"{method}\n" in text and "•••• 3000" in text
    assert mandate in text and "mandate_1Abc" in text
    assert in_progress in text
    assert 'data-testid="recovery-invoice">' + recovery in text
    assert "sepa_debit" not in text.replace('data-status="', "") and "recovers_invoice_id" not in text


async def test_a_debit_in_progress_and_a_lost_dispute_are_no_payment_failure(
    billing: httpx.AsyncClient,
) -> None:
    text = await page_text(billing, "en")

    assert 'data-testid="payment-failed"' not in text  # neither a processing debit nor a lost dispute
    row = text.split('href="https://stripe.test/invoice/in_proc"', 1)[1].split("</a>", 1)[0]
    assert row.endswith(">View")  # no pay button while the bank debits
    assert 'href="https://stripe.test/invoice/in_recov" target="_blank" rel="noopener">View and pay' in text


async def test_an_open_dispute_warns_and_suspends_nothing(billing: httpx.AsyncClient) -> None:
    text = await page_text(billing, "fr")

    warning = text.split('data-testid="payment-contested">', 1)[1].split("</div>", 1)[0]
    assert "Le paiement de 2,85\xa0€ pour Lettre standard (juillet 2026) est contesté" in warning
    assert "Rien n'est suspendu" in warning
    assert 'data-status="active">Actif' in text


async def test_a_lost_dispute_asks_for_a_new_method_in_the_portal(billing: httpx.AsyncClient) -> None:
    text = await page_text(billing, "de")

    lost = text.split('data-testid="dispute-lost">', 1)[1].split("</div>", 1)[0]
    assert "3,80\xa0€" in lost and "August 2026" in lost and "Nachbelastungsrechnung" in lost
    assert 'data-status="disputed">Angefochten' in text
    call = text.split('data-testid="new-method-needed">', 1)[1].split("</section>", 1)[0]
    assert 'action="/billing/portal"' in call and "Neue Zahlungsmethode hinzufügen" in call
    assert "im Stripe-Kundenportal" in call


async def test_paid_invoices_have_receipts_hosted_page_and_pdf(
    billing: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    upstreams.answer(
        "invoicing",
        "GET",
        f"{BASE}/invoices",
        {
            "account_id": ACCOUNT,
            "invoices": [
                {
                    "invoice_id": "ours-in_paid",
                    "stripe_invoice_id": "in_paid",
                    "service": "registered",
                    "period": "2026-09",
                    "state": "paid",
                    "letters": 1,
                    "amount_cents": 420,
                    "currency": "eur",
                    "issued_at": "2026-10-01T00:05:00+00:00",
                }
            ],
        },
    )
    text = await page_text(billing, "fr")

    receipts = text.split('data-testid="receipts"', 1)[1].split("</section>", 1)[0]
    assert "Factures payées" in receipts and "septembre 2026" in receipts and "4,20\xa0€" in receipts
    assert "1 oct. 2026" in receipts  # paid on, Paris time
    assert '<a href="https://stripe.test/invoice/in_paid" target="_blank" rel="noopener">Reçu</a>' in receipts
    assert (
        '<a href="https://stripe.test/invoice/in_paid/pdf" target="_blank" rel="noopener">Reçu (PDF)</a>'
        in receipts
    )
    # invoicing's list links the same receipt, as payments knows it
    listed = text.split('data-testid="invoices"', 1)[1]
    assert 'href="https://stripe.test/invoice/in_paid" target="_blank" rel="noopener">Reçu</a>' in listed
    assert 'href="https://stripe.test/invoice/in_paid/pdf"' in listed


# --- the same page in a real headless Chromium (a browser needs a socket) ---

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


async def test_the_billing_page_says_sepa_disputes_and_receipts_in_french(
    console: str, page: Any, upstreams: Upstreams
) -> None:
    """In Chromium: photographed into test-artifacts/ and checked with axe-core (nothing serious)."""
    expect = pytest.importorskip("playwright.async_api").expect
    axe_module = pytest.importorskip("axe_playwright_python.async_playwright", reason="in the dev group")
    upstreams.answer("payments", "GET", f"{BASE}/billing", OVERVIEW)
    upstreams.answer("invoicing", "GET", f"{BASE}/invoices", {"account_id": ACCOUNT, "invoices": []})
    await page.goto(f"{console}/sign-in")
    await page.get_by_label("Identifiant du compte").fill(ACCOUNT)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Paiement")

    await expect(page.get_by_test_id("payment-method")).to_contain_text("Prélèvement SEPA •••• 3000")
    await expect(page.get_by_test_id("payment-contested")).to_contain_text("est contesté")
    await expect(page.get_by_test_id("recovery-invoice")).to_have_text("Facture de régularisation")
    await expect(page.get_by_role("button", name="Ajouter un nouveau moyen de paiement")).to_be_visible()
    await expect(page.get_by_role("link", name="Reçu (PDF)")).to_have_attribute(
        "href", "https://stripe.test/invoice/in_paid/pdf"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "billing-sepa-disputes-fr.png"), full_page=True)
    violations = (await axe_module.Axe().run(page)).response["violations"]
    found = [(v["id"], v["impact"]) for v in violations]
    (ARTIFACTS / "axe-billing-sepa-disputes-fr.json").write_text(json.dumps(found, indent=2))
    assert [f for f in found if f[1] in ("serious", "critical")] == []
