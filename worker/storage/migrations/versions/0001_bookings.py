"""Bookings, their logs and command keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from worker.storage.tables import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("graph", sa.String(20), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("starts_at", UtcDateTime()),
        sa.Column("ends_at", UtcDateTime()),
        sa.Column("what", sa.String(500)),
        sa.Column("where", sa.String(500)),
        sa.Column("calendar_id", sa.String(200)),
        sa.Column("description", sa.Text()),
        sa.Column("max_seats", sa.Integer()),
        sa.Column("current_seats", sa.Integer()),
        sa.Column("min_cancel_s", sa.Integer()),
        sa.Column("min_booking_s", sa.Integer()),
        sa.Column("max_booking_s", sa.Integer()),
        sa.Column("auto_complete", sa.Boolean()),
        sa.Column("owner_name", sa.String(200)),
        sa.Column("owner_email", sa.String(254)),
        sa.Column("series_id", sa.Uuid()),
        sa.Column("owner_booking_id", sa.Uuid()),
        sa.Column("seats", sa.Integer()),
        sa.Column("customer_name", sa.String(200)),
        sa.Column("customer_email", sa.String(254)),
        sa.PrimaryKeyConstraint("id", name="pk_bookings"),
        sa.ForeignKeyConstraint(
            ["owner_booking_id"], ["bookings.id"], name="fk_bookings_owner_booking_id_bookings"
        ),
        sa.CheckConstraint(
            "current_seats >= 0 AND current_seats <= max_seats",
            name="ck_bookings_seats_within_class",
        ),
        sa.CheckConstraint("seats IS NULL OR seats >= 1", name="ck_bookings_seats_positive"),
        sa.CheckConstraint(
            "graph IN ('group_owner', 'group_customer')", name="ck_bookings_known_graph"
        ),
    )
    op.create_index("ix_bookings_owner_booking_id_state", "bookings", ["owner_booking_id", "state"])
    op.create_index(
        "ix_bookings_graph_state_starts_at", "bookings", ["graph", "state", "starts_at"]
    )

    op.create_table(
        "booking_logs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("from_state", sa.String(30)),
        sa.Column("to_state", sa.String(30), nullable=False),
        sa.Column("message", sa.Text()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_booking_logs"),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_booking_logs_booking_id_bookings"
        ),
    )
    op.create_index("ix_booking_logs_booking_id", "booking_logs", ["booking_id"])

    op.create_table(
        "command_keys",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("command", sa.String(40), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_command_keys"),
    )
    op.create_index("ix_command_keys_created_at", "command_keys", ["created_at"])


def downgrade() -> None:
    op.drop_table("command_keys")
    op.drop_table("booking_logs")
    op.drop_table("bookings")
