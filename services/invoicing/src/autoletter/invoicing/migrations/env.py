"""Alembic environment of the invoicing schema (the runtime does the work)."""

from autoletter.invoicing.adapters.tables import metadata
from autoletter.runtime.migrations import run_env

run_env(metadata)
