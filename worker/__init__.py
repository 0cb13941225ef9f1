"""group-bookings worker: `celery -A worker worker` finds the Celery app here.

The app is loaded on first access, so that importing the pure domain (`worker.domain`) pulls in
no Celery, Redis or SQLAlchemy.
"""

from __future__ import annotations

from typing import Any

__all__ = ["app", "celery"]


def __getattr__(name: str) -> Any:
    if name in ("app", "celery"):
        from . import tasks  # noqa: F401  (registers the tasks with the app)
        from .celery_app import app

        return app
    raise AttributeError(f"module 'worker' has no attribute {name!r}")
