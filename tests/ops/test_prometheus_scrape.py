"""A real Prometheus scrapes the running system after a customer journey: every alert rule and every
dashboard query runs without error, and every metric they name is exported by one of the services.

The static checks (test_queries.py) read the metric declarations in the code; this one asks the
processes themselves, so a metric declared but never registered, or named differently once exported
(``_total``, ``_bucket``), shows up here.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ops_support import (
    PROMETHEUS_OWN,
    REPO,
    RULES_DIR,
    alert_rules,
    dashboard_queries,
    metric_names,
    plain_promql,
    require_module,
    require_tool,
)
from prometheus_client.parser import text_string_to_metric_families

from autoletter.devstack.process import ServerProcess, free_port
from autoletter.runtime.testing import wait_for

# The e2e system and its journey steps live beside the e2e tests (importlib mode: no package path).
sys.path.insert(0, str(REPO / "tests" / "e2e"))

import journeys as j
from system import SERVICES, System, running_system

#: Counters a good-card journey has no reason to touch: their labelled samples appear with the first
#: rare event (a handler retry, a dead letter, a duplicate delivery, a relay error, a Stripe retry,
#: an outage, an event type or reason value from a newer producer).
#: They must still be registered, which the exposition shows as ``# HELP`` before any sample.
MAY_HAVE_NO_SAMPLES_YET = frozenset(
    {
        "autoletter_consumer_outage_seconds",
        "autoletter_dead_letters_total",
        "autoletter_duplicates_skipped_total",
        "autoletter_handler_failures_total",
        "autoletter_unknown_events_total",
        "autoletter_unknown_values_total",
        "autoletter_handler_retries_total",
        "autoletter_outbox_relay_errors_total",
        "invoicing_stripe_retries_total",
    }
)
#: The services read their gauges from the database every 15 s (payments' period is not configurable).
GAUGE_REFRESH_S = 15
_SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


@pytest.fixture(scope="module")
def system(
    server_workdir: Path, database_url: str, kafka_bootstrap: str, stripe_api_base: str
) -> Iterator[System]:
    with running_system(server_workdir, database_url, kafka_bootstrap, stripe_api_base) as running:
        yield running


@pytest.fixture(scope="module")
async def journey(system: System) -> str:
    """One account through the good-card journey, so the usual metrics have samples."""
    account = f"acc-{time.time_ns():x}"
    await j.complete_profile(system, account)
    await j.add_card(system, account, j.GOOD_CARD)
    await j.activate(system, account, "standard")
    await j.send_letter(system, account)
    await j.events(system, "letters.events", account, "LetterSent")
    # and the month's close, so invoicing talks to Stripe and its close metrics have samples
    period = j.period_of(j.now(system))
    await j.consumer_caught_up(system, "invoicing.usage", "letters.events")  # the ledger has the letter
    await j.advance_past(system, j.next_month_start(j.now(system)))
    await j.close_period(system, period)
    return account


def prometheus_config(system: System) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with the system's ports, a 1 s scrape and the rules by path."""
    yaml = require_module("yaml", "ask for pyyaml in the workspace dev group")
    config = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(path) for path in sorted(RULES_DIR.glob("*.yml"))]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == set(SERVICES), "prometheus.yml scrapes another set of jobs than the services"
    for name, job in jobs.items():
        job["static_configs"] = [{"targets": [system.urls[name].removeprefix("http://")]}]
    return config


@pytest.fixture(scope="module")
def prometheus(system: System, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus scraping the system; yields its API base URL."""
    binary = require_tool("prometheus")
    yaml = require_module("yaml", "ask for pyyaml in the workspace dev group")
    work = tmp_path_factory.mktemp("prometheus")
    config = work / "prometheus.yml"
    config.write_text(yaml.safe_dump(prometheus_config(system)), encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}"
    argv = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={work / 'data'}",
        f"--web.listen-address={url.removeprefix('http://')}",
    ]
    server = ServerProcess("prometheus", argv, work / "prometheus.log")
    try:
        server.wait_until(lambda: _answers(f"{url}/-/ready"), 60, "ready")
        yield url
    finally:
        server.stop()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


async def api(prometheus: str, path: str, **params: str) -> Any:
    async with httpx.AsyncClient(base_url=prometheus, timeout=10) as client:
        response = await client.get(f"/api/v1/{path}", params=params)
    payload = response.json()
    assert payload["status"] == "success", f"{path} {params}: {payload}"
    return payload["data"]


@pytest.fixture(scope="module")
async def scraping(prometheus: str, journey: str) -> str:
    """Prometheus once every service is an `up` target, after the journey."""

    async def all_up() -> bool:
        targets = (await api(prometheus, "targets"))["activeTargets"]
        return {t["labels"]["job"] for t in targets if t["health"] == "up"} == set(SERVICES)

    await wait_for(all_up, 30, "Prometheus to scrape all four services")
    return prometheus


async def test_prometheus_scrapes_all_four_services(scraping: str) -> None:
    targets = (await api(scraping, "targets"))["activeTargets"]
    assert sorted((t["labels"]["job"], t["health"], t["lastError"]) for t in targets) == sorted(
        (name, "up", "") for name in SERVICES
    )


async def test_every_alert_rule_evaluates_without_error(scraping: str) -> None:
    async def rules() -> list[dict[str, Any]]:
        groups = (await api(scraping, "rules"))["groups"]
        return [rule for group in groups for rule in group["rules"]]

    async def all_evaluated() -> bool:
        return all(rule["health"] != "unknown" for rule in await rules())

    await wait_for(all_evaluated, 30, "Prometheus to evaluate every rule")
    loaded = await rules()
    assert len(loaded) == len(list(alert_rules()))
    assert [(r["name"], r["health"], r.get("lastError", "")) for r in loaded if r["health"] != "ok"] == []
    for _, rule in alert_rules():
        await api(scraping, "query", query=rule["expr"])  # fails on an error, with the rule's query


async def test_every_dashboard_query_runs_without_error(scraping: str) -> None:
    failures = []
    for dashboard, title, expr in dashboard_queries():
        async with httpx.AsyncClient(base_url=scraping, timeout=10) as client:
            payload = (await client.get("/api/v1/query", params={"query": plain_promql(expr)})).json()
        if payload["status"] != "success":
            failures.append((dashboard, title, payload.get("error")))
    assert failures == []


async def test_every_metric_a_panel_or_alert_names_is_exported_after_a_journey(
    system: System, scraping: str
) -> None:
    named = {n for *_, expr in dashboard_queries() for n in metric_names(plain_promql(expr))}
    named |= {n for _, rule in alert_rules() for n in metric_names(rule["expr"])}
    named -= PROMETHEUS_OWN
    sampled: set[str] = set()
    registered: set[str] = set()

    async def journey_recorded() -> bool:
        nonlocal sampled, registered
        sampled, registered = await exposition(system)
        return named - MAY_HAVE_NO_SAMPLES_YET <= sampled

    try:  # the gauges show the journey after their next refresh
        await wait_for(journey_recorded, GAUGE_REFRESH_S + 15, "the journey in the services' /metrics")
    except AssertionError:
        never_exported = {n for n in named if n not in sampled and not {n, _family(n)} & registered}
        assert never_exported == set(), "panels or alerts use metrics no service registers"
        assert named - MAY_HAVE_NO_SAMPLES_YET - sampled == set(), "a journey should have recorded these"
    rare = named & MAY_HAVE_NO_SAMPLES_YET
    assert {n for n in rare if n not in sampled and not {n, _family(n)} & registered} == set()

    expected = named & sampled
    stored: set[str] = set()

    async def stored_in_prometheus() -> bool:
        nonlocal stored
        stored = set(await api(scraping, "label/__name__/values"))
        return expected <= stored

    try:
        await wait_for(stored_in_prometheus, 30, "Prometheus to store every exported metric")
    except AssertionError:
        assert expected - stored == set(), "exported by a service but not in Prometheus"


async def exposition(system: System) -> tuple[set[str], set[str]]:
    """(sample names, registered family names) over every service's /metrics."""
    sampled: set[str] = set()
    registered: set[str] = set()
    async with httpx.AsyncClient(timeout=10) as client:
        for name in SERVICES:
            response = await client.get(f"{system.urls[name]}/metrics")
            assert response.status_code == 200, f"{name}: {response.status_code}"
            for family in text_string_to_metric_families(response.text):
                registered.add(family.name)
                sampled.update(sample.name for sample in family.samples)
    return sampled, registered


def _family(name: str) -> str:
    """The family of a sample name, as the exposition parser names it (counters without _total)."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name
