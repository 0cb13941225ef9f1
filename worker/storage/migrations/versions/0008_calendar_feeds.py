"""Calendar feed tokens: their sha256 digests, each opening one calendar's or one customer's feed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from worker.storage.tables import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("calendar_id", sa.String(200)),
        sa.Column("customer_email", sa.String(254)),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime()),
        sa.CheckConstraint(
            "(calendar_id IS NULL) <> (customer_email IS NULL)",
            name="ck_feed_tokens_one_feed_per_token",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feed_tokens"),
        sa.UniqueConstraint("token_digest", name="uq_feed_tokens_token_digest"),
    )


def downgrade() -> None:
    op.drop_table("feed_tokens")
