"""Settings read once from the environment with per-service prefixes; clocks tests can move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import ValidationError

from autoletter.runtime.clock import FrozenClock, OffsetClock
from autoletter.runtime.settings import ServiceSettings


class LettersLikeSettings(ServiceSettings):
    service_name: ClassVar[str] = "letterslike"


def test_service_prefix_wins_over_the_shared_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOLETTER_KAFKA_TOPIC_PREFIX", "shared.")
    monkeypatch.setenv("AUTOLETTER_HTTP_PORT", "9000")
    monkeypatch.setenv("LETTERSLIKE_HTTP_PORT", "9003")
    settings = LettersLikeSettings()
    assert settings.kafka_topic_prefix == "shared."
    assert settings.http_port == 9003
    assert settings.database_schema == "letterslike"


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LETTERSLIKE_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="development default is refused"):
        LettersLikeSettings()
    monkeypatch.setenv("LETTERSLIKE_JWT_SECRET", "x" * 40)
    assert LettersLikeSettings().environment == "production"


def test_production_refuses_a_moved_clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LETTERSLIKE_ENVIRONMENT", "production")
    monkeypatch.setenv("LETTERSLIKE_JWT_SECRET", "x" * 40)
    monkeypatch.setenv("LETTERSLIKE_CLOCK_OFFSET_FILE", str(tmp_path / "offset"))
    with pytest.raises(ValidationError, match="refused in production"):
        LettersLikeSettings()


def test_secrets_never_appear_in_the_redacted_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LETTERSLIKE_JWT_SECRET", "s3cret-value-that-must-not-leak-0123456789")
    redacted = LettersLikeSettings().redacted()
    assert "s3cret-value" not in repr(redacted)
    assert "s3cret-value" not in repr(LettersLikeSettings())


def test_offset_clock_moves_every_reader_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clock-offset"
    a, b = OffsetClock(path), OffsetClock(path)
    assert abs(a.now() - datetime.now(UTC)) < timedelta(seconds=5)
    OffsetClock.write(path, timedelta(days=10))
    for clock in (a, b):
        assert (
            timedelta(days=10) - timedelta(seconds=5)
            < clock.now() - datetime.now(UTC)
            < timedelta(days=10, seconds=5)
        )


def test_frozen_clock_never_goes_backwards() -> None:
    clock = FrozenClock(datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    assert clock.advance(timedelta(minutes=2)) == datetime(2026, 12, 1, 0, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(timedelta(seconds=-1))
