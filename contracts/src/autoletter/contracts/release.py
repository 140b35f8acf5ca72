"""The released baseline of the event schemas, and the gate that holds every change to it.

`uv run python -m autoletter.contracts.release` checks the current schemas against the baseline and,
when nothing breaks, records each one as schemas/released/<EventType>.v<schema_version>.json. Older
versions stay there, and keep the gate asking for their upcasters, until a person removes them.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from autoletter.contracts.breaking_changes import Break, Rule, Schema, breaking_changes
from autoletter.contracts.registry import MESSAGES
from autoletter.contracts.schema import SCHEMA_DIR, dump, json_schemas
from autoletter.contracts.upcasting import UPCASTERS, Upcaster, missing_upcasters

RELEASED_DIR = SCHEMA_DIR / "released"
_FILE_NAME = re.compile(r"^(?P<event>\w+)\.v(?P<version>[1-9]\d*)\.json$")

#: (event_type, schema_version) → the schema released for that version.
Released = dict[tuple[str, int], Schema]
#: event_type → (schema_version, schema) of the models as they are now.
Current = dict[str, tuple[int, Schema]]


class IncompatibleChange(Exception):
    """The current schemas break the released ones; the message lists each break."""


def released(directory: Path = RELEASED_DIR) -> Released:
    """The released baseline, read from its files."""
    found: Released = {}
    for path in sorted(directory.glob("*.json")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"{path.name}: a released schema is named <EventType>.v<N>.json")
        found[match["event"], int(match["version"])] = json.loads(path.read_text())
    return found


def current() -> Current:
    """The schema and version of every message as the models define them now."""
    return {name: (MESSAGES[name].version, schema) for name, schema in json_schemas().items()}


def gate(
    baseline: Released, now: Current, upcasters: Mapping[tuple[str, int], Upcaster] = UPCASTERS
) -> list[Break]:
    """Every break between the released baseline and the current schemas; none means the change may land."""
    breaks: list[Break] = []
    for (event, version), schema in sorted(baseline.items()):
        if event not in now:
            breaks.append(Break(event, Rule.EVENT_REMOVED, f"v{version} is released"))
            continue
        current_version, current_schema = now[event]
        if version == current_version:
            breaks += breaking_changes(event, schema, current_schema)
        elif version > current_version:
            breaks.append(
                Break(event, Rule.VERSION_BACKWARDS, f"v{version} released, the model is v{current_version}")
            )
        elif missing := missing_upcasters(event, version, current_version, upcasters):
            breaks.append(Break(event, Rule.NO_UPCASTER, ", ".join(f"v{v} → v{v + 1}" for v in missing)))
    return breaks


def report(breaks: list[Break]) -> str:
    """The breaks, one a line, and what to do about them."""
    return "\n".join(map(str, breaks)) + (
        "\n\nA breaking change takes a new schema_version, an upcaster from the old one and a release;"
        " see docs/contracts.md."
    )


def release(directory: Path = RELEASED_DIR, now: Current | None = None) -> list[Path]:
    """Record every current schema in the baseline once the gate passes; the files written."""
    now = current() if now is None else now
    breaks = gate(released(directory), now)
    if breaks:
        raise IncompatibleChange(report(breaks))
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for event, (version, schema) in sorted(now.items()):
        path, text = directory / f"{event}.v{version}.json", dump(schema)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


def main() -> int:
    """Release the current schemas, or say which changes break the released ones."""
    try:
        written = release()
    except IncompatibleChange as exc:
        print(exc, file=sys.stderr)
        return 1
    for path in written:
        print(f"released {path.name}")
    print(f"{len(written)} schema file(s) written to {RELEASED_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
