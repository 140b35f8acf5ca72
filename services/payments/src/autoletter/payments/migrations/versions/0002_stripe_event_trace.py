"""Stored Stripe events keep the trace context of the webhook request that stored them.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stripe_events", sa.Column("trace", JSONB))


def downgrade() -> None:
    op.drop_column("stripe_events", "trace")
