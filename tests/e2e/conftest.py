from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from otlp_receiver import otlp_receiver
from system import System, running_system


@pytest.fixture(scope="module")
def system(
    server_workdir: Path, database_url: str, kafka_bootstrap: str, stripe_api_base: str
) -> Iterator[System]:
    """The whole system as separate processes, on the session's Kafka, PostgreSQL and stripe-mock,
    exporting its traces to a receiver of the test's own."""
    with (
        otlp_receiver() as traces,
        running_system(server_workdir, database_url, kafka_bootstrap, stripe_api_base, traces) as running,
    ):
        yield running
