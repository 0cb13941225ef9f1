"""Reminders: PostgreSQL no longer reads reminders_sent by sweep, so drops that index.

On PostgreSQL the sweep makes a page's outbox rows from its INSERT's RETURNING, in the same
statement (worker/storage/reminder_queries.py), and never looks its rows up by `sweep_id`: the
index only cost each reminder an insert. SQLite, which reads them back by it, keeps it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_reminders_sent_sweep_id", table_name="reminders_sent")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_reminders_sent_sweep_id", "reminders_sent", ["sweep_id"])
