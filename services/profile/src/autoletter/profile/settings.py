"""Settings of the profile service (env: AUTOLETTER_<FIELD>, or PROFILE_<FIELD> which wins)."""

from __future__ import annotations

from typing import ClassVar

from autoletter.runtime.settings import ServiceSettings


class ProfileSettings(ServiceSettings):
    service_name: ClassVar[str] = "profile"
    http_port: int = 8001
