"""Pure domain of the profile service: values, normalisation, completeness and transitions (no I/O)."""

from autoletter.profile.domain.model import REQUIRED_ADDRESS_PARTS, Address, Field, Profile
from autoletter.profile.domain.transitions import (
    BecameComplete,
    BecameIncomplete,
    ChangedWhileComplete,
    ProfileEvent,
    transition,
)
from autoletter.profile.domain.validation import InvalidProfile, normalise

__all__ = [
    "REQUIRED_ADDRESS_PARTS",
    "Address",
    "BecameComplete",
    "BecameIncomplete",
    "ChangedWhileComplete",
    "Field",
    "InvalidProfile",
    "Profile",
    "ProfileEvent",
    "normalise",
    "transition",
]
