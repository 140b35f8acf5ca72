"""The chaos soak's faults: SIGKILLs of service processes and brokers, and the cluster's health."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import sys
from collections.abc import Awaitable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))  # the end-to-end journeys and system

from aiokafka.admin import AIOKafkaAdminClient
from chaos_plan import BROKER, Figures, T, say
from system import System

from autoletter.devstack.kafka import KafkaCluster, KafkaServer
from autoletter.devstack.process import ServerFailed
from autoletter.runtime.testing import wait_for


class Chaos:
    """SIGKILLs, one broker at a time and never both processes of a service; each victim restarted."""

    def __init__(self, system: System, cluster: KafkaCluster, rng: random.Random, figures: Figures) -> None:
        self.system = system
        self.cluster = cluster
        self.rng = rng
        self.figures = figures
        self.down: set[str] = set()  # processes (and BROKER) killed and not yet back
        self.recoveries: list[asyncio.Task[None]] = []

    def candidates(self, services: tuple[str, ...], brokers: bool) -> list[str]:
        """Processes that may die now (their service has every process up) and, if free, a broker."""
        busy = {name.split("#")[0] for name in self.down}
        found = [
            n for n in self.system.processes if n.split("#")[0] in services and n.split("#")[0] not in busy
        ]
        if brokers and BROKER not in self.down:
            found += [BROKER] * max(1, len(found) // 3)  # about a broker for every three processes
        return found

    async def strike(self, services: tuple[str, ...], brokers: bool = True) -> None:
        """Kill one victim at once; it comes back in the background (`recovered` waits for it)."""
        await wait_for(lambda: bool(self.candidates(services, brokers)), 300, "a victim that may die")
        victim = self.rng.choice(self.candidates(services, brokers))
        self.down.add(victim)
        if victim == BROKER:
            node = self.rng.choice(self.cluster.nodes)
            node.process.stop(timeout=0, sig=signal.SIGKILL)
            label, comeback = f"{BROKER} {node.process.name}", self._broker_back(node)
        else:
            self.system.kill(victim)
            label, comeback = victim, self._process_back(victim, self.rng.uniform(0.5, 3.0))
        self.figures.kills.append(label)
        say(f"SIGKILL {label} (kill {len(self.figures.kills)})")
        self.recoveries.append(asyncio.create_task(self._recover(victim, comeback)))

    async def _recover(self, victim: str, comeback: Awaitable[None]) -> None:
        try:
            await comeback
        except BaseException as exc:
            say(f"{victim} did not come back: {exc!r}")  # and `recovered` fails the soak with it
            raise
        finally:
            self.down.discard(victim)

    async def recovered(self) -> None:
        """Every victim back (and replicas in sync); a failed restart fails the soak here."""
        while self.recoveries:
            done, self.recoveries = self.recoveries, []
            await asyncio.gather(*done)

    async def _process_back(self, name: str, outage: float, attempts: int = 5) -> None:
        """Start the process again, as a supervisor would, again if it exits while starting (a
        process that starts while a broker is down can fail its startup: counted and reported)."""
        await asyncio.sleep(outage)  # the fault's length: the sibling serves alone meanwhile
        for attempt in range(1, attempts + 1):
            try:
                await asyncio.to_thread(self.system.start_again, name)
                process = self.system.processes[name]  # the shared port may answer from the sibling
                await asyncio.to_thread(
                    process.wait_until, partial(process.log_contains, "service_started"), 240, "started"
                )
                break
            except ServerFailed as exc:
                if attempt == attempts or self.system.processes[name].proc.poll() is None:
                    raise  # not a crash at startup, or crashing over and over
                self.figures.crashed_at_start.append(name)
                say(f"{name} exited while starting, started again: {_last_error(exc)}")
        say(f"{name} back")

    async def _broker_back(self, node: KafkaServer) -> None:
        """Restart the broker once the controller has fenced it (its partitions led elsewhere), then
        wait until it is in every in-sync replica set again: only then may another broker die."""
        node_id = self.cluster.nodes.index(node) + 1
        await wait_for(lambda: _live(self.cluster, node_id, False), 180, f"node {node_id} fenced")
        await asyncio.to_thread(self.cluster.revive, 240)
        await wait_for(lambda: _live(self.cluster, node_id, True), 180, f"node {node_id} back")
        await wait_for(lambda: in_sync(self.cluster), 300, "every partition's replicas in sync")
        say(f"{node.process.name} back, replicas in sync")

    async def harass(self, work: Awaitable[T], kills: int, services: tuple[str, ...]) -> T:
        """Run `work` while killing up to `kills` victims at random moments; stop killing when it ends."""
        task: asyncio.Task[T] = asyncio.ensure_future(work)
        for _ in range(kills):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), self.rng.uniform(0.2, 2.5))
            if task.done():
                break
            await self.strike(services)
        return await task


def _last_error(exc: ServerFailed) -> str:
    """The end of the last line of the crashed process's log tail that names an error."""
    errors = [line for line in str(exc).splitlines() if "Error" in line]
    return errors[-1][-200:] if errors else str(exc).splitlines()[0]


@contextlib.asynccontextmanager
async def _admin(cluster: KafkaCluster) -> Any:
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def _live(cluster: KafkaCluster, node_id: int, expected: bool) -> bool:
    """Whether the cluster lists the node among its live (unfenced) brokers."""
    try:
        async with _admin(cluster) as admin:
            brokers = (await admin.describe_cluster())["brokers"]
    except Exception:  # a cluster answering badly is not live yet: ask again
        return False
    return any(b["node_id"] == node_id for b in brokers) == expected


async def in_sync(cluster: KafkaCluster) -> bool:
    """Every broker is live and every partition of every topic (other tests' too) has a leader and
    all its replicas in sync. A fresh cluster has no topics yet: then every broker live is enough."""
    try:
        async with _admin(cluster) as admin:
            brokers = (await admin.describe_cluster())["brokers"]
            topics = await admin.describe_topics()
    except Exception:  # a node going down or coming up: ask again
        return False
    partitions = [p for t in topics for p in t["partitions"]]
    return len(brokers) == len(cluster.nodes) and all(
        p["leader"] >= 0 and set(p["isr"]) == set(p["replicas"]) for p in partitions
    )


async def assert_replicated(system: System, cluster: KafkaCluster) -> None:
    """The system's topics have a replica on every broker: one broker down loses no partition."""
    async with _admin(cluster) as admin:
        topics = [t for t in await admin.describe_topics() if t["topic"].startswith(system.topic_prefix)]
    factors = {len(p["replicas"]) for t in topics for p in t["partitions"]}
    assert topics and factors == {len(cluster.nodes)}, factors
