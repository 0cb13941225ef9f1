"""Which characters text may hold: one-line fields none that break a line, multi-line none
but line breaks.

A control character in a name reaches e-mail headers, .ics properties and log lines, where
it could split them or be refused (issue 15); in the database it is only noise. The same
rules guard the channels (worker/channels/safe_text.py) against rows written before them.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, lone surrogates (which
# no UTF-8 column, header or file can hold), and the byte order mark: icalendar drops it from
# the start of a property (found by the property test), and inside text it means nothing
# that U+2060 does not.
_CONTROL = "\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff"
_LINE_BREAKS = "\r\n"
ONE_LINE_FORBIDDEN = re.compile(f"[{_CONTROL}]")
MULTI_LINE_FORBIDDEN = re.compile(f"(?![{_LINE_BREAKS}])[{_CONTROL}]")

ONE_LINE_MESSAGE = "must not contain control characters or line breaks"
MULTI_LINE_MESSAGE = "must not contain control characters other than line breaks"


def one_line(text: str) -> str:
    """`text` if it holds no control character at all, else a ValueError."""
    if ONE_LINE_FORBIDDEN.search(text):
        raise ValueError(ONE_LINE_MESSAGE)
    return text


def multi_line(text: str) -> str:
    """`text` if its only control characters are line breaks (CR, LF), else a ValueError."""
    if MULTI_LINE_FORBIDDEN.search(text):
        raise ValueError(MULTI_LINE_MESSAGE)
    return text
