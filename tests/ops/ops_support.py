"""What the ops tests share: where things are, which metrics the code exports, what a query uses."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
RULES_DIR = DEPLOY / "prometheus" / "rules"
RULE_TESTS_DIR = DEPLOY / "prometheus" / "tests"
DASHBOARDS_DIR = DEPLOY / "grafana" / "dashboards"
SERVICES = ("profile", "payments", "letters", "invoicing")

#: Series Prometheus makes itself (not exported by our code).
PROMETHEUS_OWN = frozenset({"up", "ALERTS", "ALERTS_FOR_STATE"})

#: Values for Grafana's macros so a dashboard query is plain PromQL.
GRAFANA_MACROS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


def require_tool(name: str) -> str:
    """The tool's path; missing is a skip on a developer's machine and a failure in CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian: apt-get install -y prometheus)"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI must install it")
        pytest.skip(message)
    return path


def require_module(name: str, why: str) -> Any:
    """Import a test-only dependency or skip, saying what is missing."""
    return pytest.importorskip(name, reason=f"{name} is not installed in the workspace: {why}")


# --- what the code exports --------------------------------------------------------------------

_DECLARATION = re.compile(r"\b(Counter|Gauge|Histogram|Summary)\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"", re.S)
_SUFFIXES = {
    "Counter": ("_total", "_created"),
    "Gauge": ("",),
    "Histogram": ("_bucket", "_sum", "_count", "_created"),
    "Summary": ("", "_sum", "_count", "_created"),
}


def declared_metrics(roots: tuple[Path, ...] = (REPO / "libs", REPO / "services")) -> dict[str, str]:
    """Metric family name -> kind, from every prometheus_client declaration in the sources (tests
    excluded). Counter families are named without ``_total``, as prometheus_client does."""
    found: dict[str, str] = {}
    for root in roots:
        for path in root.rglob("*.py"):
            if "tests" in path.relative_to(root).parts or ".venv" in path.parts:
                continue
            for kind, name in _DECLARATION.findall(path.read_text(encoding="utf-8")):
                family = name.removesuffix("_total") if kind == "Counter" else name
                found[family] = kind
    return found


def exported_series_names(declared: dict[str, str] | None = None) -> set[str]:
    """The sample names a scrape of our services can contain."""
    names: set[str] = set()
    for family, kind in (declared if declared is not None else declared_metrics()).items():
        names.update(family + suffix for suffix in _SUFFIXES[kind])
    return names


# --- what a query uses ----------------------------------------------------------------------

_KEYWORDS = frozenset(
    {
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "inf",
        "nan",
        "start",
        "end",
    }
)
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\[\]]*\]")
_GROUPINGS = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENT = re.compile(r"(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")
_NAME_MATCHER = re.compile(r'__name__\s*=\s*"([^"]+)"')


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (functions, keywords, labels and numbers left out)."""
    names = set(_NAME_MATCHER.findall(expr))
    text = _STRINGS.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGES.sub(" ", text)
    text = _GROUPINGS.sub(" ", text)
    for ident, call in _IDENT.findall(text):
        if call or ident.lower() in _KEYWORDS:
            continue
        names.add(ident)
    return names


def plain_promql(expr: str) -> str:
    """A dashboard query with Grafana's macros replaced by values."""
    for macro, value in GRAFANA_MACROS.items():
        expr = expr.replace(macro, value)
    return expr


# --- where the queries are ------------------------------------------------------------------


def dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(DASHBOARDS_DIR.glob("*.json"))}


def dashboard_queries() -> Iterator[tuple[str, str, str]]:
    """(dashboard file, panel title, expr) for every target of every panel."""
    for name, dash in dashboards().items():
        for panel in dash.get("panels", []):
            for inner in [panel, *panel.get("panels", [])]:
                for target in inner.get("targets", []):
                    yield name, inner.get("title", "?"), target["expr"]


def alert_rules() -> Iterator[tuple[str, dict[str, Any]]]:
    """(rules file, rule) for every alerting and recording rule."""
    yaml = require_module("yaml", "ask for pyyaml in the workspace dev group")
    for path in sorted(RULES_DIR.glob("*.yml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                yield path.name, rule


# --- the services' settings ------------------------------------------------------------------


def settings_class(service: str) -> Any:
    """The pydantic-settings class of one service (``autoletter.<service>.settings``)."""
    from autoletter.runtime.settings import ServiceSettings

    module = importlib.import_module(f"autoletter.{service}.settings")
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, ServiceSettings)
            and value is not ServiceSettings
            and value.service_name == service
        ):
            return value
    raise LookupError(f"no ServiceSettings subclass for {service}")


def settings_env_names(service: str) -> set[str]:
    """Every environment variable name the service reads: AUTOLETTER_<FIELD> and <SERVICE>_<FIELD>."""
    fields = settings_class(service).model_fields
    return {
        f"{prefix}{field.upper()}" for field in fields for prefix in ("AUTOLETTER_", f"{service.upper()}_")
    }
