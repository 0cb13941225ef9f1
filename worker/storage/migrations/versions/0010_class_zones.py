"""A class's own zone (event.timezone): the zone its e-mails, reminders and .ics show it in.

Classes of a series made before take their series' zone; other classes made before have none
(shown in their customer's zone, else UTC).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("event_timezone", sa.String(100)))
    op.execute(
        "UPDATE bookings SET event_timezone ="
        " (SELECT series.timezone FROM series WHERE series.id = bookings.series_id)"
        " WHERE series_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("event_timezone")
