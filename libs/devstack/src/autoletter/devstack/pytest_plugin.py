"""Session fixtures for the real servers, and per-test isolation (unique topic prefix, schema)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
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
    """The Tansu fallback broker, for the smoke tests that must pass on it too."""
    with servers.tansu(server_workdir) as bootstrap:
        yield bootstrap


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
