"""What a payer expects to see, in French: a failed payment explained, the wait after Checkout, a
confirmation before switching off, warnings before sending, a letter's history and price."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import httpx
import pytest

from autoletter.console.testing import Upstreams, sign_in

# importlib mode keeps test directories off sys.path; the neighbouring pages' fixtures are reused.
sys.path.insert(0, str(Path(__file__).parent))
from test_billing_page import INVOICES, OVERVIEW
from test_letters_page import HELD_ID, LETTERS

ACCOUNT_BILLING = "acct-billing"
ACCOUNT_LETTERS = "acct-letters"
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


@pytest.fixture
async def payer(browser: httpx.AsyncClient, upstreams: Upstreams) -> httpx.AsyncClient:
    await sign_in(browser, ACCOUNT_BILLING)
    upstreams.answer("payments", "GET", f"/v1/accounts/{ACCOUNT_BILLING}/billing", OVERVIEW)
    browser.headers.update(FRENCH)
    return browser


async def test_a_failed_payment_says_how_much_why_what_happens_next_and_how_to_pay(
    payer: httpx.AsyncClient,
) -> None:
    page = await payer.get("/billing")

    banner = page.text.split('data-testid="payment-failed"')[1].split("</div>\n</div>")[0]
    assert "Le paiement de 2,85\xa0€ pour Lettre standard (février 2026) a échoué." in banner
    assert "Votre banque a refusé le paiement." in banner  # Stripe's card_declined, in words
    assert "le statut du service est « Overdue »" in banner
    assert 'href="https://invoice.stripe.test/i/in_1"' in banner
    assert "Changer de moyen de paiement" in banner
    assert "card_declined" not in page.text
    method = page.text.split('data-testid="payment-method"')[1].split("</section>")[0]
    assert 'data-status="payment_failed">Paiement échoué</span>' in method  # not a green "Actif"


async def test_an_unknown_decline_code_reads_as_a_generic_sentence(
    payer: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    overview = copy.deepcopy(OVERVIEW)
    overview["outstanding_invoices"][0].update(failure_code="card_velocity_exceeded", failed_for_good=False)
    overview["outstanding_invoices"][0]["next_attempt_at"] = "2026-03-04T23:30:00+00:00"
    upstreams.answer("payments", "GET", f"/v1/accounts/{ACCOUNT_BILLING}/billing", overview)

    page = await payer.get("/billing")

    assert "Le paiement a été refusé." in page.text
    assert "Stripe réessaiera le 5 mars 2026, 00:30." in page.text  # Paris time
    assert "card_velocity_exceeded" not in page.text


async def test_after_checkout_the_page_waits_for_stripe_s_confirmation(
    payer: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    upstreams.answer(
        "payments", "GET", f"/v1/accounts/{ACCOUNT_BILLING}/billing", {**OVERVIEW, "payment_method": None}
    )

    page = await payer.get("/billing?setup=success")
    waiting = await payer.get("/billing/payment-method/status")
    upstreams.answer("payments", "GET", f"/v1/accounts/{ACCOUNT_BILLING}/billing", OVERVIEW)
    confirmed = await payer.get("/billing/payment-method/status")

    assert "Stripe confirme votre moyen de paiement ; cette page se met à jour toute seule." in page.text
    assert 'data-wait="30"' in page.text and "await-method.js" in page.text
    assert "Pas encore de moyen de paiement" in page.text  # but no contradicting "thank you, added"
    assert waiting.json() == {"confirmed": False, "answering": True}
    assert confirmed.json() == {"confirmed": True, "answering": True}


async def test_deactivating_asks_first_and_the_confirmation_changes_nothing(
    payer: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    page = await payer.get("/billing/services/standard/deactivate")

    assert page.status_code == 200
    assert "Désactiver le service Lettre standard ?" in page.text
    assert 'action="/billing/services/standard/deactivate"' in page.text
    assert (
        upstreams.calls("payments", "POST", f"/v1/accounts/{ACCOUNT_BILLING}/services/standard/deactivate")
        == []
    )
    unknown = await payer.get("/billing/services/express/deactivate")
    assert unknown.status_code == 404
    assert "avons pas trouvé ceci." in unknown.text  # a page in French, not JSON


@pytest.fixture
async def sender(browser: httpx.AsyncClient, upstreams: Upstreams) -> httpx.AsyncClient:
    await sign_in(browser, ACCOUNT_LETTERS)
    base = f"/v1/accounts/{ACCOUNT_LETTERS}"
    upstreams.answer("letters", "GET", f"{base}/letters", LETTERS)
    overview = {
        "profile": {"complete": False, "missing": ["address"]},
        "payment_method": None,
        "services": [
            {"service": "standard", "status": "overdue", "activated": True},
            {"service": "registered", "status": "inactive", "activated": False},
        ],
    }
    upstreams.answer("payments", "GET", f"{base}/billing", overview)
    browser.headers.update(FRENCH)
    return browser


async def test_before_sending_the_page_warns_of_what_would_hold_or_refuse_the_letter(
    sender: httpx.AsyncClient,
) -> None:
    page = await sender.get("/letters")

    warning = page.text.split('data-testid="send-warning"')[1].split("</div>")[0]
    assert "Votre profil est incomplet (il manque : votre adresse postale)" in warning
    assert "Il n'y a pas de moyen de paiement" in warning
    assert "Le service Lettre standard est « Overdue »" in warning
    assert "Le service Lettre recommandée n'est pas activé" in warning
    assert 'href="/settings"' in warning and 'href="/billing#service-standard"' in warning


async def test_a_letter_s_page_shows_its_history_and_its_price(
    sender: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    base = f"/v1/accounts/{ACCOUNT_LETTERS}/letters/{HELD_ID}"
    history = [
        {"status": "held", "reason": "status_pending", "at": "2026-03-31T21:59:00+00:00"},
        {"status": "sent", "reason": None, "at": "2026-03-31T22:10:00+00:00"},
    ]
    letter = {**LETTERS["items"][0], "status": "sent", "reason": None, "history": history}
    upstreams.answer("letters", "GET", base, letter)
    charge = {
        "letter_id": HELD_ID,
        "period": "2026-03",
        "amount_cents": 125,
        "letter_cents": 95,
        "extra_sheets": 2,
        "extra_sheet_cents": 15,
        "currency": "eur",
        "invoice_id": None,
    }
    upstreams.answer("invoicing", "GET", f"{base}/charge", charge)

    page = await sender.get(f"/letters/{HELD_ID}")

    assert page.status_code == 200
    assert "1 avr. 2026, 00:10" in page.text  # Paris time, April already…
    assert "1,25\xa0€, facturé pour mars 2026." in page.text  # …but March's billing month
    assert "Nous vérifions le statut du service" in page.text  # status_pending, in words
    assert "status_pending" not in page.text


async def test_a_letter_without_history_or_charge_yet_still_shows(
    sender: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    upstreams.answer(
        "letters", "GET", f"/v1/accounts/{ACCOUNT_LETTERS}/letters/{HELD_ID}", LETTERS["items"][0]
    )

    page = await sender.get(f"/letters/{HELD_ID}")

    assert page.status_code == 200
    assert "L'historique de cette lettre ne peut pas encore être affiché." in page.text
    assert "Le prix s\u2019affiche ici une fois la lettre envoyée." in page.text


async def test_invoicing_s_list_carries_stripe_s_links_where_payments_knows_them(
    payer: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    upstreams.answer("invoicing", "GET", f"/v1/accounts/{ACCOUNT_BILLING}/invoices", INVOICES)

    page = await payer.get("/billing")

    listed = page.text.split('data-testid="invoices"')[1]
    assert 'href="https://invoice.stripe.test/i/in_1"' in listed  # in_1 is outstanding in payments' view
    assert "Voir et payer" in listed
