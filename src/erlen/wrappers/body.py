"""The request body stream: never read past Content-Length or the size limit."""

from __future__ import annotations

import io
import sys
from typing import IO, Any

from erlen.wrappers.http_errors import _http_error


class _BoundedInput(io.RawIOBase):
    """Reads the body from ``wsgi.input`` without going past ``limit`` bytes.

    With ``is_max`` the limit is ``max_content_length`` of a stream the server
    terminates: more data than that is a 413. Otherwise the limit is the
    Content-Length, and a body that stops short is a client disconnect (400).
    """

    def __init__(self, raw: IO[bytes], limit: int, is_max: bool = False) -> None:
        self._raw = raw
        self._position = 0
        self.limit = limit
        self._is_max = is_max

    def readable(self) -> bool:
        return True

    def _at_limit(self) -> bytes:
        # A terminated stream that still has data past max_content_length is too
        # large; one that is exactly at its end is fine.
        if self._is_max and self._read_raw(1):
            raise _http_error("RequestEntityTooLarge")
        return b""

    def _read_raw(self, size: int) -> bytes:
        try:
            return self._raw.read(size)
        except (OSError, ValueError) as error:
            raise _http_error("ClientDisconnected") from error
        except Exception as error:
            from erlen.exceptions import HTTPException

            if isinstance(error, HTTPException):
                raise
            # The server's own parser refused the body (gunicorn raises
            # InvalidChunkSize for a bad chunk size): a malformed request, 400.
            raise _http_error(
                "BadRequest", f"The request body is malformed ({type(error).__name__})."
            ) from error

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        remaining = self.limit - self._position
        if remaining <= 0:
            return self._at_limit()
        if size > remaining:
            size = remaining
        data = self._read_raw(size)
        if not data:
            if size and not self._is_max:
                raise _http_error("ClientDisconnected")
            return b""
        self._position += len(data)
        return data

    def readall(self) -> bytes:
        chunks = []
        while True:
            chunk = self.read(65536)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def tell(self) -> int:
        return self._position


def _open_input(
    raw: IO[bytes] | None, terminated: bool, content_length: int | None, limit: int | None
) -> IO[bytes]:
    if raw is None:
        return io.BytesIO()
    if content_length is not None:
        if limit is not None and content_length > limit:
            raise _http_error("RequestEntityTooLarge")
        return _BoundedInput(raw, content_length)  # type: ignore[return-value]
    if terminated:
        # The server ends the stream itself (chunked body, ASGI).
        # Wrapped even without a limit, so a read error is a 400, not a 500.
        return _BoundedInput(  # type: ignore[return-value]
            raw, sys.maxsize if limit is None else limit, is_max=True
        )
    # No length and no end guaranteed: reading could hang, so read nothing.
    return io.BytesIO()


def _parse_content_length(value: str | None, transfer_encoding: str | None) -> int | None:
    if transfer_encoding is not None and any(
        part.strip(" \t").lower() == "chunked" for part in transfer_encoding.split(",")
    ):
        return None
    if value is None:
        return None
    text = value.strip(" \t")
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()):
        return 0
    return max(0, int(text))
