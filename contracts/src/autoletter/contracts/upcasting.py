"""Upcasters: each turns an event of one schema_version of its type into the next version.

A breaking change to an event takes a new schema_version. Events of the old shape stay on the topics
(kept forever), so `decode` upcasts them one version at a time before validating them against the
current model. Register an upcaster beside the model, in its family module, so that importing the
contracts registers it:

    @upcaster("LetterSent", from_version=1)
    def _letter_sent_v1(raw: RawEvent) -> RawEvent:  # gets a copy: change it and return it
        raw["sheet_count"] = raw.pop("sheets")
        return raw
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

RawEvent = dict[str, Any]
Upcaster = Callable[[RawEvent], RawEvent]
Registry = dict[tuple[str, int], Upcaster]

#: (event_type, from_version) → the upcaster from that version to the next.
UPCASTERS: Registry = {}


class MissingUpcaster(LookupError):
    """An event of an older schema_version that no upcaster turns into the next one."""


def upcaster(
    event_type: str, from_version: int, registry: Registry = UPCASTERS
) -> Callable[[Upcaster], Upcaster]:
    """Register the decorated function as the upcaster of `event_type` from `from_version` to the next."""

    def register(function: Upcaster) -> Upcaster:
        if (event_type, from_version) in registry:
            raise ValueError(f"{event_type} v{from_version} already has an upcaster")
        registry[event_type, from_version] = function
        return function

    return register


def missing_upcasters(
    event_type: str,
    from_version: int,
    to_version: int,
    registry: Mapping[tuple[str, int], Upcaster] = UPCASTERS,
) -> list[int]:
    """The versions between the two that have no upcaster to their next one."""
    return [v for v in range(from_version, to_version) if (event_type, v) not in registry]


def upcast(
    raw: RawEvent, to_version: int, registry: Mapping[tuple[str, int], Upcaster] = UPCASTERS
) -> RawEvent:
    """The raw event in the shape of `to_version` (unchanged when it is that version or newer)."""
    version = raw.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        return raw  # validation refuses it with the reason
    while version < to_version:
        step = registry.get((raw["event_type"], version))
        if step is None:
            raise MissingUpcaster(f"no upcaster for {raw['event_type']} from v{version} to v{version + 1}")
        raw = {**step(dict(raw)), "schema_version": version + 1}
        version += 1
    return raw
