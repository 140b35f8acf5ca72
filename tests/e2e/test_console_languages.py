"""The help article's steps in the console, in French and in German, by the article's own labels.

A real Chromium in front of the whole system; every page visited is checked with axe-core (no serious or
critical violation) and photographed into test-artifacts/.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import journeys as j
import pytest
from system import System
from test_console_journey import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    console_url,  # noqa: F401 - a fixture
    letter_pdf,
    playwright_api,
    reload_until,
    visible,
)

Page = playwright_api.Page
expect = playwright_api.expect
axe_module = pytest.importorskip("axe_playwright_python.async_playwright", reason="in the dev group")

#: What the accessibility check refuses; moderate and minor findings are reported in the JSON only.
BLOCKING = ("serious", "critical")


class Visit:
    """One person's browser: each page looked at is photographed and checked by axe."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name
        self.axe = axe_module.Axe()
        self.report: list[dict[str, Any]] = []

    async def look(self, what: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        await self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{what}.png"), full_page=True)
        results = await self.axe.run(self.page)
        violations = results.response["violations"]
        self.report.append(
            {
                "page": what,
                "url": self.page.url,
                "violations": [
                    {"id": v["id"], "impact": v["impact"], "where": [n["target"] for n in v["nodes"]][:5]}
                    for v in violations
                ],
            }
        )

    def blocking(self) -> list[tuple[str, str, str | None]]:
        (ARTIFACTS / f"axe-{self.name}.json").write_text(json.dumps(self.report, indent=2))
        return [
            (r["page"], v["id"], v["impact"])
            for r in self.report
            for v in r["violations"]
            if v["impact"] in BLOCKING
        ]


async def _browser_page(chromium_path: str, tmp_path: Path, locale: str) -> AsyncIterator[Page]:
    async with playwright_api.async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / f"chromium-{locale}"),
            executable_path=chromium_path,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            locale=locale,
        )
        context.set_default_timeout(15_000)
        try:
            yield context.pages[0] if context.pages else await context.new_page()
        finally:
            await context.close()


@pytest.fixture
async def french_browser(chromium: str, tmp_path: Path) -> AsyncIterator[Page]:
    async for page in _browser_page(chromium, tmp_path, "fr-FR"):
        yield page


@pytest.fixture
async def english_browser(chromium: str, tmp_path: Path) -> AsyncIterator[Page]:
    async for page in _browser_page(chromium, tmp_path, "en-US"):
        yield page


async def nav(page: Page, label: str) -> None:
    """The left navigation, by the article's word for the page."""
    await page.get_by_role("navigation").get_by_role("link", name=label, exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(label)


async def fill_profile(page: Page, labels: dict[str, str], country: str) -> None:
    profile = j.PROFILE
    await page.get_by_label(labels["name"]).fill(profile["name"])
    await page.get_by_label(labels["line1"], exact=True).fill(profile["address"]["line1"])
    await page.get_by_label(labels["postal_code"]).fill(profile["address"]["postal_code"])
    await page.get_by_label(labels["city"]).fill(profile["address"]["city"])
    await page.get_by_label(labels["country"]).select_option(label=country)
    await page.get_by_label(labels["email"]).fill(profile["email"])


async def checkout_with_a_good_card(page: Page, system: System, add_label: str) -> None:
    """The article's steps 2-4: the button, Stripe's hosted page, back — and the page updates itself."""
    add = page.get_by_role("button", name=add_label)

    async def ready() -> bool:
        return await visible(add) and await page.get_by_test_id("profile-missing").count() == 0

    # Payments hears of the completed profile over Kafka; until then Billing still asks for it.
    await reload_until(page, ready, 30, "payments to know the profile is complete")
    await add.click()
    await page.wait_for_url(f"{system.emulator_url}/checkout/*")
    await page.locator(f"input[name='card'][value='{j.GOOD_CARD}']").check()
    await page.get_by_role("button", name="Save", exact=True).click()
    await page.wait_for_url(re.compile(r"/billing\?setup=success"))
    # No reload here: the page asks the console until the method is confirmed (30 s at most).
    await expect(page.get_by_test_id("payment-method")).to_contain_text("4242", timeout=35_000)


async def test_french_customer_follows_the_article_to_a_sent_letter(
    system: System,
    console_url: str,  # noqa: F811
    french_browser: Page,
    tmp_path: Path,
) -> None:
    page, visit = french_browser, Visit(french_browser, "fr")
    await page.goto(f"{console_url}/sign-in")
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await visit.look("0-connexion")
    await page.get_by_label("Identifiant du compte").fill(f"acc-{uuid.uuid4().hex[:10]}")
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Paiement")

    # Before the profile: the article's button is refused once, with what is missing and where to fix it.
    await page.get_by_role("button", name="Ajouter un moyen de paiement").click()
    refusal = page.get_by_role("alert")
    await expect(refusal).to_have_count(1)
    await expect(refusal).to_contain_text("Complétez d'abord votre profil.")
    await expect(refusal).to_contain_text("votre nom")
    await expect(page.get_by_test_id("profile-missing")).to_have_count(0)
    await visit.look("1-paiement-refuse")

    await nav(page, "Paramètres")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect(page.get_by_role("alert")).to_contain_text("Le formulaire est vide")
    labels = {
        "name": "Nom de la personne ou de l'entreprise",
        "line1": "Numéro et rue",
        "postal_code": "Code postal",
        "city": "Ville",
        "country": "Pays",
        "email": "E-mail pour les factures",
    }
    await fill_profile(page, labels, "France")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect(page.get_by_test_id("profile-complete")).to_have_text("Votre profil est complet.")
    await visit.look("2-parametres")

    await nav(page, "Paiement")
    await checkout_with_a_good_card(page, system, "Ajouter un moyen de paiement")
    await expect(page.get_by_role("status")).to_contain_text("Votre moyen de paiement est désormais actif")
    await expect(page.get_by_test_id("prices")).to_contain_text("0,95\xa0€")
    await visit.look("3-paiement-carte")

    standard = page.locator(".service[data-service='standard']")
    activate = standard.get_by_role("button", name="Activer")
    where_activate_was = await activate.bounding_box()
    await activate.click()
    await expect(page.get_by_role("status")).to_contain_text("Le service est activé.")
    await reload_until(page, lambda: visible(standard.locator(".pill[data-status='active']")), 30, "active")
    deactivate = await standard.get_by_role("link", name="Désactiver…").bounding_box()
    assert where_activate_was and deactivate
    assert (
        abs(deactivate["x"] - where_activate_was["x"]) > where_activate_was["width"]
    )  # not under the cursor
    await visit.look("4-service-actif")

    await nav(page, "Lettres")
    recipient = j.RECIPIENT
    await page.get_by_label("Nom", exact=True).fill(recipient["name"])
    await page.get_by_label("Numéro et rue", exact=True).fill(recipient["address"]["line1"])
    await page.get_by_label("Code postal").fill(recipient["address"]["postal_code"])
    await page.get_by_label("Ville").fill(recipient["address"]["city"])
    await page.get_by_label("Pays").select_option(label="Allemagne")
    await page.get_by_label("Fichier PDF").set_input_files(str(letter_pdf(tmp_path / "lettre.pdf")))
    await page.get_by_role("button", name="Envoyer la lettre").click()
    await page.wait_for_url("**/letters?sent=*")
    letter_id = page.url.rsplit("sent=", 1)[1]
    row = page.locator(f"tr[data-letter='{letter_id}']")
    await reload_until(page, lambda: visible(row.locator(".pill[data-status='sent']")), 60, "the letter sent")
    await expect(row.locator(".pill")).to_have_text("Envoyée")
    await visit.look("5-lettres")

    await row.get_by_role("link").first.click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Lettre à Jeanne Dupont")
    charge = page.get_by_test_id("charge")
    await reload_until(page, lambda: visible(charge.get_by_text("facturé pour")), 30, "the letter's charge")
    await expect(charge).to_contain_text("0,95\xa0€")
    history = page.get_by_test_id("history").get_by_role("listitem")
    await expect(history.last).to_contain_text("Envoyée")  # letters' history, oldest first
    await visit.look("6-lettre")

    assert visit.blocking() == []


async def test_german_customer_switches_language_and_is_warned_before_sending(
    system: System,
    console_url: str,  # noqa: F811
    english_browser: Page,
) -> None:
    page, visit = english_browser, Visit(english_browser, "de")
    await page.goto(f"{console_url}/sign-in")
    await expect(page.locator("html")).to_have_attribute("lang", "en")  # the browser asks for English
    await page.get_by_role("button", name="Deutsch").click()
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await visit.look("0-anmeldung")
    await page.get_by_label("Konto-ID").fill(f"acc-{uuid.uuid4().hex[:10]}")
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Zahlung")  # the switch is remembered
    await visit.look("1-zahlung")

    await nav(page, "Einstellungen")
    labels = {
        "name": "Name der Person oder Firma",
        "line1": "Straße und Hausnummer",
        "postal_code": "Postleitzahl",
        "city": "Ort",
        "country": "Land",
        "email": "E-Mail für Rechnungen",
    }
    await fill_profile(page, labels, "Frankreich")
    await page.get_by_role("button", name="Speichern").click()
    await expect(page.get_by_test_id("profile-complete")).to_have_text("Ihr Profil ist vollständig.")
    await visit.look("2-einstellungen")

    await nav(page, "Zahlung")
    await checkout_with_a_good_card(page, system, "Zahlungsmethode hinzufügen")
    await visit.look("3-zahlung-karte")

    await nav(page, "Briefe")
    warning = page.get_by_test_id("send-warning")
    await expect(warning).to_contain_text(
        "Standardbrief ist nicht aktiviert: solche Briefe werden abgelehnt."
    )
    await expect(warning.get_by_role("link", name="Zu Zahlung").first).to_be_visible()
    await visit.look("4-briefe-warnung")

    await nav(page, "Zahlung")
    standard = page.locator(".service[data-service='standard']")
    await standard.get_by_role("button", name="Aktivieren").click()
    await expect(page.get_by_role("status")).to_contain_text("Der Dienst ist aktiviert.")
    await standard.get_by_role("link", name="Deaktivieren…").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Standardbrief deaktivieren?")
    await visit.look("5-deaktivieren-bestaetigen")
    await page.get_by_role("button", name="Ja, deaktivieren").click()
    await expect(page.get_by_role("status")).to_contain_text("Der Dienst ist deaktiviert.")

    assert visit.blocking() == []
