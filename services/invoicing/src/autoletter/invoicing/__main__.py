"""``python -m autoletter.invoicing``: serve the invoicing service."""

from __future__ import annotations

import uvicorn

from autoletter.invoicing.bootstrap import create_app, create_runtime
from autoletter.invoicing.settings import InvoicingSettings
from autoletter.runtime import logs


def serve(settings: InvoicingSettings | None = None) -> None:
    settings = settings or InvoicingSettings()
    logs.configure(settings.service_name, settings.log_level, settings.log_json)
    app = create_app(create_runtime(settings))
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None)


if __name__ == "__main__":
    serve()
