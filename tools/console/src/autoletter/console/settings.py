"""Console settings: where the services are and how browsers reach the console."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from autoletter.runtime.settings import AppSettings, Environment


class ConsoleSettings(AppSettings):
    """``CONSOLE_<FIELD>`` or ``AUTOLETTER_<FIELD>``; the console has no database and no Kafka."""

    service_name: ClassVar[str] = "console"
    http_port: int = 8000

    profile_url: str = "http://127.0.0.1:8001"
    payments_url: str = "http://127.0.0.1:8002"
    letters_url: str = "http://127.0.0.1:8003"
    invoicing_url: str = "http://127.0.0.1:8004"
    public_url: str = Field(
        default="",
        description="How browsers reach the console (Stripe sends people back here); default: the request's.",
    )
    upstream_timeout_s: float = 15.0
    #: Guards the console's memory only; the letters service applies the real document limit.
    max_upload_bytes: int = 4 * 1024 * 1024
    session_hours: int = 8

    @property
    def dev_sign_in(self) -> bool:
        """Minting tokens from a form is for a local run only."""
        return self.environment in (Environment.DEVELOPMENT, Environment.TEST)

    def service_urls(self) -> dict[str, str]:
        return {
            "profile": self.profile_url.rstrip("/"),
            "payments": self.payments_url.rstrip("/"),
            "letters": self.letters_url.rstrip("/"),
            "invoicing": self.invoicing_url.rstrip("/"),
        }
