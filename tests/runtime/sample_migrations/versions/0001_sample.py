"""A sample service's schema: the messaging tables and one table of effects."""

import sqlalchemy as sa
from alembic import op

from autoletter.runtime.migrations import create_messaging_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "effects",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
