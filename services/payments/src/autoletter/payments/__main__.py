"""Run the payments service: `python -m autoletter.payments`."""

from autoletter.payments.bootstrap import bootstrap
from autoletter.runtime.service import serve as run


def serve() -> None:
    """Serve HTTP, consumers, relay and jobs until stopped (`autoletter serve payments`)."""
    run(bootstrap)


if __name__ == "__main__":
    serve()
