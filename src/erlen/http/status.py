"""Status codes: the reason-phrase table and the parser behind ``Response.status``.

:func:`parse_status` turns what a view or ``Response(status=...)`` gives into
``(code, "code REASON")`` exactly as Werkzeug does for every valid status, and
refuses what Werkzeug would put on the wire broken (control characters other
than HTAB, text Latin-1 cannot encode, codes outside 100-599 (RFC 9110 15: invalid), numbers
``int()`` reads but HTTP does not, such as ``"2_00"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from erlen.errors import ArgumentTypeError, StatusCodeError, describe
from erlen.http.headers import find_unsafe_char

if TYPE_CHECKING:
    from http import HTTPStatus

__all__ = ["HTTP_STATUS_CODES", "parse_status"]

# Reason phrases from the IANA HTTP Status Code Registry (RFC 9110 and the RFCs
# noted), spelled as Werkzeug 3.1 spells them so status lines match byte for
# byte: it keeps some older wordings ("Request Entity Too Large") and a few
# unregistered codes (306, 418, 449).
HTTP_STATUS_CODES: dict[int, str] = {
    100: "Continue",
    101: "Switching Protocols",
    102: "Processing",  # RFC 2518
    103: "Early Hints",  # RFC 8297
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    207: "Multi Status",  # RFC 4918
    208: "Already Reported",  # RFC 5842
    226: "IM Used",  # RFC 3229
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    305: "Use Proxy",
    306: "Switch Proxy",  # reserved, no longer used
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    414: "Request URI Too Long",
    415: "Unsupported Media Type",
    416: "Requested Range Not Satisfiable",
    417: "Expectation Failed",
    418: "I'm a teapot",  # RFC 2324
    421: "Misdirected Request",
    422: "Unprocessable Entity",
    423: "Locked",  # RFC 4918
    424: "Failed Dependency",  # RFC 4918
    425: "Too Early",  # RFC 8470
    426: "Upgrade Required",
    428: "Precondition Required",  # RFC 6585
    429: "Too Many Requests",  # RFC 6585
    431: "Request Header Fields Too Large",  # RFC 6585
    449: "Retry With",  # Microsoft extension
    451: "Unavailable For Legal Reasons",  # RFC 7725
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",  # RFC 2295
    507: "Insufficient Storage",  # RFC 4918
    508: "Loop Detected",  # RFC 5842
    510: "Not Extended",  # RFC 2774
    511: "Network Authentication Failed",  # RFC 6585
}

# PERF: every valid int status is parsed once, at import (500 small tuples),
# so the common case is a single dict lookup.
_BY_CODE: dict[int, tuple[int, str]] = {
    code: (code, f"{code} {HTTP_STATUS_CODES.get(code, 'unknown').upper()}")
    for code in range(100, 600)
}

_DIGITS = frozenset("0123456789")


def parse_status(value: int | str | HTTPStatus) -> tuple[int, str]:
    """Return ``(status_code, status_line)`` for an int, ``HTTPStatus`` or string.

    An int gives its registered phrase in capitals (``201 -> "201 CREATED"``,
    unknown codes ``"UNKNOWN"``); a string ``"200 Whatever"`` is kept as given
    (stripped); a bare ``"200"`` is looked up like the int.
    """
    if value.__class__ is int:
        result = _BY_CODE.get(value)
        if result is not None:
            return result
    return _parse_status_slow(value)


def _parse_status_slow(value: object) -> tuple[int, str]:
    if isinstance(value, bool):
        raise ArgumentTypeError(f"status must be an int, str or HTTPStatus, got {value!r}")
    if isinstance(value, int):
        result = _BY_CODE.get(int(value))
        if result is None:
            raise StatusCodeError(
                f"status code {describe(value)} is outside 100-599 (RFC 9110 section 15)"
            )
        return result
    if not isinstance(value, str):
        raise ArgumentTypeError(
            f"status must be an int, str or HTTPStatus, got {type(value).__name__}:"
            f" {describe(value)}"
        )
    text = str.__str__(value)
    # checked before strip(), which would quietly drop a trailing CRLF
    if "\r" in text or "\n" in text or "\0" in text:
        raise StatusCodeError(
            f"status {describe(value)} contains CR, LF or NUL, which could split the response"
        )
    text = text.strip()
    # The reason phrase obeys the header value rule (RFC 9110: HTAB, SP, VCHAR,
    # obs-text): other controls are line breaks to some parsers, and the status
    # line is sent as Latin-1. Whitespace strip() removed never reaches the wire.
    if not (text.isascii() and text.isprintable()):
        bad = find_unsafe_char(text)
        if bad is not None:
            raise StatusCodeError(
                f"status {describe(value)} contains {bad},"
                " which could split the response or cannot be sent as Latin-1"
            )
    if not text:
        raise StatusCodeError(f"status {describe(value)} is empty")
    code_text, space, _ = text.partition(" ")
    # RFC 9110: status-code = 3DIGIT. int() would also take "+200", "2_00",
    # "0200" and non-ASCII digits, which then reach the wire unchanged.
    if len(code_text) != 3 or not _DIGITS.issuperset(code_text):
        raise StatusCodeError(
            f"status {describe(value)} does not start with a three-digit status code"
        )
    code = int(code_text)
    if not 100 <= code <= 599:
        raise StatusCodeError(
            f"status code {describe(value)} is outside 100-599 (RFC 9110 section 15)"
        )
    if space:
        return code, text
    return _BY_CODE[code]
