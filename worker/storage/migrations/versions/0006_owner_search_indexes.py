"""Indexes for the owner's list (GET /bookings): each search column, then (created_at, id).

Every page is read in (created_at, id) order; with the filtered column first, a page is an
index range scan that stops after `limit` rows, without a sort. On PostgreSQL, meta.<key>
search uses a GIN index on meta as jsonb (containment, `@>`); SQLite has no such index, and
there meta terms filter the rows the other terms' index gives (or scan).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (index name, columns): the search key's column first, then the page order.
INDEXES = (
    ("ix_bookings_created_at_id", ("created_at", "id")),
    ("ix_bookings_graph_state_created_at_id", ("graph", "state", "created_at", "id")),
    ("ix_bookings_calendar_id_created_at_id", ("calendar_id", "created_at", "id")),
    ("ix_bookings_customer_email_created_at_id", ("customer_email", "created_at", "id")),
    ("ix_bookings_resource_id_created_at_id", ("resource_id", "created_at", "id")),
    ("ix_bookings_project_id_created_at_id", ("project_id", "created_at", "id")),
)
META_INDEX = "ix_bookings_meta_jsonb"


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(name, "bookings", list(columns))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE INDEX {META_INDEX} ON bookings USING gin ((meta::jsonb) jsonb_path_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX {META_INDEX}")
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, "bookings")
