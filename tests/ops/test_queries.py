"""Every dashboard and alert query is valid PromQL and uses only metrics our code exports."""

from __future__ import annotations

import json
import subprocess

from ops_support import (
    PROMETHEUS_OWN,
    alert_rules,
    dashboard_queries,
    declared_metrics,
    exported_series_names,
    metric_names,
    plain_promql,
    require_tool,
)

#: Declared in code but recorded nowhere yet, so no panel or alert may use them (see the report).
NOT_RECORDED_YET: frozenset[str] = frozenset()


def test_dashboards_have_queries():
    assert len(list(dashboard_queries())) > 40


def test_every_dashboard_query_is_valid_promql(tmp_path):
    """promtool parses each query as a recording rule (JSON is YAML, so no YAML writer is needed)."""
    queries = list(dashboard_queries())
    rules = [
        {"record": f"autoletter:dashboard_check:{i}", "expr": plain_promql(expr)}
        for i, (*_, expr) in enumerate(queries)
    ]
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(json.dumps({"groups": [{"name": "dashboard-queries", "rules": rules}]}), encoding="utf-8")
    result = subprocess.run(
        [require_tool("promtool"), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_query_is_caught(tmp_path):
    path = tmp_path / "broken.yml"
    rules = [{"record": "autoletter:broken", "expr": "sum by (service (autoletter_outbox_backlog)"}]
    path.write_text(json.dumps({"groups": [{"name": "broken", "rules": rules}]}), encoding="utf-8")
    result = subprocess.run(
        [require_tool("promtool"), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0


def test_no_panel_points_at_a_metric_nobody_exports():
    exported = exported_series_names() | PROMETHEUS_OWN
    unknown = {
        (dashboard, title, name)
        for dashboard, title, expr in dashboard_queries()
        for name in metric_names(plain_promql(expr))
        if name not in exported
    }
    assert unknown == set()


def test_no_alert_watches_a_metric_nobody_exports():
    exported = exported_series_names() | PROMETHEUS_OWN
    unknown = {
        (path, rule.get("alert") or rule.get("record"), name)
        for path, rule in alert_rules()
        for name in metric_names(rule["expr"])
        if name not in exported
    }
    assert unknown == set()


def test_every_recorded_metric_is_on_a_dashboard():
    """A metric a service records but nobody looks at is a promise nobody checks."""
    used = {name for *_, expr in dashboard_queries() for name in metric_names(plain_promql(expr))}
    families = set(declared_metrics()) - NOT_RECORDED_YET
    uncharted = {f for f in families if not any(u == f or u.startswith(f + "_") for u in used)}
    assert uncharted == set()


def test_the_inventory_sees_the_runtime_and_every_service():
    declared = declared_metrics()
    assert declared["autoletter_consumer_lag_messages"] == "Gauge"
    assert declared["autoletter_messages_consumed"] == "Counter"
    assert declared["autoletter_handler_duration_seconds"] == "Histogram"
    assert {"payments_stripe_webhooks", "letters_letters", "invoicing_unbilled_amount_cents"} <= set(declared)
    exported = exported_series_names()
    assert {"autoletter_messages_consumed_total", "autoletter_handler_duration_seconds_bucket"} <= exported
    assert "autoletter_messages_consumed" not in exported


def test_metric_names_are_told_apart_from_functions_labels_and_keywords():
    expr = (
        "sum by (service, group) (max by (service, group, topic, partition) "
        '(delta(lag_messages{a="b"}[10m])))'
        " > 0 unless on (service) rate(handled_total[5m]) > 0 and on () (day_of_month() - 1) * 24 >= 30"
        ' or other_metric offset 1h or {__name__="by_name"} or 1.2e3 * vector(0)'
    )
    assert metric_names(expr) == {"lag_messages", "handled_total", "other_metric", "by_name"}
