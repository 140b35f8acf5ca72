"""Alembic environment of the payments schema (run through autoletter.runtime.migrations.upgrade)."""

from autoletter.payments.adapters.tables import metadata
from autoletter.runtime.migrations import run_env

run_env(metadata)
