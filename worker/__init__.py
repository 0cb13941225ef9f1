"""group-bookings worker: `celery -A worker worker` finds the Celery app here."""

from . import tasks as _tasks  # noqa: F401  (registers the tasks with the app)
from .celery_app import app

celery = app

__all__ = ["app", "celery"]
