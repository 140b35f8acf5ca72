"""`python -m autoletter.profile`: serve the profile API."""

from autoletter.profile.bootstrap import serve

if __name__ == "__main__":
    serve()
