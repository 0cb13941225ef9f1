"""The `bookings` command: create, list, show, cancel and move bookings from a terminal."""

from .commands import ClientFactory, main

__all__ = ["ClientFactory", "main"]
