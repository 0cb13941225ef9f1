"""The `bookings` command: create, list, show and cancel bookings from a terminal."""

from .commands import ClientFactory, main

__all__ = ["ClientFactory", "main"]
