"""docs/runtime-api.md names only what the runtime has: a documented name that disappears fails here."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "runtime-api.md"
HEADER = re.compile(r"^# (autoletter\.runtime\.\w+)\b")
TOP_LEVEL = re.compile(r"^(?:@\S+\s+)?(?:async\s+)?(?:def|class)\s+(\w+)|^([A-Z][A-Za-z0-9_]*)\s*(?:=|#)")
DOTTED = re.compile(r"\b(autoletter\.runtime\.[a-z_]+)\.([A-Za-z_]\w*)")


def documented() -> set[tuple[str, str]]:
    """(module, name) pairs: top-level definitions under a `# autoletter.runtime.<module>` header of
    a code block, and every dotted `autoletter.runtime.<module>.<name>` in the page."""
    names: set[tuple[str, str]] = set()
    module: str | None = None
    for line in DOC.read_text().splitlines():
        if line.startswith("```"):
            module = None
        elif header := HEADER.match(line):
            module = header.group(1)
        elif module is not None and (found := TOP_LEVEL.match(line)):
            names.add((module, found.group(1) or found.group(2)))
        names.update(DOTTED.findall(line))
    return names


def test_every_name_the_runtime_api_page_documents_exists() -> None:
    names = documented()
    assert {("autoletter.runtime.jobs", "Job"), ("autoletter.runtime.service", "Service")} <= names
    missing = [
        f"{module}.{name}"
        for module, name in sorted(names)
        if not hasattr(importlib.import_module(module), name)
    ]
    assert missing == [], f"docs/runtime-api.md documents names the runtime lacks: {missing}"
