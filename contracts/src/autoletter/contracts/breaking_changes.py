"""The changes between two JSON Schemas of one event that would break a producer or a consumer.

Topics are kept forever and services deploy one at a time, so a change within a schema version must
hold both ways: every event of the released schema still validates against the new one (replays, and
consumers deployed first), and every event the new schema allows still validates against the released
one (consumers not yet deployed). DESIGN §3 tolerates two additions only: an unknown field is ignored,
and a value of an open set (`common.OpenSet`) that a consumer does not know is counted. Any other change
to what a schema accepts breaks; titles, descriptions and examples are free.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Schema = dict[str, Any]

#: Words of a schema that change no accepted value.
_PROSE = frozenset({"title", "description", "examples", "$comment", "$defs"})
#: Words compared one by one below; any other word that changes is reported as a changed keyword.
_HANDLED = frozenset({"type", "enum", "anyOf", "properties", "required", "items", "default"})
_LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_NULL = {"type": "null"}


class Rule(StrEnum):
    """A rule of compatible evolution, as the gate names it when a change breaks it."""

    EVENT_REMOVED = "event type removed"
    VERSION_BACKWARDS = "schema_version lower than released"
    NO_UPCASTER = "no upcaster from a released version"
    FIELD_REMOVED = "field removed"
    NEW_REQUIRED = "new field is required"
    MADE_REQUIRED = "optional field made required"
    MADE_OPTIONAL = "required field made optional"
    TYPE_CHANGED = "type changed"
    NARROWED = "constraint narrowed"
    WIDENED = "constraint widened"
    CONSTRAINT_CHANGED = "constraint changed"
    VALUE_REMOVED = "value removed from a closed set"
    VALUE_ADDED = "value added to a closed set"
    OPENNESS_CHANGED = "set changed between open and closed"
    DEFAULT_CHANGED = "default changed"


@dataclass(frozen=True, order=True)
class Break:
    """One breaking change: where (event, then the field path), which rule, and what changed."""

    where: str
    rule: Rule
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.rule}" + (f": {self.detail}" if self.detail else "")


def breaking_changes(event: str, released: Schema, current: Schema) -> list[Break]:
    """Every change from the released schema of an event to its current one that breaks a reader."""
    comparison = _Comparison(released, current)
    comparison.compare(released, current, event)
    return sorted(comparison.breaks)


class _Comparison:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root, self.new_root = old_root, new_root
        self.breaks: list[Break] = []

    def report(self, where: str, rule: Rule, detail: str = "") -> None:
        self.breaks.append(Break(where, rule, detail))

    def compare(self, old: Schema, new: Schema, where: str) -> None:
        old, new = _resolve(old, self.old_root), _resolve(new, self.new_root)
        if old.get("default") != new.get("default"):
            self.report(where, Rule.DEFAULT_CHANGED, f"{old.get('default')!r} → {new.get('default')!r}")
        old_alternatives = _alternatives(old, self.old_root)
        new_alternatives = _alternatives(new, self.new_root)
        old_null, new_null = _NULL in old_alternatives, _NULL in new_alternatives
        if old_null != new_null:
            self.report(
                where, Rule.TYPE_CHANGED, "null no longer allowed" if old_null else "null now allowed"
            )
        old_alternatives = [a for a in old_alternatives if a != _NULL]
        new_alternatives = [a for a in new_alternatives if a != _NULL]
        old_open, new_open = _open_set(old_alternatives), _open_set(new_alternatives)
        if old_open or new_open:
            if not (old_open and new_open):
                self.report(where, Rule.OPENNESS_CHANGED, "now open" if new_open else "now closed")
            return  # an open set's values may come and go: readers count the ones they do not know
        if len(old_alternatives) != len(new_alternatives):
            self.report(where, Rule.TYPE_CHANGED, f"{_kind(old)} → {_kind(new)}")
            return
        if len(old_alternatives) > 1:
            for i, (o, n) in enumerate(zip(old_alternatives, new_alternatives, strict=True)):
                self.compare(o, n, f"{where}(alternative {i + 1})")
            return
        self.compare_one(old_alternatives[0], new_alternatives[0], where)

    def compare_one(self, old: Schema, new: Schema, where: str) -> None:
        if old.get("type") != new.get("type"):
            self.report(where, Rule.TYPE_CHANGED, f"{_kind(old)} → {_kind(new)}")
            return
        self.compare_values(old, new, where)
        self.compare_bounds(old, new, where)
        for word in sorted((old.keys() | new.keys()) - _PROSE - _HANDLED - {"$ref"}):
            if word in (*_LOWER_BOUNDS, *_UPPER_BOUNDS) or old.get(word) == new.get(word):
                continue
            rule = Rule.NARROWED if word not in old else Rule.WIDENED if word not in new else None
            detail = f"{word} {_or_none(old.get(word))} → {_or_none(new.get(word))}"
            self.report(where, rule or Rule.CONSTRAINT_CHANGED, detail)
        if "properties" in old or "properties" in new:
            self.compare_fields(old, new, where)
        if "items" in old and "items" in new:
            self.compare(old["items"], new["items"], f"{where}[]")

    def compare_values(self, old: Schema, new: Schema, where: str) -> None:
        if "enum" not in old and "enum" not in new:
            return
        old_values, new_values = old.get("enum", []), new.get("enum", [])
        if removed := [v for v in old_values if v not in new_values]:
            self.report(where, Rule.VALUE_REMOVED, ", ".join(map(repr, removed)))
        if added := [v for v in new_values if v not in old_values]:
            self.report(where, Rule.VALUE_ADDED, ", ".join(map(repr, added)) + " (consumers refuse it)")

    def compare_bounds(self, old: Schema, new: Schema, where: str) -> None:
        for word, lower in [(w, True) for w in _LOWER_BOUNDS] + [(w, False) for w in _UPPER_BOUNDS]:
            before, after = old.get(word), new.get(word)
            if before == after:
                continue
            if before is None or after is None:
                narrowed = before is None
            else:
                narrowed = after > before if lower else after < before
            rule = Rule.NARROWED if narrowed else Rule.WIDENED
            self.report(where, rule, f"{word} {_or_none(before)} → {_or_none(after)}")

    def compare_fields(self, old: Schema, new: Schema, where: str) -> None:
        old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        added = [name for name in new_fields if name not in old_fields]
        for name, schema in old_fields.items():
            if name in new_fields:
                if name in old_required and name not in new_required:
                    self.report(f"{where}.{name}", Rule.MADE_OPTIONAL)
                elif name in new_required and name not in old_required:
                    self.report(f"{where}.{name}", Rule.MADE_REQUIRED)
                self.compare(schema, new_fields[name], f"{where}.{name}")
                continue
            twins = [a for a in added if _shape(new_fields[a]) == _shape(schema)]
            self.report(f"{where}.{name}", Rule.FIELD_REMOVED, f"renamed to {twins[0]}?" if twins else "")
        for name in added:
            if name in new_required:
                self.report(f"{where}.{name}", Rule.NEW_REQUIRED, "released events do not have it")


def _resolve(node: Schema, root: Schema) -> Schema:
    """The node with a local `$ref` replaced by its definition (words beside the `$ref` kept)."""
    while "$ref" in node:
        target = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _alternatives(node: Schema, root: Schema) -> list[Schema]:
    """The schemas a value may match: the `anyOf` list (each resolved), else the node itself."""
    return [_resolve(a, root) for a in node["anyOf"]] if "anyOf" in node else [node]


def _open_set(alternatives: list[Schema]) -> bool:
    """Whether the alternatives are an OpenSet field: known values, or any other string."""
    return (
        len(alternatives) == 2
        and "enum" in alternatives[0]
        and {k: v for k, v in alternatives[1].items() if k not in _PROSE} == {"type": "string"}
    )


def _shape(node: Schema) -> Schema:
    return {k: v for k, v in node.items() if k not in _PROSE}


def _kind(node: Schema) -> str:
    if "anyOf" in node:
        return " | ".join(_kind(a) for a in node["anyOf"])
    return str(node.get("type") or node.get("$ref", "any").rsplit("/", 1)[-1])


def _or_none(value: Any) -> str:
    return "(none)" if value is None else repr(value)
