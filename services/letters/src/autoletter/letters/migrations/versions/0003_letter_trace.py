"""A letter keeps the trace context of its submission: its release and dispatch continue that trace.

Revision ID: 0003_letter_trace
Revises: 0002_history_and_documents
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003_letter_trace"
down_revision = "0002_history_and_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("letters", sa.Column("trace", JSONB))


def downgrade() -> None:
    op.drop_column("letters", "trace")
