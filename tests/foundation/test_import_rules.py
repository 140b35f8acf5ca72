"""The domain-purity rule in .importlinter is an allow-list written as a forbidden list: it must name every
third-party package of the locked environment except the pure value libraries a domain may use."""

from __future__ import annotations

import configparser
import importlib.metadata
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PURE_VALUE_LIBRARIES = {"pycountry", "email_validator"}


def third_party_top_level_modules() -> set[str]:
    return {
        module
        for module, distributions in importlib.metadata.packages_distributions().items()
        if module.isidentifier()
        and not module.startswith("_")
        and "__mypyc" not in module  # a compiled helper of tomli's, not importable by name
        and module not in sys.stdlib_module_names
        and not any(d.startswith("autoletter") for d in distributions)
    }


def test_every_third_party_package_is_forbidden_in_a_domain_but_the_pure_value_libraries() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    forbidden = set(config["importlinter:contract:domain-pure"]["forbidden_modules"].split())

    missing = sorted(third_party_top_level_modules() - PURE_VALUE_LIBRARIES - forbidden)

    assert not missing, f"add to domain-pure's forbidden_modules in .importlinter: {missing}"
    assert not PURE_VALUE_LIBRARIES & forbidden
