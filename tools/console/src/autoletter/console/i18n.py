"""The console's languages: which one a request gets, and the catalogs compiled from the .po files."""

from __future__ import annotations

import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

#: French first: the help article is French; then German and English.
LOCALES = ("fr", "de", "en")
DEFAULT_LOCALE = "fr"
LANGUAGE_COOKIE = "autoletter_console_lang"
#: Each language named in itself, for the switch.
NATIVE_NAMES = {"fr": "Français", "de": "Deutsch", "en": "English"}
CATALOGS = Path(__file__).parent / "locales"
DOMAIN = "messages"


def catalog_path(locale: str) -> Path:
    return CATALOGS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalog(locale: str) -> gettext.GNUTranslations:
    """The .po file compiled in memory at start: no build step, and never a stale .mo."""
    with catalog_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _accepted(header: str) -> list[str]:
    """Accept-Language's languages, most wanted first (`de-CH, fr;q=0.8` → de, fr)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(ranked)]


def choose_locale(cookie: str | None, accept_language: str | None) -> str:
    """The switch's choice (cookie), else the browser's preference, else French."""
    if cookie in LOCALES:
        return cookie
    for tag in _accepted(accept_language or ""):
        language = tag.split("-")[0]
        if language in LOCALES:
            return language
    return DEFAULT_LOCALE
