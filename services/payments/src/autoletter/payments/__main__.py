"""Run the payments service: `python -m autoletter.payments`."""

from __future__ import annotations

from autoletter.payments.bootstrap import create_app, create_runtime
from autoletter.payments.settings import PaymentsSettings
from autoletter.runtime.service import serve as serve_app


def serve(settings: PaymentsSettings | None = None) -> None:
    """Serve HTTP, consumers, relay and background jobs until stopped."""
    settings = settings or PaymentsSettings()
    serve_app(create_app(create_runtime(settings)), settings)


if __name__ == "__main__":
    serve()
