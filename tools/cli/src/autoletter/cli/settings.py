"""The CLI's settings: the environment first, then what the local run wrote, then the defaults."""

from __future__ import annotations

import os
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from autoletter.cli import local_run
from autoletter.runtime.settings import ServiceSettings

DEFAULT_PORTS = {"console": 8000, "profile": 8001, "payments": 8002, "letters": 8003, "invoicing": 8004}


class LocalRunSource(PydanticBaseSettingsSource):
    """Settings from `autoletter dev`'s facts file (below the environment, above the defaults)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        run = local_run.find()
        if run is None:
            return {}
        values: dict[str, Any] = {
            "kafka_bootstrap_servers": run.kafka_bootstrap_servers,
            "kafka_idempotent_producer": run.kafka_idempotent_producer,
            "kafka_topic_prefix": run.kafka_topic_prefix,
            "database_url": run.database_url,
            "clock_offset_file": run.clock_offset_file,
        }
        secret = run.jwt_secret()
        if secret:
            values["jwt_secret"] = secret
        return values


class CliSettings(ServiceSettings):
    """The same AUTOLETTER_* settings as the services (JWT secret, Kafka), completed by the local run."""

    service_name = "cli"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = super().settings_customise_sources(
            settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
        )
        return (*sources, LocalRunSource(settings_cls))


def service_url(name: str) -> str:
    """Where a service answers: $AUTOLETTER_<NAME>_URL, else the local run's, else its default port."""
    explicit = os.environ.get(f"AUTOLETTER_{name.upper()}_URL")
    if explicit:
        return explicit.rstrip("/")
    run = local_run.find()
    if run is not None and name in run.urls:
        return run.urls[name].rstrip("/")
    return f"http://127.0.0.1:{DEFAULT_PORTS[name]}"
