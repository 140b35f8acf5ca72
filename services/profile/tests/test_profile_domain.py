"""Properties of the pure profile domain: completeness, normalisation and the events a write causes."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from autoletter.profile.domain import (
    REQUIRED_ADDRESS_PARTS,
    Address,
    BecameComplete,
    BecameIncomplete,
    ChangedWhileComplete,
    Field,
    Profile,
    normalise,
    transition,
)

# -- strategies: raw input as people type it, and the stored (normalised) form --
#: A valid postal code per country, with the format-checked countries and two without a rule.
POSTAL_CODES = {
    "DE": st.from_regex(r"[0-9]{5}", fullmatch=True),
    "AT": st.from_regex(r"[1-9][0-9]{3}", fullmatch=True),
    "CH": st.from_regex(r"[1-9][0-9]{3}", fullmatch=True),
    "FR": st.from_regex(r"[0-9]{5}", fullmatch=True),
    "BE": st.from_regex(r"[1-9][0-9]{3}", fullmatch=True),
    "NL": st.from_regex(r"[1-9][0-9]{3} ?[a-zA-Z]{2}", fullmatch=True),
    "LU": st.from_regex(r"(L-)?[0-9]{4}", fullmatch=True),
    "IT": st.from_regex(r"[0-9]{5}", fullmatch=True),
    "ES": st.from_regex(r"(0[1-9]|[1-4][0-9]|5[0-2])[0-9]{3}", fullmatch=True),
    "GB": st.sampled_from(["SW1A 1AA", "m1 1ae", "B338TH", "CR2 6XH", "DN55 1PT", "EC1A 1BB"]),
    "US": st.from_regex(r"[0-9]{5}(-[0-9]{4})?", fullmatch=True),
    "PT": st.from_regex(r"[0-9]{4}-[0-9]{3}", fullmatch=True),
    "JP": st.from_regex(r"[0-9]{3}-[0-9]{4}", fullmatch=True),
}

_printable = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp", "Zs"))
_word = st.text(_printable, min_size=1, max_size=20)
#: Text with the stray whitespace a form may add.
text = st.builds(
    lambda pad, core, tail: pad + core + tail,
    st.sampled_from(["", " ", "  "]),
    _word,
    st.sampled_from(["", " ", "\t"]),
)
names = text
emails = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    st.from_regex(r"[a-z0-9]([a-z0-9._+-]{0,10}[a-z0-9])?", fullmatch=True).filter(lambda s: ".." not in s),
    # "xn--" style double dashes are reserved for Punycode: the validator refuses them elsewhere.
    st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True).filter(lambda s: "--" not in s),
    st.sampled_from(["com", "de", "fr", "org", "EU"]),
)


@st.composite
def addresses(draw: st.DrawFn, *, complete: bool = True) -> Address:
    country = draw(st.sampled_from(sorted(POSTAL_CODES)))
    parts = {
        "line1": draw(text),
        "line2": draw(st.none() | text),
        "postal_code": draw(POSTAL_CODES[country]),
        "city": draw(text),
        "country": draw(st.sampled_from([country, country.lower()])),
    }
    if not complete:
        for part in draw(st.sets(st.sampled_from(sorted(parts)))):
            parts[part] = None
    return Address(**parts)


def complete_raw_profiles() -> st.SearchStrategy[Profile]:
    return st.builds(Profile, name=names, email=emails, address=addresses())


def raw_profiles() -> st.SearchStrategy[Profile]:
    """Any profile a client may send: each field absent or valid, addresses possibly partial."""
    return st.builds(
        Profile,
        name=st.none() | names,
        email=st.none() | emails,
        address=st.none() | addresses(complete=False) | addresses(),
    )


def stored_profiles() -> st.SearchStrategy[Profile]:
    return raw_profiles().map(normalise)


def complete_profiles() -> st.SearchStrategy[Profile]:
    return complete_raw_profiles().map(normalise)


# -- properties --

ORDER = [Field.NAME, Field.EMAIL, Field.ADDRESS]


@given(stored_profiles())
def test_a_profile_is_complete_exactly_when_nothing_is_missing(profile: Profile) -> None:
    assert profile.is_complete == (profile.missing() == [])


@given(stored_profiles())
def test_missing_lists_name_email_address_in_that_order(profile: Profile) -> None:
    missing = profile.missing()
    assert missing == [f for f in ORDER if f in missing]


@given(complete_raw_profiles())
def test_a_profile_with_all_three_valid_fields_is_complete(raw: Profile) -> None:
    assert normalise(raw).missing() == []


@given(raw_profiles())
def test_normalising_twice_changes_nothing(raw: Profile) -> None:
    once = normalise(raw)
    assert normalise(once) == once


@given(complete_profiles(), st.sampled_from(["name", "email", "address"]))
def test_clearing_a_required_field_makes_a_complete_profile_incomplete(profile: Profile, field: str) -> None:
    after = normalise(replace(profile, **{field: None}))
    assert after.missing() == [Field(field)]
    assert transition(profile, after) == [BecameIncomplete((Field(field),))]


@given(complete_profiles(), st.sampled_from(REQUIRED_ADDRESS_PARTS), st.sampled_from([None, "", "   "]))
def test_an_address_without_a_required_part_counts_as_missing(
    profile: Profile, part: str, blank: str | None
) -> None:
    assert profile.address is not None
    after = normalise(profile.with_address(replace(profile.address, **{part: blank})))
    assert after.missing() == [Field.ADDRESS]
    assert transition(profile, after) == [BecameIncomplete((Field.ADDRESS,))]


@given(st.none() | stored_profiles())
def test_an_identical_write_emits_nothing(profile: Profile | None) -> None:
    if profile is not None:
        assert transition(profile, profile) == []


@given(st.none() | stored_profiles(), stored_profiles())
def test_a_write_emits_at_most_one_event_and_the_right_kind(before: Profile | None, after: Profile) -> None:
    events = transition(before, after)
    assert len(events) <= 1
    was_complete = before is not None and before.is_complete
    if before == after:
        assert events == []
    elif after.is_complete:
        expected = ChangedWhileComplete(after) if was_complete else BecameComplete(after)
        assert events == [expected]
    elif before is None or before.missing() != after.missing():
        assert events == [BecameIncomplete(tuple(after.missing()))]
    else:
        assert events == []


@given(stored_profiles())
def test_the_first_write_always_announces_the_profile(after: Profile) -> None:
    (event,) = transition(None, after)
    if after.is_complete:
        assert event == BecameComplete(after)
    else:
        assert event == BecameIncomplete(tuple(after.missing()))


@given(stored_profiles(), stored_profiles())
def test_a_merge_patch_with_every_field_replaces_the_profile(before: Profile, after: Profile) -> None:
    patch = after.to_dict()
    if before.address is not None and after.address is not None:
        # A nested merge keeps parts the patch leaves out; send them all, as a PUT does.
        patch["address"] = {**{k: None for k in before.address.to_dict()}, **after.address.to_dict()}
    assert before.merged(patch) == after


@given(stored_profiles())
def test_an_empty_merge_patch_changes_nothing(profile: Profile) -> None:
    assert profile.merged({}) == profile


def test_a_merge_patch_changes_one_address_part_and_null_clears_another() -> None:
    before = Profile(
        address=Address(line1="Main St 1", line2="c/o Ada", postal_code="10115", city="Berlin", country="DE")
    )
    after = before.merged({"address": {"city": "Potsdam", "line2": None}})
    assert after.address == Address(line1="Main St 1", postal_code="10115", city="Potsdam", country="DE")


@given(st.sampled_from(["", " ", "\t \n"]))
def test_blank_text_counts_as_absent(blank: str) -> None:
    assert normalise(Profile(name=blank, email=blank)) == Profile()
    assert normalise(Profile(address=Address(line1=blank, city=blank))) == Profile()
