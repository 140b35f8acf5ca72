"""What the security tests look for: forged tokens, the routes of the four OpenAPI documents, and
card numbers or secrets in text (DESIGN §4 and §8)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from autoletter.runtime.auth import OPS_ROLE, mint_token

#: Routes without a bearer token, named one by one (a new public route must be added here on purpose).
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("POST", "/v1/stripe/webhook"),  # Stripe's signature instead of a token
}
#: Routes any signed-in account may call that name no account.
ANY_ACCOUNT = {("GET", "/v1/prices")}
#: Routes for ops only (403 for anyone else).
OPS_PREFIXES = ("/v1/ops/", "/v1/billing-runs")
#: Valid values by parameter or field name, so that a refusal is about the token, not the input.
EXAMPLES: dict[str, Any] = {"period": "2020-01", "event_id": "evt_" + "0" * 24, "service": "standard"}


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    template: str
    parameters: tuple[dict[str, Any], ...]
    body: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.template

    @property
    def is_ops(self) -> bool:
        return self.template.startswith(OPS_PREFIXES)

    def path(self, values: dict[str, str]) -> str:
        """The path with its parameters filled: known names from `values`, ids as new UUIDs."""
        path = self.template
        for name in re.findall(r"{(\w+)}", self.template):
            value = values.get(name) or EXAMPLES.get(name) or str(uuid.uuid4())
            path = path.replace(f"{{{name}}}", value)
        return path

    def query(self) -> dict[str, str]:
        """Required query parameters with a plausible value (so a refusal is about the token)."""
        out = {}
        for p in self.parameters:
            if p.get("in") == "query" and p.get("required"):
                out[p["name"]] = EXAMPLES.get(p["name"], "x")
        return out


def routes(service: str, document: dict[str, Any]) -> Iterator[Route]:
    for template, methods in document["paths"].items():
        for method, operation in methods.items():
            if method in ("get", "post", "put", "patch", "delete"):
                schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
                body = _example(document, schema.get("schema", {}))
                yield Route(
                    service,
                    method.upper(),
                    template,
                    tuple(operation.get("parameters", ())),
                    body if isinstance(body, dict) else {},
                )


def _example(document: dict[str, Any], schema: dict[str, Any], name: str = "") -> Any:
    """A value the schema accepts: required fields only, known names from EXAMPLES."""
    if "$ref" in schema:
        _, _, ref = schema["$ref"].rpartition("/")
        return _example(document, document["components"]["schemas"][ref], name)
    if name in EXAMPLES:
        return EXAMPLES[name]
    kind = schema.get("type", "object")
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            k: _example(document, properties[k], k) for k in schema.get("required", ()) if k in properties
        }
    return {"string": "x", "integer": 1, "number": 1, "boolean": False, "array": []}.get(kind)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def forged_tokens(secret: str, account: str) -> dict[str, str]:
    """Tokens every route must refuse with 401, each claiming the ops role (the worst case)."""
    now = datetime.now(UTC)
    claims = {
        "sub": account,
        "roles": [OPS_ROLE],
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + 3600,
    }
    return {
        "expired": mint_token(
            secret, account, roles=[OPS_ROLE], ttl=timedelta(hours=1), now=now - timedelta(hours=2)
        ),
        "another secret": mint_token("another-secret-" + uuid.uuid4().hex, account, roles=[OPS_ROLE]),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "not a token": "not-a-token",
    }


# --- card numbers and secrets in text -----------------------------------------------------------

#: W3C trace and span ids are hex and may, rarely, be all digits: they are not card numbers.
_TRACE_IDS = re.compile(
    r"[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}"
    r"|\"(?:trace_id|span_id|parent_span_id)\": ?\"[0-9a-f]+\""
)
_DIGITS = re.compile(r"(?<![0-9A-Za-z_])(\d{15,16}|\d{4}([ -])\d{4}\2\d{4}\2\d{3,4})(?![0-9A-Za-z_])")
_CARD_PREFIX = re.compile(r"^(4|5[1-5]|2[2-7]|3[47]|6011|64[4-9]|65|35|62)")


def luhn_valid(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_like_numbers(text: str) -> set[str]:
    """15 or 16-digit numbers with a card prefix that pass the Luhn check (spaced or dashed too)."""
    found = set()
    for match in _DIGITS.finditer(_TRACE_IDS.sub("", text)):
        number = re.sub(r"[ -]", "", match.group(1))
        if len(number) in (15, 16) and _CARD_PREFIX.match(number) and luhn_valid(number):
            found.add(number)
    return found


#: Secrets' shapes, whatever their value: Stripe keys and webhook secrets.
SECRET_SHAPES = re.compile(r"\b(sk_(?:test|live)_[A-Za-z0-9]{3,}|rk_(?:test|live)_\w{8,}|whsec_[\w-]{16,})")


def findings(where: str, text: str, literals: dict[str, str]) -> list[str]:
    """What must never be in our data or logs: card-like numbers, known literals, secrets' shapes."""
    out = [f"{where}: card-like number {n[:6]}…{n[-4:]}" for n in card_like_numbers(text)]
    compact = re.sub(r"[ -]", "", text)
    out += [f"{where}: {name}" for name, value in literals.items() if value in text or value in compact]
    out += [f"{where}: secret-shaped {m[:8]}…" for m in set(SECRET_SHAPES.findall(text))]
    return out
