"""Run the payments service: `python -m autoletter.payments`."""

from __future__ import annotations

import uvicorn

from autoletter.payments.bootstrap import create_app, create_runtime
from autoletter.payments.settings import PaymentsSettings
from autoletter.runtime import logs


def serve(settings: PaymentsSettings | None = None) -> None:
    settings = settings or PaymentsSettings()
    logs.configure(settings.service_name, settings.log_level, settings.log_json)
    app = create_app(create_runtime(settings))
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None)


if __name__ == "__main__":
    serve()
