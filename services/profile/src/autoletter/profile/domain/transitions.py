"""Which event a write causes, from the profile before and after it.

- `BecameComplete`: the profile was incomplete (or never written) and is now complete;
- `ChangedWhileComplete`: it was complete, changed, and is still complete;
- `BecameIncomplete`: it is incomplete after the write and its `missing` differs from before —
  which includes the first write (nothing was announced yet) and complete → incomplete;
- nothing for a write that changes nothing, or that changes an incomplete profile without
  changing what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from autoletter.profile.domain.model import Field, Profile


@dataclass(frozen=True)
class BecameComplete:
    profile: Profile


@dataclass(frozen=True)
class ChangedWhileComplete:
    profile: Profile


@dataclass(frozen=True)
class BecameIncomplete:
    missing: tuple[Field, ...]


ProfileEvent = BecameComplete | ChangedWhileComplete | BecameIncomplete


def transition(before: Profile | None, after: Profile) -> list[ProfileEvent]:
    """The events a write from `before` (None: never written) to `after` causes; at most one."""
    if before == after:
        return []
    missing = after.missing()
    if not missing:
        if before is not None and before.is_complete:
            return [ChangedWhileComplete(after)]
        return [BecameComplete(after)]
    if before is None or before.missing() != missing:
        return [BecameIncomplete(tuple(missing))]
    return []
