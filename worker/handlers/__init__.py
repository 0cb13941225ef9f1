"""Commands and queries, and the one runner that answers a task with them.

A command is `apply(tx, request, now) -> result` plus what it locks (`command.py`); the
runner (`runner.py`) takes the locks, applies it once under its key in one transaction, maps a
refusal to its result and dispatches staged notifications; `table.py` routes each task name.
"""

from .deps import HandlerDeps
from .runner import CommandRunner

__all__ = ["CommandRunner", "HandlerDeps"]
