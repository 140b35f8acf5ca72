"""JSON Schema and AsyncAPI documents generated from the models (checked in, CI checks they are fresh)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autoletter.contracts.registry import MESSAGES, TOPICS

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schemas"


def json_schemas() -> dict[str, dict[str, Any]]:
    """One JSON Schema per message type."""
    return {name: cls.model_json_schema() for name, cls in sorted(MESSAGES.items())}


def asyncapi() -> dict[str, Any]:
    """An AsyncAPI 3.0 document: every topic, its messages, keyed by account_id."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in TOPICS.values():
        names = sorted(n for n, c in MESSAGES.items() if c.topic == topic.name)
        channels[topic.name] = {
            "address": topic.name,
            "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in names},
            "bindings": {
                "kafka": {
                    "partitions": topic.partitions,
                    "topicConfiguration": {"retention.ms": topic.retention_ms},
                }
            },
        }
        operations[f"publish_{topic.name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic.name}"},
        }
    messages = {
        n: {
            "name": n,
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{n}"},
            "bindings": {"kafka": {"key": {"type": "string", "description": "account_id"}}},
        }
        for n in sorted(MESSAGES)
    }
    schemas: dict[str, Any] = {}
    for name, cls in sorted(MESSAGES.items()):
        schema = cls.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "AutoLetter billing backbone", "version": "1.0.0"},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render() -> dict[Path, str]:
    """Every generated file and its content."""
    files = {SCHEMA_DIR / f"{n}.json": dump(s) for n, s in json_schemas().items()}
    files[SCHEMA_DIR / "asyncapi.json"] = dump(asyncapi())
    return files


def dump(doc: dict[str, Any]) -> str:
    """A document as the checked-in files hold it: indented, keys sorted."""
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def write() -> None:
    """Regenerate the checked-in files."""
    SCHEMA_DIR.mkdir(exist_ok=True)
    for path, text in render().items():
        path.write_text(text)


if __name__ == "__main__":
    write()
