"""Values a channel may put in a header, an .ics property or a log line, whatever a row holds.

The contract refuses control characters (api_client/contract/text.py), but rows written
before it did, or by hand, may hold them: a channel never trusts a row to be clean.
"""

from __future__ import annotations

from api_client.contract.text import MULTI_LINE_FORBIDDEN, ONE_LINE_FORBIDDEN


def one_line(text: str) -> str:
    """`text` on one line: each control character (line breaks too) a space, the rest kept."""
    return ONE_LINE_FORBIDDEN.sub(" ", text)


def multi_line(text: str) -> str:
    """`text` with LF for each line break (CRLF, CR) and a space for every other control."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    return MULTI_LINE_FORBIDDEN.sub(" ", lines)
