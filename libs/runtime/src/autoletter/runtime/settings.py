"""Settings base: read once from the environment, one prefix per service, secrets as SecretStr.

Every field can be set for all services with ``AUTOLETTER_<FIELD>`` and for one service with
``<SERVICE>_<FIELD>`` (e.g. ``PROFILE_DATABASE_URL``), which wins.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from autoletter.runtime.clock import Clock, OffsetClock, SystemClock

#: Secrets that ship as development defaults; refused anywhere else.
DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class KafkaSecurity(StrEnum):
    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    SASL_SSL = "SASL_SSL"


class KafkaSettings(BaseSettings):
    """How to reach Kafka; SASL/SCRAM and TLS by configuration."""

    model_config = SettingsConfigDict(extra="ignore")

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated."
    )
    kafka_topic_prefix: str = Field(default="", description="Prefix of every topic name (shared clusters).")
    kafka_security_protocol: KafkaSecurity = Field(
        default=KafkaSecurity.PLAINTEXT, description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."
    )
    kafka_sasl_mechanism: str = Field(
        default="SCRAM-SHA-512", description="SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN."
    )
    kafka_sasl_username: str | None = Field(default=None, description="SASL user.")
    kafka_sasl_password: SecretStr | None = Field(default=None, description="SASL password (secret).")
    kafka_ssl_cafile: str | None = Field(
        default=None, description="CA bundle for TLS; system CAs when unset."
    )
    #: Tansu and some managed brokers refuse the idempotent producer.
    kafka_replication_factor: int = Field(
        default=1, ge=1, description="Replicas of each topic the services create (3 on a real cluster)."
    )
    kafka_idempotent_producer: bool = Field(
        default=True, description="Idempotent producer (off for brokers without it, e.g. Tansu)."
    )

    @property
    def kafka_bootstrap_list(self) -> list[str]:
        """The bootstrap servers as a list: aiokafka reads a comma-separated string as one host."""
        return [host.strip() for host in self.kafka_bootstrap_servers.split(",") if host.strip()]


class AppSettings(BaseSettings):
    """Settings of every AutoLetter process with an HTTP face (the services, the console): where it
    listens, its tokens, logs, traces and clock. Subclasses set ``service_name``, which also names the
    environment prefix (``<NAME>_<FIELD>``, winning over ``AUTOLETTER_<FIELD>``)."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: ClassVar[str] = "service"

    environment: Environment = Field(
        default=Environment.DEVELOPMENT, description="development, test or production (refuses dev secrets)."
    )
    http_host: str = Field(default="127.0.0.1", description="Address the HTTP server binds.")
    http_port: int = Field(default=8000, description="HTTP port.")
    http_reuse_port: bool = Field(
        default=False, description="Let several processes of this service share the port (SO_REUSEPORT)."
    )
    jwt_secret: SecretStr = Field(
        default=SecretStr(DEV_JWT_SECRET),
        description="HS256 secret of the bearer tokens (at least 32 characters).",
    )
    log_level: str = Field(default="INFO", description="Log level.")
    log_json: bool = Field(default=True, description="JSON log lines with correlation_id.")
    graceful_timeout_s: float = Field(
        default=30.0, description="Shutdown waits this long for in-flight handlers (above the longest one)."
    )
    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces endpoint (e.g. http://127.0.0.1:4318/v1/traces); unset: not exported.",
    )
    tracing_sample_ratio: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Share of new traces exported (context always propagates; a sampled parent wins).",
    )
    #: Development and tests only: the clock reads an offset (seconds) from this file (OffsetClock).
    clock_offset_file: Path | None = Field(
        default=None, description="Dev and tests only: the clock adds the seconds written in this file."
    )

    @model_validator(mode="after")
    def _production(self) -> AppSettings:
        if self.environment is Environment.PRODUCTION:
            if self.clock_offset_file is not None:
                raise ValueError("clock_offset_file: a moved clock is refused in production")
            if self.jwt_secret.get_secret_value() == DEV_JWT_SECRET:
                raise ValueError("jwt_secret: the development default is refused in production")
            if len(self.jwt_secret.get_secret_value()) < 32:
                raise ValueError("jwt_secret: at least 32 characters in production")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        prefix = f"{cls.service_name.upper()}_"
        return (
            init_settings,
            EnvSettingsSource(settings_cls, env_prefix=prefix),
            EnvSettingsSource(settings_cls, env_prefix="AUTOLETTER_"),
            file_secret_settings,
        )

    def redacted(self) -> dict[str, Any]:
        """The settings safe to log: secrets masked, URLs without passwords."""
        out = self.model_dump()
        for key, value in out.items():
            if isinstance(value, SecretStr):
                out[key] = "**********"
        return out

    def make_clock(self) -> Clock:
        """The clock this configuration asks for: the system's, or an offset one in dev and tests."""
        return OffsetClock(self.clock_offset_file) if self.clock_offset_file else SystemClock()


class ServiceSettings(AppSettings, KafkaSettings):
    """Settings every service has besides its process's: its database and Kafka; subclasses set
    ``service_name`` and add their own fields."""

    database_url: SecretStr = Field(
        default=SecretStr("postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"),
        description="SQLAlchemy URL (postgresql+asyncpg://...).",
    )
    database_schema: str = Field(default="", description="Schema of this service; defaults to its name.")
    database_pool_size: int = Field(default=10, description="Connections per process (and as many overflow).")
    consumer_outage_max_backoff_s: float = Field(
        default=30.0,
        gt=0,
        description="Longest wait between tries while an outage (database, network, Stripe) lasts.",
    )
    consumer_slow_retry_limit_s: float = Field(
        default=300.0,
        gt=0,
        description="How long a statement or lock timeout is retried while the database answers, "
        "before the message is dead-lettered (reason statement_timeout).",
    )
    metrics_interval_s: float = Field(
        default=15.0, gt=0, description="How often gauges read from the broker or database are refreshed."
    )

    @model_validator(mode="after")
    def _defaults(self) -> ServiceSettings:
        if not self.database_schema:
            self.database_schema = self.service_name
        return self
