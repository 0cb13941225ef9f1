"""Running a class: attendance and late cancels.

A class carries `track_attendance` and `late_cancel` (its settings); a seat booking carries the
`late_cancel` policy of its class when it was booked, so that a later change of the class's
settings does not rewrite how its cancel is judged, and `checked_in_at`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-11
"""

import sqlalchemy as sa
from alembic import op

from worker.storage.tables import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# All nullable and without defaults: bookings made before read as not tracking attendance
# and refusing late cancels, as they always did.
COLUMNS = (
    ("track_attendance", sa.Boolean()),
    ("late_cancel", sa.String(10)),
    ("checked_in_at", UtcDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        for name, column_type in COLUMNS:
            batch.add_column(sa.Column(name, column_type))


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        for name, _column_type in reversed(COLUMNS):
            batch.drop_column(name)
