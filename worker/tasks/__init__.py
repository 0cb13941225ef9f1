"""The worker's Celery tasks: commands and queries sent by clients, deliveries, scheduled jobs.

Importing this package registers every task with the app.
"""

from . import commands, deliveries, schedule

__all__ = ["commands", "deliveries", "schedule"]
