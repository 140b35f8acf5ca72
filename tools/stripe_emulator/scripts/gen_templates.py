"""Regenerate `templates.json`: object shapes taken from stripe-mock's own fixtures and spec.

The fixtures of stripe-mock v0.203.0 (API 2026-08-26.dahlia) give every field of every object, but
with demo values (discounts, shipping costs, random amounts). Each template keeps the fixture's field
set and replaces the values by the spec's neutral defaults: nullable → null, lists → [], maps → {},
integers → 0; strings and booleans stay (enum-valid). The emulator then sets the fields it models.

    uv run python tools/stripe_emulator/scripts/gen_templates.py [path/to/stripe-mock/embedded/openapi]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path("/root/go/pkg/mod/github.com/stripe/stripe-mock@v0.203.0/embedded/openapi")
OUT = Path(__file__).resolve().parents[1] / "src/autoletter/stripe_emulator/templates.json"
OBJECTS = [
    "customer",
    "checkout.session",
    "setup_intent",
    "payment_method",
    "billing_portal.session",
    "invoice",
    "line_item",
    "invoiceitem",
    "payment_intent",
    "invoice_payment",
    "event",
    "webhook_endpoint",
    "charge",
    "dispute",
    "mandate",
]


def neutral(value: Any, schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """The value with the spec's neutral default for each field."""
    if value is None or schema.get("nullable"):
        return None
    schema = resolve(schema, components)
    if isinstance(value, dict) and depth < 8:
        props = schema.get("properties")
        if props is None:
            return {}  # a free-form map (metadata)
        return {k: neutral(v, props.get(k, {}), components, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return []
    if isinstance(value, int) and not isinstance(value, bool):
        return 0
    return value


def resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Follow $ref and pick the object branch of an anyOf (expandable fields)."""
    if "$ref" in schema:
        return resolve(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for branch in schema.get("anyOf", []):
        resolved = resolve(branch, components)
        if resolved.get("type") == "object" or "properties" in resolved:
            return resolved
    return schema


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR
    spec = json.loads((src / "spec3.json").read_text())
    fixtures = json.loads((src / "fixtures3.json").read_text())["resources"]
    components = spec["components"]["schemas"]
    out = {name: neutral(fixtures[name], components[name], components) for name in OBJECTS}
    OUT.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
