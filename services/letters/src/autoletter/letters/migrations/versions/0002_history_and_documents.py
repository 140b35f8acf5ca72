"""Letter history (every transition) and documents uploaded once and sent by reference.

Existing letters get what is known without guessing: their first answer (at created_at) and, when it
differs, their current status (at sent_at, else updated_at). Steps in between were never recorded.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_history_and_documents"
down_revision = "0001_letters"


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("document_id", sa.Uuid, primary_key=True),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idle_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("account_id", "sha256", name="documents_account_sha256"),
    )
    op.create_index("documents_idle", "documents", ["idle_since"])
    op.add_column(
        "letters",
        sa.Column("document_id", sa.Uuid, sa.ForeignKey("documents.document_id", ondelete="SET NULL")),
    )
    op.create_index(
        "letters_document", "letters", ["document_id"], postgresql_where=sa.text("document_id IS NOT NULL")
    )
    op.create_table(
        "letter_transitions",
        sa.Column(
            "letter_id", sa.Uuid, sa.ForeignKey("letters.letter_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("letter_id", "seq"),
    )
    op.execute(
        "INSERT INTO letter_transitions (letter_id, status, reason, at) "
        "SELECT letter_id, initial_status, initial_reason, created_at FROM letters ORDER BY seq"
    )
    op.execute(
        "INSERT INTO letter_transitions (letter_id, status, reason, at) "
        "SELECT letter_id, status, reason, coalesce(sent_at, updated_at) FROM letters "
        "WHERE (status, reason) IS DISTINCT FROM (initial_status, initial_reason) ORDER BY seq"
    )


def downgrade() -> None:
    op.drop_table("letter_transitions")
    op.drop_index("letters_document", table_name="letters")
    op.drop_column("letters", "document_id")
    op.drop_table("documents")
