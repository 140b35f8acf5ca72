"""Alembic environment of the letters schema (the runtime does the work)."""

from autoletter.letters.adapters.tables import metadata
from autoletter.runtime.migrations import run_env

run_env(metadata)
