"""Apache Kafka 4.x in KRaft mode (combined broker and controller) from Maven Central jars."""

from __future__ import annotations

import base64
import shutil
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path

from autoletter.devstack.paths import cache_dir
from autoletter.devstack.process import ServerProcess, free_port

KAFKA_VERSION = "4.1.1"
_READY = "Kafka Server started"

_LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
"""


def libs_dir() -> Path:
    return cache_dir() / f"kafka-{KAFKA_VERSION}" / "libs"


def ensure_jars() -> Path:
    """Fetch the broker and its runtime dependencies once, with Maven, into the cache."""
    libs = libs_dir()
    if (libs / ".complete").exists():
        return libs
    if shutil.which("mvn") is None:
        raise RuntimeError("Maven (mvn) is needed once to fetch the Kafka jars from Maven Central")
    work = libs.parent
    work.mkdir(parents=True, exist_ok=True)
    pom = work / "pom.xml"
    pom.write_text(
        resources.files(__package__)
        .joinpath("kafka-pom.xml")
        .read_text()
        .replace("@KAFKA_VERSION@", KAFKA_VERSION)
    )
    shutil.rmtree(libs, ignore_errors=True)
    subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={libs}",
            "-DincludeScope=runtime",
        ],
        check=True,
    )
    (libs / ".complete").write_text(KAFKA_VERSION)
    return libs


@dataclass
class KafkaServer:
    """A running single-node KRaft broker."""

    bootstrap: str
    process: ServerProcess
    data_dir: Path

    def stop(self) -> None:
        self.process.stop(timeout=30)


def start(
    data_dir: Path, port: int | None = None, timeout: float = 120.0, controller_port: int | None = None
) -> KafkaServer:
    """Start Kafka with its data in data_dir (formatted on first use; kept across restarts: then give
    fixed ports, since the controller's address is written into the metadata when formatting)."""
    libs = ensure_jars()
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("Java 17+ is needed for Apache Kafka")
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    controller_port = controller_port or free_port()
    props = data_dir / "server.properties"
    props.write_text(_properties(data_dir / "logs", port, controller_port))
    (data_dir / "log4j2.properties").write_text(_LOG4J2)
    cp = f"{libs}/*"
    jvm = [
        java,
        "-Xms256m",
        "-Xmx1g",
        f"-Dlog4j2.configurationFile={data_dir / 'log4j2.properties'}",
        "-cp",
        cp,
    ]
    if not (data_dir / "logs" / "meta.properties").exists():
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        subprocess.run(
            # `=`: a random id may start with "-", which the tool would read as an option.
            [
                *jvm,
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster_id}",
                "-c",
                str(props),
                "--standalone",
            ],
            check=True,
            capture_output=True,
        )
    proc = ServerProcess("kafka", [*jvm, "kafka.Kafka", str(props)], data_dir / "kafka.log", open_files=True)
    proc.wait_until(lambda: proc.log_contains(_READY), timeout, "started")
    return KafkaServer(bootstrap=f"127.0.0.1:{port}", process=proc, data_dir=data_dir)


@dataclass
class KafkaCluster:
    """Several KRaft nodes (each broker and controller) with one cluster id and one quorum."""

    nodes: list[KafkaServer]

    @property
    def bootstrap(self) -> str:
        return ",".join(n.bootstrap for n in self.nodes)

    def stop(self) -> None:
        """Every node at once: one by one, the last node waits out its whole timeout for a controller
        quorum that is already gone (31.5 s to stop three nodes, against 5.7 s at once)."""
        with ThreadPoolExecutor(len(self.nodes) or 1) as pool:
            list(pool.map(lambda node: node.stop(), self.nodes))

    def revive(self, timeout: float = 120.0) -> list[int]:
        """Start again, on its ports and data, every node whose process died (a test killed it);
        returns their indexes. The others' replicas catch it up: wait for in-sync before a next kill."""
        dead = [i for i, node in enumerate(self.nodes) if node.process.proc.poll() is not None]
        for i in dead:
            old = self.nodes[i].process
            old.stop()  # closes its log
            argv = old.proc.args
            assert isinstance(argv, list)  # ServerProcess starts it from a list
            self.nodes[i].process = ServerProcess(old.name, argv, old.log_path, open_files=True)
        for i in dead:
            proc = self.nodes[i].process
            proc.wait_until(partial(proc.log_contains, _READY), timeout, "started again")
        return dead


def start_cluster(data_root: Path, nodes: int = 3, timeout: float = 180.0) -> KafkaCluster:
    """The production topology on one machine (DESIGN §10): `nodes` combined KRaft nodes, each with its
    ports and data directory and 512 MB of heap; topics default to replication factor 3 with
    min.insync.replicas 2, internal topics replicated too."""
    libs = ensure_jars()
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("Java 17+ is needed for Apache Kafka")
    ports = [(free_port(), free_port()) for _ in range(nodes)]
    voters = ",".join(f"{i + 1}@127.0.0.1:{c}" for i, (_, c) in enumerate(ports))
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    replicas = min(nodes, 3)
    started: list[KafkaServer] = []
    procs = []
    for i, (port, controller_port) in enumerate(ports):
        data_dir = data_root / f"node-{i + 1}"
        data_dir.mkdir(parents=True, exist_ok=True)
        props = data_dir / "server.properties"
        props.write_text(
            _cluster_properties(data_dir / "logs", i + 1, port, controller_port, voters, replicas)
        )
        (data_dir / "log4j2.properties").write_text(_LOG4J2)
        jvm = [
            java,
            "-Xms128m",
            "-Xmx512m",
            f"-Dlog4j2.configurationFile={data_dir / 'log4j2.properties'}",
            "-cp",
            f"{libs}/*",
        ]
        # A static quorum (controller.quorum.voters): formatted without --standalone (PITFALLS).
        subprocess.run(
            [*jvm, "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c", str(props)],
            check=True,
            capture_output=True,
        )
        proc = ServerProcess(
            f"kafka-{i + 1}", [*jvm, "kafka.Kafka", str(props)], data_dir / "kafka.log", open_files=True
        )
        procs.append(proc)
        started.append(KafkaServer(bootstrap=f"127.0.0.1:{port}", process=proc, data_dir=data_dir))
    for proc in procs:  # all started first: none is ready before the quorum exists
        proc.wait_until(partial(proc.log_contains, _READY), timeout, "started")
    return KafkaCluster(started)


def _cluster_properties(
    log_dir: Path, node_id: int, port: int, controller_port: int, voters: str, replicas: int
) -> str:
    return f"""\
process.roles=broker,controller
node.id={node_id}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.quorum.voters={voters}
log.dirs={log_dir}
num.partitions=1
auto.create.topics.enable=false
default.replication.factor={replicas}
min.insync.replicas={min(replicas, 2)}
offsets.topic.replication.factor={replicas}
offsets.topic.num.partitions=10
transaction.state.log.replication.factor={replicas}
transaction.state.log.min.isr={min(replicas, 2)}
share.coordinator.state.topic.replication.factor={replicas}
share.coordinator.state.topic.min.isr={min(replicas, 2)}
group.initial.rebalance.delay.ms=0
log.flush.interval.messages=1000000
"""


def _properties(log_dir: Path, port: int, controller_port: int) -> str:
    return f"""\
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}
log.dirs={log_dir}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.flush.interval.messages=1000000
"""
