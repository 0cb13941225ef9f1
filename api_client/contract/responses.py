"""Response bodies as Timekit shapes them; the worker's answers validate against these."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventInfo(ResponseModel):
    start: AwareDatetime
    end: AwareDatetime
    what: str
    where: str | None
    calendar_id: str
    description: str | None
    timezone: str | None = None  # the class's zone (IANA), where it has one


class ClassSeats(ResponseModel):
    current_seats: int
    max_seats: int
    # Seats in waiting entries (bounded by waitlist_size), and held by open offers (inside
    # max_seats beside current_seats).
    waitlist_seats: int
    offered_seats: int
    waitlist_size: int


class CustomerSeats(ResponseModel):
    owner_booking_id: UUID
    seats: int


class Contact(ResponseModel):
    name: str
    email: str


class CustomerContact(Contact):
    """A seat booking's customer as it was sent: the optional fields given, and custom ones."""

    model_config = ConfigDict(extra="allow")

    phone: str | None = None
    voip: str | None = None
    timezone: str | None = None


class CustomerEntry(ResponseModel):
    """One customer of `include=customers`, in Timekit's shape."""

    name: str
    email: str
    phone: str | None
    voip: str | None
    timezone: str | None


class ClassSettings(ResponseModel):
    max_seats: int
    min_cancel_time: str | None
    min_booking_time: str | None
    max_booking_time: str | None
    auto_complete: bool
    waitlist_size: int
    waitlist_promotion: Literal["automatic", "offer"]
    offer_time: str
    track_attendance: bool = False
    late_cancel: Literal["refuse", "allow"] = "refuse"
    reminders: list[str] = []  # durations before the start, the earliest reminder first


class WaitlistPlace(ResponseModel):
    """A waiting booking's place in line, or an offered one's deadline."""

    position: int | None = None
    offer_expires_at: AwareDatetime | None = None


class Attributes(ResponseModel):
    event_info: EventInfo
    group_booking: ClassSeats | CustomerSeats
    settings: ClassSettings | None = None
    customer: CustomerContact | None = None
    owner: Contact | None = None
    waitlist: WaitlistPlace | None = None


class BookingSummary(ResponseModel):
    """What every booking shows, wherever it appears."""

    id: UUID
    state: str
    graph: Literal["group_owner", "group_customer"]
    completed: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime


class RelatedBooking(BookingSummary):
    seats: int
    customer: Contact | None = None


class LogEntry(ResponseModel):
    action: str
    from_state: str | None
    to_state: str
    message: str | None
    created_at: AwareDatetime
    # A move names both classes; a capacity change the seats before and after.
    from_class: UUID | None = None
    to_class: UUID | None = None
    max_seats_before: int | None = None
    max_seats_after: int | None = None


class WaitlistEntry(ResponseModel):
    """One waiting or offered booking of a class, as its owner sees the line."""

    id: UUID
    state: Literal["waitlisted", "offered"]
    seats: int
    customer: Contact
    created_at: AwareDatetime
    position: int | None = None
    offer_expires_at: AwareDatetime | None = None


class Notification(ResponseModel):
    """One channel's delivery of a notification; `id` is the same on every channel and retry."""

    id: UUID
    type: str
    channel: str
    recipient: dict[str, str | None]
    message: str | None
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    last_error: str | None
    created_at: AwareDatetime
    delivered_at: AwareDatetime | None


class AttendanceEntry(ResponseModel):
    """One seat booking of a class's attendance: its state and check-in."""

    id: UUID
    state: str
    seats: int
    customer: Contact
    checked_in_at: AwareDatetime | None
    attended: bool | None = None


class Attendance(ResponseModel):
    """`include=attendance` of a class: seats booked, checked in and no-show, and who."""

    track_attendance: bool
    booked: int
    checked_in: int
    no_show: int
    bookings: list[AttendanceEntry]


class CancelPolicy(ResponseModel):
    """`include=cancel_policy` of a seat booking: a customer's cancel now, and until when it
    is on time (none for a waiting booking: leaving the line is never late)."""

    late_cancel: Literal["refuse", "allow"]
    cancel_now: Literal["on_time", "late", "refused"]
    on_time_until: AwareDatetime | None


class Resource(ResponseModel):
    """A public class's resource as booking.js reads it: resource_id (else the calendar), and
    the owner's name (else the calendar)."""

    id: str
    name: str


class Booking(BookingSummary):
    available_actions: list[str]
    # A customer booking's own seats and class, present whatever `include` asks for.
    seats: int | None = None
    owner_booking_id: UUID | None = None
    # A seat booking's check-in, and once its class completed (tracking attendance), whether
    # it attended.
    checked_in_at: AwareDatetime | None = None
    attended: bool | None = None
    # A class created as one of a series.
    series_id: UUID | None = None
    # Timekit's fields, where the booking was given them (meta as sent; not on the public list).
    resource_id: str | None = None
    project_id: str | None = None
    meta: dict[str, str | bool | int | float] | None = None
    # On the public list and a public class only.
    resource: Resource | None = None
    customers: list[CustomerEntry] | None = None
    attributes: Attributes | None = None
    related_bookings: list[RelatedBooking] | None = None
    logs: list[LogEntry] | None = None
    notifications: list[Notification] | None = None
    waitlist: list[WaitlistEntry] | None = None
    attendance: Attendance | None = None
    cancel_policy: CancelPolicy | None = None


class BookingResponse(ResponseModel):
    data: Booking


class GroupListResponse(ResponseModel):
    data: list[Booking]


class Deleted(ResponseModel):
    id: UUID
    graph: Literal["group_owner", "group_customer"]
    state: str
    deleted: Literal[True]
    deleted_booking_ids: list[UUID]  # a class's seat bookings, then the class


class DeletedResponse(ResponseModel):
    """What DELETE /bookings/{id} answers: the booking, in the final state it was deleted in."""

    data: Deleted


class BookingPage(ResponseModel):
    """A page of the owner's list, in Timekit's pagination envelope."""

    data: list[Booking]
    total: int
    per_page: int
    current_page: int
    last_page: int
    next_page_url: str | None
    prev_page_url: str | None
