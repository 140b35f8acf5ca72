"""`python -m autoletter.console`: serve the console."""

from autoletter.console.app import serve

if __name__ == "__main__":
    serve()
