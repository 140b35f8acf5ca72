"""Value types shared by several event families."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

Period = Annotated[
    str,
    Field(pattern=_PERIOD.pattern, description="A calendar month in UTC, as YYYY-MM.", examples=["2026-11"]),
]
Cents = Annotated[int, Field(ge=0, description="An amount in the currency's minor unit (cents).")]
Currency = Annotated[
    str, Field(pattern=r"^[a-z]{3}$", description="ISO 4217 currency code, lower case.", examples=["eur"])
]


class Service(StrEnum):
    """The two independently billed letter services."""

    STANDARD = "standard"
    REGISTERED = "registered"


class ServiceStatus(StrEnum):
    """Derived status of one service for one account (DESIGN §5)."""

    INACTIVE = "inactive"
    BLOCKED = "blocked"
    ACTIVE = "active"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class OpenSet:
    """Marks a field whose values are an open set (DESIGN §3): a value this version does not know
    decodes as a plain string instead of failing, so producers may add values once consumers are
    deployed; consumers count it (`unknown_values`) and carry on."""

    values: type[StrEnum]


def unknown_values(message: BaseModel) -> list[tuple[str, str]]:
    """(field, value) for each open-set field of the message holding a value this version does not know."""
    found = []
    for name, marker in _open_set_fields(type(message)):
        value = getattr(message, name)
        if isinstance(value, str) and not isinstance(value, marker.values):
            found.append((name, value))
    return found


@cache
def _open_set_fields(cls: type[BaseModel]) -> tuple[tuple[str, OpenSet], ...]:
    """A class's open-set fields, found once (this runs for every message a consumer handles)."""
    return tuple(
        (name, marker)
        for name, info in cls.model_fields.items()
        for marker in info.metadata
        if isinstance(marker, OpenSet)
    )


OpenServiceStatus = Annotated[ServiceStatus | str, Field(union_mode="left_to_right"), OpenSet(ServiceStatus)]


class ProfileField(StrEnum):
    """The three profile fields that must be complete."""

    NAME = "name"
    EMAIL = "email"
    ADDRESS = "address"


class Value(BaseModel):
    """A frozen value object that tolerates unknown fields when decoded."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class PostalAddress(Value):
    """A postal address; country is ISO 3166-1 alpha-2."""

    line1: str = Field(description="Street and number.")
    line2: str | None = Field(default=None, description="Optional second address line.")
    postal_code: str = Field(description="Postal code as written in the country.")
    city: str = Field(description="City or town.")
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code.")
