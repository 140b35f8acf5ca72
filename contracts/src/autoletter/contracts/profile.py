"""Events on profile.events."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from autoletter.contracts.common import PostalAddress, ProfileField
from autoletter.contracts.envelope import Envelope


class _ProfileEvent(Envelope):
    topic: ClassVar[str] = "profile.events"


class ProfileCompleted(_ProfileEvent):
    """The profile became complete: all three fields are set and valid."""

    name: str = Field(description="Person or company name.")
    email: str = Field(description="Billing e-mail address.")
    address: PostalAddress = Field(description="Postal address.")


class ProfileUpdated(_ProfileEvent):
    """A complete profile changed and is still complete."""

    name: str = Field(description="Person or company name.")
    email: str = Field(description="Billing e-mail address.")
    address: PostalAddress = Field(description="Postal address.")


class ProfileIncomplete(_ProfileEvent):
    """A write left the profile incomplete with a different set of missing fields than before."""

    missing: list[ProfileField] = Field(description="The fields still missing or invalid.")
