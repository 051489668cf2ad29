"""The two rules every body-sending path shares: which responses carry no body,
and how a body item becomes bytes."""

from __future__ import annotations

from erlen.errors import ArgumentTypeError, describe


def has_no_body(status: int, method: str | None = None) -> bool:
    """Whether a response is sent without a body: to a HEAD request, or with a 1xx,
    204 or 304 status (RFC 9110 6.4.1)."""
    return method == "HEAD" or status < 200 or status == 204 or status == 304


def as_body_item(item: object) -> bytes:
    """A response body item as bytes: str is UTF-8 encoded, bytes-like copied as bytes."""
    if type(item) is bytes:
        return item
    if isinstance(item, str):
        return item.encode()
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item)
    raise ArgumentTypeError(f"response body items must be str or bytes, got {describe(item)}")
