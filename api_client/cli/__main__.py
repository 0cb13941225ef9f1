"""`python -m api_client.cli ...` runs the `bookings` command."""

import sys

from .app import main

if __name__ == "__main__":
    sys.exit(main())
