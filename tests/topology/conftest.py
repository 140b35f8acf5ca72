from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from autoletter.devstack import kafka
from autoletter.runtime.testing import wait_for

# The runtime's sample service sits beside the runtime tests, the whole system beside the end-to-end
# tests, the scenarios' shared steps here (importlib mode: no package path).
sys.path.insert(0, str(Path(__file__).parents[1] / "runtime"))
sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))
sys.path.insert(0, str(Path(__file__).parent))

from system import System, running_system

#: The production topology's settings (DESIGN §10): topics replicated on the three brokers; the close's
#: schedule looks every second, so a survivor takes a dead replica's close over once its lease lapses.
TOPOLOGY_SETTINGS = {"AUTOLETTER_KAFKA_REPLICATION_FACTOR": "3", "INVOICING_CLOSE_CHECK_INTERVAL_S": "1"}


@pytest.fixture(scope="session")
def kafka_cluster(server_workdir: Path) -> Iterator[kafka.KafkaCluster]:
    """Three KRaft nodes, one cluster id, one controller quorum: the production topology."""
    cluster = kafka.start_cluster(server_workdir / "kafka-cluster", nodes=3)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def replicated_system(
    server_workdir: Path, database_url: str, kafka_cluster: kafka.KafkaCluster, stripe_api_base: str
) -> Iterator[System]:
    """Two processes of every service (sharing each port) and the emulator on the three-broker cluster."""
    with running_system(
        server_workdir,
        database_url,
        kafka_cluster.bootstrap,
        stripe_api_base,
        replicas=2,
        settings=TOPOLOGY_SETTINGS,
    ) as system:
        yield system


@pytest.fixture
async def replicated(request: pytest.FixtureRequest, kafka_cluster: kafka.KafkaCluster) -> System:
    """The replicated system on a whole cluster: a broker an earlier test killed is started again, and
    the test begins once every partition's replicas are back in sync. The system starts (once) only
    then, so its topics get their three replicas."""
    kafka_cluster.revive()
    await wait_for(lambda: _in_sync(kafka_cluster.bootstrap), 120, "every partition's replicas in sync")
    system: System = request.getfixturevalue("replicated_system")
    return system


async def _in_sync(bootstrap: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(await admin.list_topics()))
    finally:
        await admin.close()
    return all(len(p["isr"]) == len(p["replicas"]) for topic in described for p in topic["partitions"])
