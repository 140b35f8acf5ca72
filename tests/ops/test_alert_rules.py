"""The alert rules are valid, each one is tested by promtool, and those tests can fail."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ops_support import DEPLOY, RULE_TESTS_DIR, RULES_DIR, SERVICES, alert_rules, require_module, require_tool


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("promtool"), *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def test_alert_rules_are_valid_prometheus_rules():
    result = promtool("check", "rules", *sorted(RULES_DIR.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_behaves_as_its_promtool_cases_say():
    result = promtool("test", "rules", *sorted(RULE_TESTS_DIR.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_expectation_makes_the_promtool_cases_fail(tmp_path):
    """The harness bites: the same case expecting another value fails."""
    case = (RULE_TESTS_DIR / "messaging.test.yml").read_text(encoding="utf-8")
    wrong = case.replace("falling behind: 300 messages", "falling behind: 299 messages")
    assert wrong != case
    wrong = wrong.replace("../rules/", f"{RULES_DIR}/")
    path = tmp_path / "wrong.test.yml"
    path.write_text(wrong, encoding="utf-8")
    result = promtool("test", "rules", path)
    assert result.returncode != 0
    assert "299 messages" in result.stdout + result.stderr


def test_every_alert_has_a_case_that_fires_and_one_that_stays_silent():
    yaml = require_module("yaml", "ask for pyyaml in the workspace dev group")
    alerts = {rule["alert"] for _, rule in alert_rules() if "alert" in rule}
    fires: set[str] = set()
    silent: set[str] = set()
    for path in RULE_TESTS_DIR.glob("*.yml"):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for check in case.get("alert_rule_test", []):
                (fires if check.get("exp_alerts") else silent).add(check["alertname"])
    assert alerts, "no alert rules found"
    assert alerts - fires == set(), "alerts without a case where they fire"
    assert alerts - silent == set(), "alerts without a case where they stay silent"


def test_the_issue_asks_for_these_alerts():
    names = {rule.get("alert") for _, rule in alert_rules()}
    assert {
        "ConsumerLagGrowing",
        "OutboxBacklogStale",
        "DeadLettersAppeared",
        "WebhookSignatureFailuresSpiking",
        "MonthlyCloseLate",
        "OverdueServicesRisingSharply",
        "ServiceDown",
    } <= names


def test_every_alert_says_how_bad_and_what_to_do():
    for path, rule in alert_rules():
        if "alert" in rule:
            assert rule["labels"]["severity"] in {"warning", "critical"}, (path, rule["alert"])
            assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


def test_prometheus_configs_are_valid():
    for config in ("prometheus.yml", "prometheus.compose.yml"):
        result = promtool("check", "config", DEPLOY / "prometheus" / config)
        assert result.returncode == 0, result.stdout + result.stderr


def test_loopback_prometheus_scrapes_each_service_on_its_configured_port():
    from ops_support import settings_class

    text = (DEPLOY / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
    jobs = dict(
        re.findall(r"job_name: (\w+)\s+static_configs:\s+- targets: \[\"127\.0\.0\.1:(\d+)\"\]", text)
    )
    assert jobs == {s: str(settings_class(s).model_fields["http_port"].default) for s in SERVICES}
    assert "rules/*.yml" in text
