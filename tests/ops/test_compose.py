"""The compose deployment is valid Compose, and every command, variable and port it uses exists in the code.

No container engine runs here, so this is what can be checked without starting it.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
from ops_support import DEPLOY, REPO, SERVICES, require_module, settings_class, settings_env_names

SCHEMA = DEPLOY / "schema" / "compose-spec.json"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    yaml = require_module("yaml", "ask for pyyaml in the workspace dev group")
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def apps(compose) -> dict[str, dict[str, Any]]:
    """The containers running our image: the ones built from deploy/Dockerfile."""
    found = {
        name: svc
        for name, svc in compose["services"].items()
        if (svc.get("build") or {}).get("dockerfile") == "deploy/Dockerfile"
    }
    assert set(found) == set(SERVICES)
    return found


def http_port(service: str, svc: dict[str, Any]) -> int:
    env = svc.get("environment") or {}
    override = env.get(f"{service.upper()}_HTTP_PORT") or env.get("AUTOLETTER_HTTP_PORT")
    return int(override) if override else settings_class(service).model_fields["http_port"].default


def env_example() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines())
    return {k.strip(): v for k, *rest in pairs if k.strip() and not k.startswith("#") for v in rest}


def test_compose_file_follows_the_compose_specification(compose):
    jsonschema = require_module("jsonschema", "ask for jsonschema in the workspace dev group")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose), key=str)
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def test_the_schema_catches_a_mistake(compose):
    jsonschema = require_module("jsonschema", "ask for jsonschema in the workspace dev group")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = {**compose, "services": {**compose["services"], "profile": {**compose["services"]["profile"]}}}
    broken["services"]["profile"]["restart_policy"] = "always"  # not a Compose key
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_every_command_is_a_real_autoletter_serve_service(apps):
    from autoletter.cli.main import build_parser

    for name, svc in apps.items():
        command = svc["command"]
        assert command[:2] == ["autoletter", "serve"], name
        assert command[2] == name
        assert build_parser().parse_args(command[1:]).service == name


def test_every_environment_variable_is_a_setting_of_that_service(apps):
    for name, svc in apps.items():
        unknown = set(svc.get("environment") or {}) - settings_env_names(name)
        assert unknown == set(), name


def test_secrets_reach_only_the_service_that_needs_them(apps):
    assert "PAYMENTS_STRIPE_WEBHOOK_SECRET" in apps["payments"]["environment"]
    assert "INVOICING_STRIPE_API_KEY" in apps["invoicing"]["environment"]
    for name in ("profile", "letters"):
        assert not [k for k in apps[name]["environment"] if "STRIPE" in k], name
    for svc in apps.values():
        assert "env_file" not in svc  # the whole .env would reach every container


def test_ports_and_health_checks_match_each_service_setting(apps):
    scrape = (DEPLOY / "prometheus" / "prometheus.compose.yml").read_text(encoding="utf-8")
    for name, svc in apps.items():
        port = http_port(name, svc)
        for mapping in svc.get("ports", []):
            assert mapping.rsplit(":", 1)[1] == str(port), (name, mapping)
        assert f"http://127.0.0.1:{port}/readyz" in " ".join(svc["healthcheck"]["test"]), name
        assert re.search(rf"names: \[{name}\]\s+type: A\s+port: {port}\b", scrape), name


def test_every_service_runs_two_replicas_with_limits(apps):
    for name in ("profile", "payments", "letters", "invoicing"):
        assert apps[name]["deploy"]["replicas"] == 2, name
    for name, svc in apps.items():
        limits = svc["deploy"]["resources"]["limits"]
        assert limits["cpus"] and limits["memory"], name
        assert svc["environment"]["AUTOLETTER_ENVIRONMENT"] == "production"


def test_infrastructure_is_kafka_in_kraft_mode_postgres_prometheus_and_grafana(compose):
    services = compose["services"]
    nodes = [services[f"kafka-{n}"] for n in (1, 2, 3)]
    for n, kafka in enumerate(nodes, start=1):
        env = kafka["environment"]
        assert kafka["image"] == "apache/kafka:4.1.1"
        assert "controller" in env["KAFKA_PROCESS_ROLES"]
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
        assert str(env["KAFKA_NODE_ID"]) == str(n)
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
        assert str(env["KAFKA_MIN_INSYNC_REPLICAS"]) == "2"
        assert str(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == "3"
    assert len({k["environment"]["CLUSTER_ID"] for k in nodes}) == 1
    assert services["postgres"]["image"].startswith("postgres:")
    assert "./prometheus/rules:/etc/prometheus/rules:ro" in services["prometheus"]["volumes"]
    assert any("grafana/provisioning" in v for v in services["grafana"]["volumes"])
    for name, svc in services.items():
        assert "healthcheck" in svc, name
        assert svc["deploy"]["resources"]["limits"]["memory"], name


def test_every_required_variable_is_documented_in_the_env_example():
    text = COMPOSE.read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{(\w+):\?", text))
    interpolated = set(re.findall(r"\$\{(\w+)", text))
    documented = env_example()
    assert required <= set(documented)
    assert {"AUTOLETTER_DATABASE_URL", "AUTOLETTER_JWT_SECRET", "PAYMENTS_STRIPE_API_KEY"} <= required
    readable = set().union(*(settings_env_names(s) for s in SERVICES))
    assert set(documented) - readable - interpolated == set(), "documented but used by nothing"
    assert not [k for k, v in documented.items() if re.match(r"(sk|rk|whsec)_(live|test)_\w{8,}", v)]


def test_the_env_file_with_the_secrets_is_ignored_by_git():
    result = subprocess.run(
        ["git", "check-ignore", "-q", "deploy/.env"], cwd=REPO, capture_output=True, check=False
    )
    assert result.returncode == 0


def test_the_image_is_multi_stage_non_root_and_sets_only_real_settings():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert "uv sync --locked" in dockerfile
    env_block = re.search(r"^ENV PATH=.*?(?=^\S)", dockerfile, re.M | re.S)
    assert env_block
    names = set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", env_block.group(0)))
    settings = {n for n in names if n.split("_", 1)[0] in {"AUTOLETTER", *(s.upper() for s in SERVICES)}}
    readable = set().union(*(settings_env_names(s) for s in SERVICES))
    assert settings and settings <= readable
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert "**/.env" in ignore and ".venv" in ignore
