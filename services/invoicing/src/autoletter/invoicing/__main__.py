"""Run the invoicing service: `python -m autoletter.invoicing`."""

from autoletter.invoicing.bootstrap import bootstrap
from autoletter.runtime.service import serve as run


def serve() -> None:
    """Serve HTTP, consumers, relay and jobs until stopped (`autoletter serve invoicing`)."""
    run(bootstrap)


if __name__ == "__main__":
    serve()
