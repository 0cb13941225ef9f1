"""The roster as CSV: a header row, the csv module's quoting, empty cells for what is missing."""

from __future__ import annotations

import csv
import io

from api_client.roster import roster_csv

ENTRY = {
    "name": 'Zoë "Z", Jr.',
    "email": "zoe@example.com",
    "seats": 2,
    "state": "checked_in",
    "booked_at": "2032-03-02T18:00:00+00:00",
    "checked_in_at": "2032-03-05T17:55:00+00:00",
}


def test_the_roster_starts_with_a_header_row() -> None:
    assert roster_csv([]) == "name,email,seats,state,booked_at,checked_in_at\r\n"


def test_a_name_with_commas_and_quotes_reads_back_as_written() -> None:
    [_, row] = list(csv.reader(io.StringIO(roster_csv([ENTRY]))))

    assert row == [
        'Zoë "Z", Jr.',
        "zoe@example.com",
        "2",
        "checked_in",
        "2032-03-02T18:00:00+00:00",
        "2032-03-05T17:55:00+00:00",
    ]


def test_a_seat_that_did_not_check_in_has_an_empty_cell() -> None:
    text = roster_csv([{**ENTRY, "name": "Biff", "checked_in_at": None, "state": "confirmed"}])

    assert text.splitlines()[1].endswith("confirmed,2032-03-02T18:00:00+00:00,")
