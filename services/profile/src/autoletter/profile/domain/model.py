"""The profile value and its completeness.

A stored profile may be partial: any field may be absent, and an address may lack some of its
required parts (it then counts as missing). Values that are present have passed `normalise`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any


class Field(StrEnum):
    """The three fields a complete profile has, in the order `missing` lists them."""

    NAME = "name"
    EMAIL = "email"
    ADDRESS = "address"


#: Address parts that must all be present for the address to count; `line2` is optional.
REQUIRED_ADDRESS_PARTS = ("line1", "postal_code", "city", "country")
ADDRESS_PARTS = ("line1", "line2", "postal_code", "city", "country")


@dataclass(frozen=True)
class Address:
    """A postal address, possibly partial; `country` is ISO 3166-1 alpha-2 once normalised."""

    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None

    @property
    def is_complete(self) -> bool:
        return all(getattr(self, part) is not None for part in REQUIRED_ADDRESS_PARTS)

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, part) is None for part in ADDRESS_PARTS)

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Address:
        """Build from a mapping; unknown keys are ignored, absent parts are None."""
        return cls(**{part: data.get(part) for part in ADDRESS_PARTS})


@dataclass(frozen=True)
class Profile:
    """What an account told us about itself; every field is optional until complete."""

    name: str | None = None
    email: str | None = None
    address: Address | None = None

    def missing(self) -> list[Field]:
        """The fields still to provide, in the fixed order name, email, address."""
        out = []
        if self.name is None:
            out.append(Field.NAME)
        if self.email is None:
            out.append(Field.EMAIL)
        if self.address is None or not self.address.is_complete:
            out.append(Field.ADDRESS)
        return out

    @property
    def is_complete(self) -> bool:
        return not self.missing()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "email": self.email,
            "address": self.address.to_dict() if self.address is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        """Build from a mapping (a request body or a stored row); absent keys are None."""
        address = data.get("address")
        return cls(
            name=data.get("name"),
            email=data.get("email"),
            address=Address.from_dict(address) if address is not None else None,
        )

    def merged(self, patch: Mapping[str, Any]) -> Profile:
        """Apply a JSON merge patch (RFC 7396): absent keys stay, null clears, objects merge."""
        return Profile.from_dict(merge_patch(self.to_dict(), patch))

    def with_address(self, address: Address | None) -> Profile:
        return replace(self, address=address)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 merge of `patch` into `target`, returning a new value."""
    if not isinstance(patch, Mapping):
        return patch
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result
