"""Names of the worker's tasks: the client sends by name, so these strings are wire contract."""

CREATE_BOOKING = "bookings.create_booking"
APPLY_ACTION = "bookings.apply_action"
GET_BOOKING = "bookings.get_booking"
LIST_GROUPS = "bookings.list_groups"
PING = "bookings.ping"
RETRY_NOTIFICATIONS = "bookings.retry_notifications"
CREATE_RECURRING = "bookings.create_recurring"
CANCEL_SERIES = "bookings.cancel_series"
BULK_CREATE = "bookings.bulk_create"

QUEUE = "bookings"
