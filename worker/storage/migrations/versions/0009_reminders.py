"""Reminders: each class's offsets, the windows they open, and one row per reminder staged.

Classes made before have no reminders (their offsets NULL, shown as none).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from worker.storage.tables import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("reminder_offsets_s", sa.JSON()))
    op.create_table(
        "class_reminders",
        sa.Column("class_id", sa.Uuid(), nullable=False),
        sa.Column("offset_s", sa.Integer(), nullable=False),
        sa.Column("opens_at", UtcDateTime(), nullable=False),
        sa.Column("closes_at", UtcDateTime(), nullable=False),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("class_id", "offset_s", name="pk_class_reminders"),
        sa.ForeignKeyConstraint(
            ["class_id"], ["bookings.id"], name="fk_class_reminders_class_id_bookings"
        ),
    )
    op.create_index("ix_class_reminders_closes_at", "class_reminders", ["closes_at"])
    op.create_table(
        "reminders_sent",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("class_id", sa.Uuid(), nullable=False),
        sa.Column("offset_s", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("sweep_id", sa.Uuid(), nullable=False),
        sa.Column("staged_at", UtcDateTime(), nullable=False),
        # No foreign keys: see worker/storage/tables.py.
        sa.PrimaryKeyConstraint("booking_id", "class_id", "offset_s", name="pk_reminders_sent"),
    )
    op.create_index("ix_reminders_sent_sweep_id", "reminders_sent", ["sweep_id"])


def downgrade() -> None:
    op.drop_table("reminders_sent")
    op.drop_table("class_reminders")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("reminder_offsets_s")
