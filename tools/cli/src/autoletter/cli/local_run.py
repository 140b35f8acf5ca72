"""What `autoletter dev` tells the other commands: where the local run's parts listen (DESIGN §9).

`autoletter dev` writes these facts to `<data dir>/run.json`; every other command reads them when
nothing else is configured, so it works against the local run with no settings. The JWT secret
stays in its own file (mode 0600): the facts only name it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from autoletter.devstack.paths import repo_root

DEFAULT_DIR = Path(".autoletter/dev")
FACTS_FILE = "run.json"


@dataclass(frozen=True)
class LocalRun:
    """Connection facts of one local run (no secret values: only the secret's file)."""

    urls: dict[str, str]
    kafka_bootstrap_servers: str
    kafka_idempotent_producer: bool
    database_url: str
    jwt_secret_file: str
    clock_offset_file: str
    #: The emulator's base URL; None when the run uses real Stripe (then the clock cannot move).
    emulator_url: str | None = None
    kafka_topic_prefix: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def write(self, data_dir: Path) -> Path:
        path = data_dir / FACTS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(path)
        return path

    def jwt_secret(self) -> str | None:
        try:
            return Path(self.jwt_secret_file).read_text().strip() or None
        except OSError:
            return None


def data_dir() -> Path | None:
    """The local run's data directory: $AUTOLETTER_DEV_DIR, else `.autoletter/dev` here or in the
    checkout this command runs from; None when there is none."""
    explicit = os.environ.get("AUTOLETTER_DEV_DIR")
    if explicit:
        return Path(explicit)
    root = repo_root()
    for candidate in (DEFAULT_DIR, root / DEFAULT_DIR if root else None):
        if candidate is not None and (candidate / FACTS_FILE).exists():
            return candidate.resolve()
    return None


def find() -> LocalRun | None:
    """The facts the last `autoletter dev` wrote, or None when there is no local run to talk to."""
    directory = data_dir()
    if directory is None:
        return None
    try:
        raw = json.loads((directory / FACTS_FILE).read_text())
    except (OSError, ValueError):
        return None
    known = LocalRun.__dataclass_fields__
    return LocalRun(**{k: v for k, v in raw.items() if k in known})
