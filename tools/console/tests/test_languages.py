"""Which language a person gets, and how amounts, moments and months read in it."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from autoletter.console import i18n
from autoletter.console.formatting import Formatter, countries
from autoletter.console.testing import Upstreams, sign_in


@pytest.mark.parametrize(
    ("cookie", "header", "chosen"),
    [
        (None, None, "fr"),
        (None, "de-DE,de;q=0.9,en;q=0.8", "de"),
        (None, "en-GB,en;q=0.9", "en"),
        (None, "es-ES, it;q=0.5", "fr"),  # nothing we speak: French
        (None, "fr;q=0.2, de;q=0.8", "de"),  # by quality, not by order
        ("en", "de-DE", "en"),  # the switch wins
        ("xx", "de-DE", "de"),  # a cookie we do not know is ignored
    ],
)
def test_the_switch_then_the_browser_then_french(cookie: str | None, header: str | None, chosen: str) -> None:
    assert i18n.choose_locale(cookie, header) == chosen


def test_amounts_come_from_integer_cents_in_the_readers_format() -> None:
    assert Formatter("fr").money(190, "eur") == "1,90\xa0€"
    assert Formatter("de").money(420, "eur") == "4,20\xa0€"
    assert Formatter("en").money(95, "eur") == "€0.95"
    assert Formatter("fr").money(None) == "—"


def test_moments_are_shown_in_paris_time_and_periods_as_month_names() -> None:
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # already 1 December in Paris

    assert Formatter("fr").when(late.isoformat()) == "1 déc. 2026, 00:30"
    assert Formatter("de").when(late) == "1. Dez. 2026, 00:30"
    assert Formatter("fr").month("2026-11") == "novembre 2026"  # its billing month stays November
    assert Formatter("de").month("2026-03") == "März 2026"


def test_countries_are_iso_codes_named_in_the_readers_language() -> None:
    french, german = dict(countries("fr")), dict(countries("de"))

    assert french["DE"] == "Allemagne"
    assert german["FR"] == "Frankreich"
    assert len(french) > 240 and all(len(code) == 2 and code.isupper() for code in french)
    names = [name for _, name in countries("fr")]
    assert names.index("Égypte") < names.index("France")  # accents do not send names to the end


async def test_each_language_has_its_own_environment(browser: httpx.AsyncClient) -> None:
    environments = browser._transport.app.state.console.templates  # type: ignore[attr-defined]

    assert set(environments) == {"fr", "de", "en"}
    assert len({id(t.env) for t in environments.values()}) == 3


async def test_the_switch_keeps_the_choice_in_a_cookie_and_returns_to_the_page(
    browser: httpx.AsyncClient, upstreams: Upstreams
) -> None:
    await sign_in(browser, "acct-lang")
    upstreams.answer("profile", "GET", "/v1/accounts/acct-lang/profile", {"complete": False, "missing": []})

    switched = await browser.post("/language", data={"lang": "de", "next": "/settings"})
    page = await browser.get("/settings")
    elsewhere = await browser.post("/language", data={"lang": "fr", "next": "https://evil.example/"})

    assert switched.status_code == 303 and switched.headers["location"] == "/settings"
    assert '<html lang="de">' in page.text
    assert "<h1>Einstellungen</h1>" in page.text
    assert elsewhere.headers["location"] == "/"  # never an open redirect


async def test_accept_language_chooses_when_there_is_no_switch(browser: httpx.AsyncClient) -> None:
    german = await browser.get("/sign-in", headers={"Accept-Language": "de-AT,de;q=0.9"})
    french = await browser.get("/sign-in", headers={"Accept-Language": "pt-BR"})

    assert '<html lang="de">' in german.text and "Anmelden" in german.text
    assert '<html lang="fr">' in french.text and "Se connecter" in french.text


async def test_a_favicon_is_served(browser: httpx.AsyncClient) -> None:
    icon = await browser.get("/favicon.ico", follow_redirects=True)

    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")


async def test_an_unknown_address_is_a_page_in_the_readers_language(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/nowhere", headers={"Accept-Language": "de"})

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Das haben wir nicht gefunden." in page.text
