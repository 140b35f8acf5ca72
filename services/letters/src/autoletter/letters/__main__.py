"""Run the letters service: `python -m autoletter.letters`."""

from __future__ import annotations

from autoletter.letters.bootstrap import create_app, create_runtime
from autoletter.letters.settings import LettersSettings
from autoletter.runtime.service import serve as serve_app


def serve(settings: LettersSettings | None = None) -> None:
    """Serve HTTP, consumers, relay and background jobs until stopped."""
    settings = settings or LettersSettings()
    serve_app(create_app(create_runtime(settings)), settings)


if __name__ == "__main__":
    serve()
