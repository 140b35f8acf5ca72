"""What a customer may type into the profile, and the message each mistake gets."""

from __future__ import annotations

import pytest

from autoletter.profile.domain import Address, InvalidProfile, Profile, normalise

BERLIN = Address(line1="Unter den Linden 1", postal_code="10117", city="Berlin", country="DE")


def errors_of(profile: Profile) -> dict[str, str]:
    with pytest.raises(InvalidProfile) as caught:
        normalise(profile)
    return caught.value.errors


@pytest.mark.parametrize(
    ("country", "code", "stored"),
    [
        ("DE", "10117", "10117"),
        ("AT", "1010", "1010"),
        ("CH", "8001", "8001"),
        ("FR", "75001", "75001"),
        ("BE", "1000", "1000"),
        ("NL", "1012ab", "1012 AB"),
        ("NL", "1012  AB", "1012 AB"),
        ("LU", "L-1009", "L-1009"),
        ("IT", "00184", "00184"),
        ("ES", "28001", "28001"),
        ("GB", "sw1a1aa", "SW1A 1AA"),
        ("GB", "M1 1AE", "M1 1AE"),
        ("US", "10001-1234", "10001-1234"),
        ("PT", "1000-001", "1000-001"),
        ("JP", "100-0001", "100-0001"),
    ],
)
def test_postal_codes_of_each_country_are_accepted_in_their_usual_form(
    country: str, code: str, stored: str
) -> None:
    address = normalise(Profile(address=Address(postal_code=code, country=country.lower()))).address
    assert address == Address(postal_code=stored, country=country)


@pytest.mark.parametrize(
    ("country", "code"),
    [
        ("DE", "1011"),
        ("DE", "1011\u0667"),  # an Arabic-Indic digit is not a German postal code
        ("AT", "0101"),
        ("CH", "80010"),
        ("FR", "7500"),
        ("BE", "10000"),
        ("NL", "0123 AB"),
        ("LU", "L-10"),
        ("IT", "0018"),
        ("ES", "53001"),
        ("GB", "SW1A"),
        ("US", "1000"),
        ("PT", "1000/001"),
    ],
)
def test_a_postal_code_that_does_not_fit_its_country_is_refused(country: str, code: str) -> None:
    errors = errors_of(Profile(address=Address(postal_code=code, country=country)))
    assert list(errors) == ["address.postal_code"]


def test_every_invalid_field_gets_its_own_message() -> None:
    errors = errors_of(
        Profile(
            name="x" * 201,
            email="not-an-address",
            address=Address(line1="a\nb", postal_code="ABCDE", city="Berlin", country="QQ"),
        )
    )
    assert sorted(errors) == ["address.country", "address.line1", "email", "name"]
    assert "200" in errors["name"]
    assert "ISO 3166" in errors["address.country"]


def test_an_email_is_checked_without_asking_dns_and_its_domain_lower_cased() -> None:
    # .invalid never resolves: a DNS check would refuse it, a syntax check alone does not care
    # about the domain existing, only about it being a real-looking one.
    assert normalise(Profile(email="Ada.Lovelace@Example.COM")).email == "Ada.Lovelace@example.com"
    assert (
        normalise(Profile(email="billing@no-such-domain-a7c3.de")).email == "billing@no-such-domain-a7c3.de"
    )
    assert "email" in errors_of(Profile(email="ada@localhost"))


def test_names_are_trimmed_and_may_be_200_characters_long() -> None:
    assert normalise(Profile(name="  ACME GmbH  ")).name == "ACME GmbH"
    assert normalise(Profile(name="n" * 200)).name == "n" * 200


def test_a_partial_address_is_kept_and_counts_as_missing() -> None:
    profile = normalise(Profile(name="Ada", email="ada@example.com", address=Address(line1="Main St 1")))
    assert profile.address == Address(line1="Main St 1")
    assert [f.value for f in profile.missing()] == ["address"]


def test_a_complete_address_has_line1_postal_code_city_and_country_and_line2_is_optional() -> None:
    profile = normalise(Profile(name="Ada", email="ada@example.com", address=BERLIN))
    assert profile.is_complete
