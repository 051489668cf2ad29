"""The rules every body-sending path shares: which responses carry no body, how
a body item becomes bytes, and that a body is closed once."""

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


class ClosesOnce:
    """A body whose ``close()`` releases what it holds once, however often it is
    called (a server, a wrapper and an error path may each call it)."""

    __slots__ = ("_closed",)

    def __init__(self) -> None:
        self._closed = False

    def close(self) -> None:
        """Release what the body holds; only the first call does anything."""
        if self._closed:
            return
        self._closed = True
        self._release()

    def _release(self) -> None:
        raise NotImplementedError
