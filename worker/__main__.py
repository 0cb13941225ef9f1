"""`python -m worker migrate`: bring the database to the newest schema and exit."""

from __future__ import annotations

import sys

from .config import get_settings
from .storage.engine import engine_for
from .storage.migrate import upgrade_to_head


def main(argv: list[str]) -> int:
    if argv[1:] != ["migrate"]:
        print("usage: python -m worker migrate", file=sys.stderr)
        return 2
    upgrade_to_head(engine_for(get_settings()))
    print(f"database at the newest revision: {get_settings().database_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
