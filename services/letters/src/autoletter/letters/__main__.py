"""Run the letters service: `python -m autoletter.letters`."""

from __future__ import annotations

import uvicorn

from autoletter.letters.bootstrap import create_app, create_runtime
from autoletter.letters.settings import LettersSettings
from autoletter.runtime import logs


def serve(settings: LettersSettings | None = None) -> None:
    """Serve HTTP, consumers, relay, dispatcher and expiry sweep until stopped."""
    settings = settings or LettersSettings()
    logs.configure(settings.service_name, settings.log_level, settings.log_json)
    app = create_app(create_runtime(settings))
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.graceful_timeout_s),
    )


if __name__ == "__main__":
    serve()
