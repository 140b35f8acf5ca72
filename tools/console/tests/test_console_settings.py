"""The console reaches the services over HTTP only: its settings carry no database and no Kafka."""

from __future__ import annotations

import pytest

from autoletter.console.settings import ConsoleSettings


def test_the_console_settings_have_no_database_or_kafka_field(monkeypatch: pytest.MonkeyPatch) -> None:
    names = set(ConsoleSettings.model_fields)
    assert not {n for n in names if n.startswith(("database", "kafka", "consumer_"))}, names
    assert {"http_port", "jwt_secret", "profile_url", "environment"} <= names
    # A shared environment (AUTOLETTER_DATABASE_URL for the services) does not trouble it.
    monkeypatch.setenv("AUTOLETTER_DATABASE_URL", "postgresql+asyncpg://x@db/y")
    monkeypatch.setenv("CONSOLE_HTTP_PORT", "8123")
    assert ConsoleSettings().http_port == 8123
