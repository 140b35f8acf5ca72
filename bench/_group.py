"""Consumer processes of one group, for the scaling baselines: start N replicas, wait until the group
has settled with all of them, stop them."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment


async def settled(bootstrap: str, group: str, members: int, timeout: float = 120) -> None:
    """Until the group is Stable with `members` members, each holding partitions: measuring before
    would time a rebalance, not the replicas."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            (response,) = await admin.describe_consumer_groups([group])
            (described,) = response.to_object()["groups"]
            assigned = [
                m
                for m in described["members"]
                if m["member_assignment"]
                and ConsumerProtocolMemberAssignment.decode(m["member_assignment"]).partitions()
            ]
            if described["state"] == "Stable" and len(described["members"]) == len(assigned) == members:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"group {group} not settled with {members} members: {described['state']}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def serve_until_terminated() -> None:
    """In a replica: say "ready", then return on SIGTERM, so the service stops as it would in production."""
    terminated = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminated.set)
    print("ready", flush=True)
    await terminated.wait()


@asynccontextmanager
async def replicas(count: int, *command: str) -> AsyncIterator[None]:
    """`count` processes of `python *command`, each having printed "ready"; terminated at the end."""
    children = [
        await asyncio.create_subprocess_exec(sys.executable, *command, stdout=asyncio.subprocess.PIPE)
        for _ in range(count)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            if not await child.stdout.readline():
                raise RuntimeError(f"a replica exited before it was ready: {command}")
        yield
    finally:
        for child in children:
            if child.returncode is None:
                child.terminate()
        for child in children:
            await child.wait()


class MachineCpu:
    """Cores busy on the whole machine between `start()` and `busy()` (from /proc/stat): with two
    cores, a second replica can only add what the first left idle."""

    def start(self) -> None:
        self._begin = self._ticks()

    def busy(self) -> float:
        (busy0, total0), (busy1, total1) = self._begin, self._ticks()
        return (os.cpu_count() or 1) * (busy1 - busy0) / max(total1 - total0, 1)

    @staticmethod
    def _ticks() -> tuple[int, int]:
        fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle, iowait
        return sum(fields) - idle, sum(fields)
