"""The client's exception tree and the Timekit-shaped results it reads from and writes to."""

from __future__ import annotations

import pytest

from api_client.errors import (
    BookingError,
    BusyError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    ResultTimeoutError,
    WorkerFailureError,
)

ERROR_CLASSES = [
    (InvalidRequestError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (BusyError, 503),
    (ResultTimeoutError, 504),
    (WorkerFailureError, 500),
]


def test_a_refusal_with_field_errors_has_timekits_errors_shape() -> None:
    error = InvalidRequestError(errors={"event.start": ["Field required"]})

    assert error.to_result() == {"status": 422, "errors": {"event.start": ["Field required"]}}


def test_a_refusal_with_a_message_has_timekits_error_shape() -> None:
    error = ConflictError("only 2 seats are left in this class; 3 were asked for")

    assert error.to_result() == {
        "status": 409,
        "error": "only 2 seats are left in this class; 3 were asked for",
    }


def test_field_errors_are_summarised_in_the_message() -> None:
    error = InvalidRequestError(
        errors={"event.start": ["Field required"], "settings.max_seats": ["too small", "odd"]}
    )

    assert str(error) == "event.start: Field required; settings.max_seats: too small odd"


def test_a_refusal_without_message_or_errors_still_says_it_was_refused() -> None:
    assert BookingError().to_result() == {"status": 400, "error": "request refused"}


@pytest.mark.parametrize(("error_class", "status"), ERROR_CLASSES)
def test_a_result_is_read_as_the_error_class_of_its_status(
    error_class: type[BookingError], status: int
) -> None:
    error = BookingError.from_result({"status": status, "error": "refused"})

    assert type(error) is error_class
    assert error.status == status
    assert error.message == "refused"


def test_a_validation_result_is_read_with_its_field_errors() -> None:
    error = BookingError.from_result({"status": 422, "errors": {"seats": ["must be at most 20"]}})

    assert isinstance(error, InvalidRequestError)
    assert error.errors == {"seats": ["must be at most 20"]}


def test_a_result_with_an_unknown_status_is_a_plain_booking_error_keeping_the_status() -> None:
    error = BookingError.from_result({"status": 418, "error": "I'm a teapot"})

    assert type(error) is BookingError
    assert error.to_result() == {"status": 418, "error": "I'm a teapot"}


def test_a_result_without_a_status_is_read_as_a_bad_request() -> None:
    error = BookingError.from_result({"error": "refused"})

    assert type(error) is BookingError
    assert error.status == 400


@pytest.mark.parametrize(("error_class", "status"), ERROR_CLASSES)
def test_an_error_survives_the_round_trip_through_its_result(
    error_class: type[BookingError], status: int
) -> None:
    for original in (error_class("refused"), error_class(errors={"seats": ["too many"]})):
        result = original.to_result()

        read_back = BookingError.from_result(result)

        assert type(read_back) is error_class
        assert read_back.to_result() == result
        assert result["status"] == status


@pytest.mark.parametrize(("error_class", "status"), ERROR_CLASSES)
def test_every_client_error_is_a_booking_error(
    error_class: type[BookingError], status: int
) -> None:
    assert issubclass(error_class, BookingError)


def test_no_two_error_classes_share_a_status() -> None:
    statuses = [status for _, status in ERROR_CLASSES]

    assert len(set(statuses)) == len(statuses)
    assert all(error_class.status == status for error_class, status in ERROR_CLASSES)
