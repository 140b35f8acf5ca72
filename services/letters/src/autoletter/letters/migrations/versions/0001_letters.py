"""Letters, documents, letters' copy of service statuses, outbox and inbox."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from autoletter.runtime.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001_letters"
down_revision = None


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "service_statuses",
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("hold_reason", sa.Text),
        sa.Column("block_reason", sa.Text),
        sa.Column("status_reason", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "service"),
    )
    op.create_table(
        "letters",
        sa.Column("letter_id", sa.Uuid, primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("initial_status", sa.Text, nullable=False),
        sa.Column("initial_reason", sa.Text),
        sa.Column("recipient", JSONB, nullable=False),
        sa.Column("destination_country", sa.Text, nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("sheets", sa.Integer, nullable=False),
        sa.Column("document_bytes", sa.Integer, nullable=False),
        sa.Column("correlation_id", sa.Uuid, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("held_since", sa.DateTime(timezone=True)),
        sa.Column("hold_expires_at", sa.DateTime(timezone=True)),
        sa.Column("accepted_on", sa.Date),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("dispatch_attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("dispatch_error", sa.Text),
        sa.Column("next_dispatch_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("account_id", "idempotency_key", name="letters_idempotency_key"),
        sa.CheckConstraint(
            "status IN ('held', 'accepted', 'sent', 'rejected', 'expired', 'cancelled')", name="letters_status"
        ),
    )
    op.create_index("letters_account_seq", "letters", ["account_id", "seq"])
    op.create_index("letters_open", "letters", ["account_id", "service", "seq"],
                    postgresql_where=sa.text("status IN ('held', 'accepted')"))
    op.create_index("letters_accepted", "letters", ["seq"], postgresql_where=sa.text("status = 'accepted'"))
    op.create_index("letters_held_expiry", "letters", ["hold_expires_at"],
                    postgresql_where=sa.text("status = 'held'"))
    op.create_table(
        "letter_documents",
        sa.Column("letter_id", sa.Uuid, sa.ForeignKey("letters.letter_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("letter_documents")
    op.drop_table("letters")
    op.drop_table("service_statuses")
    drop_messaging_tables()
