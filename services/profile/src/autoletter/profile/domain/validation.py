"""Normalisation and validation of a profile before it is stored.

Rules (decided here, documented in the service README):
- every text is NFC-normalised and trimmed; a blank text counts as absent (a cleared field);
- an absent field, or an address lacking a required part, is stored and reported as missing;
- a present but invalid value (too long, control characters, bad e-mail, unknown country, postal
  code not matching its country) refuses the whole write with one message per field, keyed by
  its dotted path (`name`, `email`, `address.postal_code`, ...).
"""

from __future__ import annotations

import unicodedata

import pycountry
from email_validator import EmailNotValidError, validate_email

from autoletter.profile.domain.model import ADDRESS_PARTS, Address, Profile
from autoletter.profile.domain.postal import InvalidPostalCode, checked_postal_code

MAX_NAME = 200
MAX_LINE = 200
MAX_EMAIL = 254


class InvalidProfile(ValueError):
    """A write carried present-but-invalid values; `errors` maps each field path to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


def normalise(profile: Profile) -> Profile:
    """The stored form of `profile`, or InvalidProfile naming every invalid field."""
    errors: dict[str, str] = {}
    name = _text(profile.name, "name", MAX_NAME, errors)
    email = _email(profile.email, errors)
    address = _address(profile.address, errors)
    if errors:
        raise InvalidProfile(errors)
    return Profile(name=name, email=email, address=address)


def _text(value: object, path: str, limit: int, errors: dict[str, str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors[path] = "must be a string"
        return None
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        return None
    if len(text) > limit:
        errors[path] = f"must be at most {limit} characters"
    elif any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        errors[path] = "must not contain control characters or line breaks"
    return text


def _email(value: object, errors: dict[str, str]) -> str | None:
    text = _text(value, "email", MAX_EMAIL, errors)
    if text is None or "email" in errors:
        return text
    try:
        # Syntax only: a DNS lookup would make writes slow and flaky, and the address is
        # proven by Stripe's receipts anyway.
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        errors["email"] = f"is not a valid e-mail address: {exc}"
        return text


def _address(address: Address | None, errors: dict[str, str]) -> Address | None:
    if address is None:
        return None
    parts = {
        part: _text(getattr(address, part), f"address.{part}", MAX_LINE, errors) for part in ADDRESS_PARTS
    }
    country = parts["country"]
    if country is not None and "address.country" not in errors:
        country = country.upper()
        if len(country) != 2 or pycountry.countries.get(alpha_2=country) is None:
            errors["address.country"] = "must be an ISO 3166-1 alpha-2 country code, e.g. DE"
        parts["country"] = country
    code = parts["postal_code"]
    if code is not None and "address.postal_code" not in errors:
        # Without a valid country only the general shape can be checked; the country-specific
        # check runs again once the country is known.
        known = country if "address.country" not in errors else None
        try:
            parts["postal_code"] = checked_postal_code(code, known)
        except InvalidPostalCode as exc:
            errors["address.postal_code"] = str(exc)
    result = Address(**parts)
    return None if result.is_empty else result
