"""Waitlists: each class's line settings and counters, each entry's place and offer.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from worker.storage.tables import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CLASS_COLUMNS = (
    "booking_closes_at",
    "waitlist_size",
    "waitlist_promotion",
    "offer_s",
    "waitlist_seats",
    "offered_seats",
    "line_arrivals",
)


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("booking_closes_at", UtcDateTime()))
        batch.add_column(sa.Column("waitlist_size", sa.Integer()))
        batch.add_column(sa.Column("waitlist_promotion", sa.String(10)))
        batch.add_column(sa.Column("offer_s", sa.Integer()))
        batch.add_column(sa.Column("waitlist_seats", sa.Integer()))
        batch.add_column(sa.Column("offered_seats", sa.Integer()))
        batch.add_column(sa.Column("line_arrivals", sa.Integer()))
        batch.add_column(sa.Column("line_number", sa.Integer()))
        batch.add_column(sa.Column("offer_expires_at", UtcDateTime()))
    # Classes made before have no waitlist; their booking closes at their start less
    # min_booking_time, worked out here in Python (interval arithmetic differs by database).
    bind = op.get_bind()
    classes = sa.table(
        "bookings",
        sa.column("id", sa.Uuid()),
        sa.column("graph", sa.String()),
        sa.column("starts_at", UtcDateTime()),
        sa.column("min_booking_s", sa.Integer()),
        *(sa.column(name) for name in CLASS_COLUMNS[1:]),
        sa.column("booking_closes_at", UtcDateTime()),
    )
    bind.execute(
        classes.update()
        .where(classes.c.graph == "group_owner")
        .values(
            waitlist_size=0,
            waitlist_promotion="automatic",
            offer_s=7200,
            waitlist_seats=0,
            offered_seats=0,
            line_arrivals=0,
        )
    )
    rows = bind.execute(
        sa.select(classes.c.id, classes.c.starts_at, classes.c.min_booking_s).where(
            classes.c.graph == "group_owner"
        )
    ).all()
    for class_id, starts_at, min_booking_s in rows:
        closes_at = starts_at - timedelta(seconds=min_booking_s or 0)
        bind.execute(
            classes.update().where(classes.c.id == class_id).values(booking_closes_at=closes_at)
        )
    with op.batch_alter_table("bookings") as batch:
        batch.create_check_constraint(
            op.f("ck_bookings_offers_within_class"),
            "offered_seats >= 0 AND current_seats + offered_seats <= max_seats",
        )
        batch.create_check_constraint(
            op.f("ck_bookings_waitlist_within_size"),
            "waitlist_seats >= 0 AND waitlist_seats <= waitlist_size",
        )
    with op.batch_alter_table("booking_logs") as batch:
        batch.add_column(sa.Column("details", sa.JSON()))


def downgrade() -> None:
    with op.batch_alter_table("booking_logs") as batch:
        batch.drop_column("details")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_constraint("ck_bookings_waitlist_within_size", type_="check")
        batch.drop_constraint("ck_bookings_offers_within_class", type_="check")
        for name in (*CLASS_COLUMNS, "line_number", "offer_expires_at"):
            batch.drop_column(name)
