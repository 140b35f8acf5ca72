"""`python -m autoletter.profile`: serve the profile API."""

from autoletter.profile.bootstrap import bootstrap
from autoletter.runtime.service import serve as run


def serve() -> None:
    """Serve until stopped (`python -m autoletter.profile`, `autoletter serve profile`)."""
    run(bootstrap)


if __name__ == "__main__":
    serve()
