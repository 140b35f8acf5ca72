from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from autoletter.devstack import kafka

# The runtime's sample service sits beside the runtime tests (importlib mode: no package path).
sys.path.insert(0, str(Path(__file__).parents[1] / "runtime"))


@pytest.fixture(scope="session")
def kafka_cluster(server_workdir: Path) -> Iterator[kafka.KafkaCluster]:
    """Three KRaft nodes, one cluster id, one controller quorum: the production topology."""
    cluster = kafka.start_cluster(server_workdir / "kafka-cluster", nodes=3)
    try:
        yield cluster
    finally:
        cluster.stop()
