"""Request and response bodies of the profile API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from autoletter.profile.adapters.repository import StoredProfile

#: Fields of a GET response a client may send back unchanged in a PUT; they are ignored.
READ_ONLY = ("account_id", "complete", "missing", "updated_at")


class AddressBody(BaseModel):
    """A postal address; parts may be left out, and the address then counts as missing."""

    model_config = ConfigDict(extra="forbid")

    line1: str | None = Field(default=None, description="Street and number.")
    line2: str | None = Field(default=None, description="Optional second line.")
    postal_code: str | None = Field(default=None, description="Checked against the country's format.")
    city: str | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2, e.g. DE.")


class ProfileBody(BaseModel):
    """A PUT carries the whole profile (absent = cleared); a PATCH only what changes (null clears)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description="Person or company name, 1 to 200 characters.")
    email: str | None = Field(default=None, description="Billing e-mail address.")
    address: AddressBody | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in READ_ONLY}
        return data


class ProfileView(BaseModel):
    """The profile with what is still missing before the account may pay and send."""

    account_id: str
    name: str | None
    email: str | None
    address: AddressBody | None
    complete: bool
    missing: list[Literal["name", "email", "address"]]
    updated_at: datetime | None = Field(description="Last change; null when never written.")

    @classmethod
    def of(cls, stored: StoredProfile) -> ProfileView:
        profile = stored.profile
        return cls(
            account_id=stored.account_id,
            name=profile.name,
            email=profile.email,
            address=AddressBody(**profile.address.to_dict()) if profile.address else None,
            complete=profile.is_complete,
            missing=[f.value for f in profile.missing()],
            updated_at=stored.updated_at,
        )
