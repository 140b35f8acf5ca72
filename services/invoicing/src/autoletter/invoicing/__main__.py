"""Run the invoicing service: `python -m autoletter.invoicing`."""

from __future__ import annotations

from autoletter.invoicing.bootstrap import create_app, create_runtime
from autoletter.invoicing.settings import InvoicingSettings
from autoletter.runtime.service import serve as serve_app


def serve(settings: InvoicingSettings | None = None) -> None:
    """Serve HTTP, consumers, relay and background jobs until stopped."""
    settings = settings or InvoicingSettings()
    serve_app(create_app(create_runtime(settings)), settings)


if __name__ == "__main__":
    serve()
