"""Run the letters service: `python -m autoletter.letters`."""

from autoletter.letters.bootstrap import bootstrap
from autoletter.runtime.service import serve as run


def serve() -> None:
    """Serve HTTP, consumers, relay and jobs until stopped (`autoletter serve letters`)."""
    run(bootstrap)


if __name__ == "__main__":
    serve()
