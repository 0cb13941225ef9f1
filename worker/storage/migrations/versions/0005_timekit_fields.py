"""Timekit's fields on every booking (resource, project, meta) and on its customer.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# All nullable and without defaults: bookings made before carry none of them.
COLUMNS = (
    ("customer_phone", sa.String(500)),
    ("customer_voip", sa.String(500)),
    ("customer_timezone", sa.String(100)),
    ("customer_fields", sa.JSON()),
    ("resource_id", sa.String(200)),
    ("project_id", sa.String(200)),
    ("meta", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        for name, column_type in COLUMNS:
            batch.add_column(sa.Column(name, column_type))


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        for name, _column_type in reversed(COLUMNS):
            batch.drop_column(name)
