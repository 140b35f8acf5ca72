"""Where downloaded tools and server data live (git-ignored)."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path | None:
    """The checkout this package runs from, when it is installed editable from one."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "uv.lock").exists() and (parent / "libs").is_dir():
            return parent
    return None


def cache_dir() -> Path:
    """Tools fetched once: Kafka jars, the stripe-mock binary."""
    explicit = os.environ.get("AUTOLETTER_CACHE_DIR")
    root = repo_root()
    path = (
        Path(explicit) if explicit else (root / ".cache" if root else Path.home() / ".cache" / "autoletter")
    )
    path.mkdir(parents=True, exist_ok=True)
    return path
