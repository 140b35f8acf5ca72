"""The service layer: one function per command; each runs inside the unit of work its caller opens
and commits."""

from autoletter.profile.handlers.profiles import (
    Change,
    PreconditionFailed,
    Write,
    get_profile,
    write_profile,
)

__all__ = ["Change", "PreconditionFailed", "Write", "get_profile", "write_profile"]
