"""The contract evolution gate: the current event schemas keep the released ones, and the gate itself
tells compatible changes from breaking ones, on a toy event and its schema changed one rule at a time."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar
from uuid import uuid4

import pytest
from pydantic import BaseModel, Field

from autoletter.contracts import MESSAGES, DecodeError, decode
from autoletter.contracts.breaking_changes import Break, Rule, Schema, breaking_changes
from autoletter.contracts.common import OpenSet
from autoletter.contracts.envelope import Envelope
from autoletter.contracts.release import IncompatibleChange, current, gate, release, released, report
from autoletter.contracts.upcasting import UPCASTERS, MissingUpcaster, RawEvent, Registry, upcast, upcaster


def test_current_schemas_keep_the_released_contracts() -> None:
    baseline = released()
    assert baseline, (
        "contracts/schemas/released/ is empty: run `uv run python -m autoletter.contracts.release`"
    )
    breaks = gate(baseline, current())
    assert not breaks, report(breaks)


# --- the gate on one toy event, changed one rule at a time -------------------------------------------


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Why(StrEnum):
    LOST = "lost"
    LATE = "late"


class Place(BaseModel):
    city: str
    country: str = Field(pattern=r"^[A-Z]{2}$")


class ToyShipped(BaseModel):
    """A toy event: every kind of field the real contracts use."""

    parcel_id: str = Field(max_length=32, description="The parcel.")
    weight_grams: int = Field(ge=1, le=30_000)
    colour: Colour
    reason: Annotated[Why | str, Field(union_mode="left_to_right"), OpenSet(Why)]
    note: str | None = None
    destination: Place
    tags: list[str]


Edit = Callable[[Schema], object]


def _fields(schema: Schema) -> dict[str, Schema]:
    fields: dict[str, Schema] = schema["properties"]
    return fields


def _rename(schema: Schema) -> None:
    _fields(schema)["parcel_ref"] = _fields(schema).pop("parcel_id")
    schema["required"] = ["parcel_ref" if n == "parcel_id" else n for n in schema["required"]]


COMPATIBLE: dict[str, Edit] = {
    "nothing changed": lambda s: None,
    "a new optional field": lambda s: _fields(s).update(gift={"type": "boolean", "default": False}),
    "a new value in an open set": lambda s: s["$defs"]["Why"]["enum"].append("damaged"),
    "a value dropped from an open set": lambda s: s["$defs"]["Why"]["enum"].remove("late"),
    "new descriptions and titles": lambda s: (
        s.update(description="Now described."),
        _fields(s)["parcel_id"].update(description="The parcel, as printed on its label.", title="Parcel"),
    ),
}

BREAKING: dict[str, tuple[Edit, str, Rule, str]] = {
    "a removed field": (lambda s: _fields(s).pop("note"), "ToyShipped.note", Rule.FIELD_REMOVED, ""),
    "a renamed field": (_rename, "ToyShipped.parcel_id", Rule.FIELD_REMOVED, "renamed to parcel_ref?"),
    "a changed type": (
        lambda s: _fields(s)["weight_grams"].update(type="number"),
        "ToyShipped.weight_grams",
        Rule.TYPE_CHANGED,
        "integer → number",
    ),
    "null no longer allowed": (
        lambda s: _fields(s).update(note={"type": "string", "default": None}),
        "ToyShipped.note",
        Rule.TYPE_CHANGED,
        "null no longer allowed",
    ),
    "optional made required": (
        lambda s: s["required"].append("note"),
        "ToyShipped.note",
        Rule.MADE_REQUIRED,
        "",
    ),
    "required made optional": (
        lambda s: s["required"].remove("tags"),
        "ToyShipped.tags",
        Rule.MADE_OPTIONAL,
        "",
    ),
    "a new required field": (
        lambda s: (_fields(s).update(gift={"type": "boolean"}), s["required"].append("gift")),
        "ToyShipped.gift",
        Rule.NEW_REQUIRED,
        "released events do not have it",
    ),
    "maxLength tightened": (
        lambda s: _fields(s)["parcel_id"].update(maxLength=16),
        "ToyShipped.parcel_id",
        Rule.NARROWED,
        "maxLength 32 → 16",
    ),
    "minimum raised": (
        lambda s: _fields(s)["weight_grams"].update(minimum=10),
        "ToyShipped.weight_grams",
        Rule.NARROWED,
        "minimum 1 → 10",
    ),
    "maximum raised": (
        lambda s: _fields(s)["weight_grams"].update(maximum=40_000),
        "ToyShipped.weight_grams",
        Rule.WIDENED,
        "maximum 30000 → 40000",
    ),
    "a pattern changed in a nested value": (
        lambda s: s["$defs"]["Place"]["properties"]["country"].update(pattern="^[A-Z]{3}$"),
        "ToyShipped.destination.country",
        Rule.CONSTRAINT_CHANGED,
        "pattern '^[A-Z]{2}$' → '^[A-Z]{3}$'",
    ),
    "a format added": (
        lambda s: _fields(s)["parcel_id"].update(format="uuid"),
        "ToyShipped.parcel_id",
        Rule.NARROWED,
        "format (none) → 'uuid'",
    ),
    "a value removed from a closed set": (
        lambda s: s["$defs"]["Colour"]["enum"].remove("blue"),
        "ToyShipped.colour",
        Rule.VALUE_REMOVED,
        "'blue'",
    ),
    "a value added to a closed set": (
        lambda s: s["$defs"]["Colour"]["enum"].append("green"),
        "ToyShipped.colour",
        Rule.VALUE_ADDED,
        "'green' (consumers refuse it)",
    ),
    "an open set closed": (
        lambda s: _fields(s).update(reason={"$ref": "#/$defs/Why"}),
        "ToyShipped.reason",
        Rule.OPENNESS_CHANGED,
        "now closed",
    ),
    "a list's items changed": (
        lambda s: _fields(s)["tags"]["items"].update(type="integer"),
        "ToyShipped.tags[]",
        Rule.TYPE_CHANGED,
        "string → integer",
    ),
    "a default changed": (
        lambda s: _fields(s)["note"].update(default="none"),
        "ToyShipped.note",
        Rule.DEFAULT_CHANGED,
        "None → 'none'",
    ),
    "unknown fields refused": (
        lambda s: s.update(additionalProperties=False),
        "ToyShipped",
        Rule.NARROWED,
        "additionalProperties (none) → False",
    ),
}


def _changed(edit: Edit) -> Schema:
    schema = copy.deepcopy(ToyShipped.model_json_schema())
    edit(schema)
    return schema


@pytest.mark.parametrize("change", sorted(COMPATIBLE))
def test_a_compatible_change_passes(change: str) -> None:
    assert breaking_changes("ToyShipped", ToyShipped.model_json_schema(), _changed(COMPATIBLE[change])) == []


@pytest.mark.parametrize("change", sorted(BREAKING))
def test_a_breaking_change_is_named_with_its_event_field_and_rule(change: str) -> None:
    edit, where, rule, detail = BREAKING[change]
    breaks = breaking_changes("ToyShipped", ToyShipped.model_json_schema(), _changed(edit))
    assert Break(where, rule, detail) in breaks, breaks


def test_the_report_reads_as_a_diff() -> None:
    breaks = breaking_changes("ToyShipped", ToyShipped.model_json_schema(), _changed(_rename))
    assert report(breaks).splitlines()[:2] == [
        "ToyShipped.parcel_id: field removed: renamed to parcel_ref?",
        "ToyShipped.parcel_ref: new field is required: released events do not have it",
    ]
    assert "new schema_version" in report(breaks)


def test_a_new_event_type_passes_and_a_removed_one_fails() -> None:
    schema = ToyShipped.model_json_schema()
    assert gate({}, {"ToyShipped": (1, schema)}) == []
    assert gate({("ToyShipped", 1): schema}, {}) == [
        Break("ToyShipped", Rule.EVENT_REMOVED, "v1 is released")
    ]


def test_a_version_lower_than_released_fails() -> None:
    schema = ToyShipped.model_json_schema()
    assert gate({("ToyShipped", 2): schema}, {"ToyShipped": (1, schema)}) == [
        Break("ToyShipped", Rule.VERSION_BACKWARDS, "v2 released, the model is v1")
    ]


# --- a breaking change done right: a new version and an upcaster ----------------------------------


class ParcelPriced(Envelope):
    """Version 2 of a toy event: version 1 carried whole euros in `price_euros`."""

    topic: ClassVar[str] = "toys.events"
    version: ClassVar[int] = 2

    parcel_id: str
    price_cents: int = Field(ge=0)
    currency: str = Field(pattern=r"^[a-z]{3}$")


class ParcelPricedV1(Envelope):
    """Version 1 of the toy event, as it was released."""

    parcel_id: str
    price_euros: int = Field(ge=0)


def _euros_to_cents(raw: RawEvent) -> RawEvent:
    raw["price_cents"] = raw.pop("price_euros") * 100
    raw["currency"] = "eur"
    return raw


def _old_event(**payload: Any) -> RawEvent:
    """A ParcelPriced event of version 1, as it lies on the topic."""
    return {
        "event_id": str(uuid4()),
        "event_type": "ParcelPriced",
        "schema_version": 1,
        "occurred_at": "2026-11-25T12:00:00Z",
        "account_id": "acc_1",
        "producer": "toys",
        "correlation_id": str(uuid4()),
        "parcel_id": "p-1",
        **payload,
    }


@pytest.fixture
def parcel_priced(monkeypatch: pytest.MonkeyPatch) -> None:
    """ParcelPriced v2 is a known message and its upcaster from v1 is registered, for this test only."""
    monkeypatch.setitem(MESSAGES, "ParcelPriced", ParcelPriced)
    monkeypatch.setitem(UPCASTERS, ("ParcelPriced", 1), _euros_to_cents)


@pytest.mark.usefixtures("parcel_priced")
def test_an_event_of_the_old_shape_decodes_as_the_new_version() -> None:
    old = _old_event(price_euros=12)
    event = decode(json.dumps(old).encode())
    assert isinstance(event, ParcelPriced)
    assert (event.schema_version, event.price_cents, event.currency) == (2, 1200, "eur")
    assert str(event.event_id) == old["event_id"]


@pytest.mark.usefixtures("parcel_priced")
def test_an_old_event_is_upcast_whatever_its_header_says() -> None:
    event = decode(json.dumps(_old_event(price_euros=3)).encode(), event_type="ParcelPriced")
    assert isinstance(event, ParcelPriced)
    assert (event.schema_version, event.price_cents) == (2, 300)


@pytest.mark.usefixtures("parcel_priced")
def test_an_event_of_the_current_version_is_not_upcast() -> None:
    raw = {**_old_event(price_cents=1250, currency="chf"), "schema_version": 2}
    event = decode(json.dumps(raw).encode())
    assert isinstance(event, ParcelPriced)
    assert (event.price_cents, event.currency) == (1250, "chf")


@pytest.mark.usefixtures("parcel_priced")
def test_an_old_event_the_upcaster_cannot_read_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="cannot upcast ParcelPriced v1"):
        decode(json.dumps(_old_event()).encode())


def test_an_old_event_without_an_upcaster_is_a_decode_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MESSAGES, "ParcelPriced", ParcelPriced)
    with pytest.raises(DecodeError, match="no upcaster for ParcelPriced from v1 to v2"):
        decode(json.dumps(_old_event(price_euros=12)).encode())


def test_upcasters_chain_one_version_at_a_time() -> None:
    registry: Registry = {}
    upcaster("Toy", 1, registry)(lambda raw: {**raw, "b": raw["a"] + 1})
    upcaster("Toy", 2, registry)(lambda raw: {**raw, "c": raw["b"] * 10})
    assert upcast({"event_type": "Toy", "schema_version": 1, "a": 1}, 3, registry) == {
        "event_type": "Toy",
        "schema_version": 3,
        "a": 1,
        "b": 2,
        "c": 20,
    }
    with pytest.raises(MissingUpcaster):
        upcast({"event_type": "Toy", "schema_version": 1, "a": 1}, 4, registry)
    with pytest.raises(ValueError, match="already has an upcaster"):
        upcaster("Toy", 1, registry)(lambda raw: raw)


def test_a_breaking_change_needs_a_new_version_and_an_upcaster() -> None:
    old, new = ParcelPricedV1.model_json_schema(), ParcelPriced.model_json_schema()
    same_version = gate({("ParcelPriced", 1): old}, {"ParcelPriced": (1, new)})
    assert Break("ParcelPriced.price_euros", Rule.FIELD_REMOVED, "renamed to price_cents?") in same_version
    assert Break("ParcelPriced.currency", Rule.NEW_REQUIRED, "released events do not have it") in same_version
    without_upcaster = gate({("ParcelPriced", 1): old}, {"ParcelPriced": (2, new)}, upcasters={})
    assert without_upcaster == [Break("ParcelPriced", Rule.NO_UPCASTER, "v1 → v2")]
    with_upcaster = {("ParcelPriced", 1): _euros_to_cents}
    assert gate({("ParcelPriced", 1): old}, {"ParcelPriced": (2, new)}, upcasters=with_upcaster) == []


@pytest.mark.usefixtures("parcel_priced")
def test_release_refuses_a_break_and_keeps_the_old_version_beside_the_new(tmp_path: Path) -> None:
    old, new = ParcelPricedV1.model_json_schema(), ParcelPriced.model_json_schema()
    assert [p.name for p in release(tmp_path, {"ParcelPriced": (1, old)})] == ["ParcelPriced.v1.json"]
    assert release(tmp_path, {"ParcelPriced": (1, old)}) == []
    with pytest.raises(IncompatibleChange, match=r"ParcelPriced\.price_euros: field removed"):
        release(tmp_path, {"ParcelPriced": (1, new)})
    assert [p.name for p in release(tmp_path, {"ParcelPriced": (2, new)})] == ["ParcelPriced.v2.json"]
    assert released(tmp_path) == {("ParcelPriced", 1): old, ("ParcelPriced", 2): new}
