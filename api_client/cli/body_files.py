"""Reading the Timekit bodies of `bookings create FILE` (a JSON object or an array of them)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

Body = dict[str, Any]


class BodyFileError(Exception):
    """FILE cannot be read, is not JSON, or holds neither an object nor an array of objects."""


def load_bodies(file: str) -> Body | list[Body]:
    """One body, or the list of an import; FILE '-' is stdin."""
    text = _read(file)
    name = "stdin" if file == "-" else file
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise BodyFileError(f"{name} is not valid JSON: {error}") from None
    if isinstance(parsed, dict):
        return parsed
    if not isinstance(parsed, list):
        raise BodyFileError(f"{name} holds neither a JSON object nor an array of objects")
    for number, item in enumerate(parsed, start=1):
        if not isinstance(item, dict):
            raise BodyFileError(f"{name}: item {number} of the array is not a JSON object")
    return parsed


def is_series(body: Body) -> bool:
    """A body that creates a series of classes rather than one booking."""
    return "recurrence" in body


def _read(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    try:
        return Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BodyFileError(f"cannot read {file}: {error}") from None
