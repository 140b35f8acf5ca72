"""`python -m autoletter.console`: serve the console."""

from autoletter.console.bootstrap import serve

if __name__ == "__main__":
    serve()
