"""The checked-in dashboards are exactly what the generator makes, and Grafana can load them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from ops_support import DASHBOARDS_DIR, DEPLOY, REPO, SERVICES, dashboards

GENERATOR = DEPLOY / "grafana" / "generate.py"


def sdk_requirement() -> str:
    match = re.search(r'SDK_REQUIREMENT = "([^"]+)"', GENERATOR.read_text(encoding="utf-8"))
    assert match, "generate.py pins the SDK in SDK_REQUIREMENT"
    return match.group(1)


def test_regenerating_the_dashboards_changes_nothing(tmp_path):
    uv = shutil.which("uv")
    if uv is None:
        if os.environ.get("CI"):
            pytest.fail("uv is needed to regenerate the dashboards")
        pytest.skip("uv is not installed")
    result = subprocess.run(
        [
            uv,
            "run",
            "--no-project",
            "--with",
            sdk_requirement(),
            "python",
            str(GENERATOR),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    generated = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.json")}
    checked_in = {p.name: p.read_text(encoding="utf-8") for p in DASHBOARDS_DIR.glob("*.json")}
    assert sorted(generated) == sorted(checked_in)
    stale = [name for name in generated if generated[name] != checked_in[name]]
    assert stale == [], (
        f"regenerate with: uv run --no-project --with '{sdk_requirement()}' python {GENERATOR}"
    )


def test_there_is_an_overview_and_one_dashboard_per_service():
    uids = {d["uid"] for d in dashboards().values()}
    assert uids == {"autoletter-overview", *(f"autoletter-{s}" for s in SERVICES)}


def test_every_panel_queries_the_chosen_prometheus():
    for name, dash in dashboards().items():
        variables = {v["name"]: v for v in dash["templating"]["list"]}
        assert variables["datasource"]["query"] == "prometheus", name
        for panel in dash["panels"]:
            if panel["type"] == "row":
                assert not panel.get("panels"), f"{name}: open rows keep their panels beside them"
                continue
            assert panel["datasource"]["uid"] == "${datasource}", (name, panel["title"])
            assert panel["targets"], (name, panel["title"])
            assert all(t["datasource"]["uid"] == "${datasource}" for t in panel["targets"])


def test_panels_have_unique_ids_and_do_not_overlap():
    for name, dash in dashboards().items():
        ids = [p["id"] for p in dash["panels"]]
        assert len(ids) == len(set(ids)), name
        taken: set[tuple[int, int]] = set()
        for panel in dash["panels"]:
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24, (name, panel["title"])
            cells = {
                (x, y)
                for x in range(pos["x"], pos["x"] + pos["w"])
                for y in range(pos["y"], pos["y"] + pos["h"])
            }
            assert not cells & taken, (name, panel["title"])
            taken |= cells


def test_every_panel_explains_itself():
    for name, dash in dashboards().items():
        for panel in dash["panels"]:
            if panel["type"] != "row":
                assert panel.get("description"), (name, panel["title"])


def test_grafana_provisioning_loads_the_generated_dashboards_from_prometheus():
    provider = (DEPLOY / "grafana" / "provisioning" / "dashboards" / "autoletter.yml").read_text(
        encoding="utf-8"
    )
    datasource = (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text(
        encoding="utf-8"
    )
    compose = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert "path: /etc/grafana/dashboards/autoletter" in provider
    assert "./grafana/dashboards:/etc/grafana/dashboards/autoletter:ro" in compose
    assert "uid: prometheus" in datasource
    assert "url: http://prometheus:9090" in datasource
