"""Series of classes created by one recurring command.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from worker.storage.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rrule", sa.String(500)),
        sa.Column("timezone", sa.String(100), nullable=False),
        sa.Column("exdates", sa.JSON(), nullable=False),
        sa.Column("starts", sa.JSON()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_series"),
    )
    op.create_index("ix_bookings_series_id_starts_at", "bookings", ["series_id", "starts_at"])


def downgrade() -> None:
    op.drop_index("ix_bookings_series_id_starts_at", "bookings")
    op.drop_table("series")
