"""The catalogs are complete: every string of the pages, every code the services send, in each language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from autoletter.console import i18n, words
from autoletter.contracts.common import ProfileField, Service, ServiceStatus
from autoletter.contracts.letters import LetterReason
from autoletter.contracts.payments import StatusReason
from autoletter.invoicing.domain.invoice_state import InvoiceState as InvoicingState
from autoletter.letters.domain.model import LetterStatus
from autoletter.payments.domain.invoices import InvoiceState as PaymentsInvoiceState

CONSOLE = Path(__file__).resolve().parents[1]
PACKAGE = CONSOLE / "src" / "autoletter" / "console"
REPOSITORY = CONSOLE.parents[1]
#: How the services name their errors: `ApiError(409, "code", …)` and `error_body("code", …)`.
ERROR_CODE = re.compile(r'(?:ApiError\(\s*\d{3},\s*|error_body\(\s*)"([a-z_]+)"')


def _catalog(locale: str) -> dict[str, str]:
    with i18n.catalog_path(locale).open("rb") as po:
        return {str(m.id): str(m.string) for m in read_po(po) if m.id and not m.fuzzy}


CATALOGS = {locale: _catalog(locale) for locale in i18n.LOCALES}


def _source_messages() -> set[str]:
    with (CONSOLE / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    return {
        str(message)
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), method_map, options_map, keywords={"_": None, "gettext": None, "N_": None}
        )
    }


def service_error_codes() -> set[str]:
    """Every error code the services and their shared runtime can answer with, read from their code."""
    roots = [*REPOSITORY.glob("services/*/src"), REPOSITORY / "libs" / "runtime" / "src"]
    return {code for root in roots for f in root.rglob("*.py") for code in ERROR_CODE.findall(f.read_text())}


def _missing_translations(messages: set[str]) -> dict[str, list[str]]:
    return {
        locale: sorted(m for m in messages if not catalog.get(m))
        for locale, catalog in CATALOGS.items()
        if any(not catalog.get(m) for m in messages)
    }


def test_every_string_of_the_pages_is_translated_in_each_language() -> None:
    messages = _source_messages()

    assert len(messages) > 150  # the extraction found the templates
    assert _missing_translations(messages) == {}, "run pybabel extract/update (tools/console/babel.cfg)"


ENUMERATED = [
    ("service", [s.value for s in Service]),
    ("service_status", [s.value for s in ServiceStatus]),
    ("status_reason", [r.value for r in StatusReason]),
    ("letter_status", [s.value for s in LetterStatus]),
    ("letter_reason", [r.value for r in LetterReason]),
    ("invoice_state", [s.value for s in (*InvoicingState, *PaymentsInvoiceState)]),
    ("missing", [f.value for f in ProfileField] + ["payment_method"]),
]


@pytest.mark.parametrize(("family", "codes"), ENUMERATED, ids=[f for f, _ in ENUMERATED])
def test_every_code_of_the_contracts_has_words_in_each_language(family: str, codes: list[str]) -> None:
    table = words.FAMILIES[family]

    assert [c for c in codes if c not in table] == [], f"add these {family} codes to console/words.py"
    assert _missing_translations({table[c] for c in codes}) == {}


def test_every_error_code_the_services_return_has_words_in_each_language() -> None:
    codes = service_error_codes()

    assert {"profile_incomplete", "prerequisites_missing", "validation_error"} <= codes  # the scan works
    assert sorted(codes - words.ERROR.keys()) == [], "add these error codes to console/words.py"
    assert _missing_translations(set(words.ERROR.values())) == {}


def test_every_entry_and_generic_sentence_is_translated() -> None:
    every = {m for table in words.FAMILIES.values() for m in table.values()} | set(words.GENERIC.values())

    assert _missing_translations(every) == {}


def test_an_unknown_code_reads_as_its_familys_generic_sentence_never_as_the_code() -> None:
    french = i18n.compile_catalog("fr")
    say = words.sayer(french.gettext)

    assert say("decline", "card_velocity_exceeded") == "Le paiement a été refusé."
    assert say("decline", "insufficient_funds") == "Le compte n'était pas suffisamment approvisionné."
    assert say("status_reason", "something_new") == "Le statut a changé."
    assert say("error", "teapot") == "Un problème est survenu. Veuillez réessayer dans un instant."


def _glossary() -> list[tuple[str, str, str]]:
    rows = []
    for line in (CONSOLE / "GLOSSARY.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 3 and cells[0] not in ("English (msgid)", "---"):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def test_the_catalogs_use_the_glossarys_words() -> None:
    rows = _glossary()

    assert ("Billing", "Paiement", "Zahlung") in rows
    wrong = [
        (english, locale, CATALOGS[locale].get(english), wanted)
        for english, fr, de in rows
        for locale, wanted in (("fr", fr), ("de", de))
        if CATALOGS[locale].get(english) != wanted
    ]
    assert wrong == []


def test_the_article_s_own_words_are_on_the_french_pages() -> None:
    french = CATALOGS["fr"]

    assert french["Settings"] == "Paramètres"
    assert french["Billing"] == "Paiement"
    assert french["Add a payment method"] == "Ajouter un moyen de paiement"
    assert french["Overdue"] == "Overdue"
