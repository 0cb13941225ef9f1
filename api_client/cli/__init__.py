"""The `bookings` command: create, list, show and cancel bookings from a terminal."""

from .app import main
from .client_protocol import ClientFactory, CommandClient

__all__ = ["ClientFactory", "CommandClient", "main"]
