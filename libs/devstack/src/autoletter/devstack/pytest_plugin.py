"""Session fixtures for the real servers, and per-test isolation (unique topic prefix, schema)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autoletter.devstack import servers

try:  # property tests: no timing deadlines on a shared 2-core machine, and repeatable examples in CI
    from hypothesis import settings as hypothesis_settings

    hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
    hypothesis_settings.register_profile("dev", deadline=None)
    hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")
except ImportError:  # the plugin also serves environments without hypothesis
    pass


@pytest.fixture(scope="session")
def server_workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="autoletter-test-") as work:
        yield Path(work)


@pytest.fixture(scope="session")
def kafka_bootstrap(server_workdir: Path) -> Iterator[str]:
    """Apache Kafka in KRaft mode, started once per test session unless given."""
    with servers.kafka(server_workdir) as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def tansu_bootstrap(server_workdir: Path) -> Iterator[str]:
    """The Tansu fallback broker, for the tests that must pass on it too (see `broker`)."""
    with servers.tansu(server_workdir) as bootstrap:
        yield bootstrap


@dataclass(frozen=True)
class Broker:
    """A broker a test runs on: Apache Kafka, or the Tansu fallback (no idempotent producer)."""

    name: str
    bootstrap: str
    idempotent_producer: bool


BROKERS = ("kafka", "tansu")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "kafka_only(reason): a test taking the `broker` fixture runs on Apache Kafka only, not on Tansu; "
        "the reason says what Tansu lacks",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking `broker` (directly or through a fixture) runs once per broker, unless kafka_only."""
    if "broker" not in metafunc.fixturenames:
        return
    kafka_only = metafunc.definition.get_closest_marker("kafka_only")
    if kafka_only is not None and not (kafka_only.args and str(kafka_only.args[0]).strip()):
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: kafka_only needs a reason")
    metafunc.parametrize("broker", ("kafka",) if kafka_only else BROKERS, indirect=True)


@pytest.fixture
def broker(request: pytest.FixtureRequest) -> Broker:
    """The broker of this test's leg; its servers start once per session, as the first test needs them."""
    if request.param == "tansu":
        return Broker("tansu", request.getfixturevalue("tansu_bootstrap"), idempotent_producer=False)
    return Broker("kafka", request.getfixturevalue("kafka_bootstrap"), idempotent_producer=True)


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium, for the console's browser tests; missing is a skip on a developer's machine
    and a failure in CI (which installs it)."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        message = "Chromium is not installed (Debian: apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI must install it")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def database_url(server_workdir: Path) -> Iterator[str]:
    """PostgreSQL, started once per test session unless given."""
    with servers.postgres(server_workdir) as url:
        yield url


@pytest.fixture(scope="session")
def stripe_api_base(server_workdir: Path) -> Iterator[str]:
    """stripe-mock, started once per test session unless given."""
    with servers.stripe_mock(server_workdir) as base:
        yield base


@pytest.fixture
def unique() -> str:
    """A short id unique to this test, for topics, schemas and accounts."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def topic_prefix(unique: str) -> str:
    """Topics of this test are prefixed with it, so tests can share one broker."""
    return f"t{unique}."


@pytest.fixture
def db_schema(unique: str) -> str:
    """A schema name of this test's own, so tests can share one database."""
    return f"t{unique}"
