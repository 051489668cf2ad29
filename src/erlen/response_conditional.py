"""ETags, conditional requests and byte ranges for the Response (a mixin).

``make_conditional`` follows RFC 9110 where Werkzeug 3.1 does not: the
preconditions are evaluated in the order of section 13.2.2 before any Range,
only a 2xx response is ever turned into a 304, 412 or 206, several ranges are
served as ``multipart/byteranges`` (merged, at most
:data:`~erlen.http.conditional.MAX_RANGE_PARTS` parts), a Range in units other
than bytes is ignored, and If-Range uses the strong comparison.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from erlen.http.body import ClosesOnce
from erlen.http.conditional import (
    MAX_RANGE_PARTS,
    HeaderLookup,
    evaluate_preconditions,
    generate_etag,
    if_range_allows,
    parse_range_header,
    quote_etag,
    unquote_etag,
)
from erlen.http.dates import http_date, parse_http_date

if TYPE_CHECKING:
    from erlen.response import Response

__all__ = ["ResponseConditional"]

_R = TypeVar("_R", bound="ResponseConditional")
_Piece = bytes | tuple[int, int]


class _StreamCursor:
    """Reads ascending byte spans out of a one-pass iterable, skipping what lies between."""

    __slots__ = ("_next", "_pending", "_position")

    def __init__(self, source: Iterable[Any]) -> None:
        self._next = iter(source).__next__
        self._pending = b""
        self._position = 0

    def read_span(self, start: int, stop: int) -> Iterator[bytes]:
        pending, position = self._pending, self._position
        try:
            while position < stop:
                if not pending:
                    try:
                        chunk = self._next()
                    except StopIteration:
                        break
                    pending = chunk.encode() if isinstance(chunk, str) else bytes(chunk)
                    continue
                chunk_end = position + len(pending)
                if chunk_end > start:
                    low = start - position if start > position else 0
                    high = stop - position if stop < chunk_end else len(pending)
                    yield pending[low:high]
                    if high < len(pending):
                        pending, position = pending[high:], position + high
                        break
                pending, position = b"", chunk_end
        finally:
            self._pending, self._position = pending, position


class _PartsBody(ClosesOnce):
    """A 206 body: literal bytes (multipart framing) and spans read from the source.

    It has no ``__len__`` so the adapters stream it; ``close`` closes the source.
    """

    __slots__ = ("_close", "_iterator")

    def __init__(
        self,
        pieces: list[_Piece],
        read_span: Callable[[int, int], Iterable[bytes]],
        close: Callable[[], Any] | None,
    ) -> None:
        self._iterator = self._generate(pieces, read_span)
        self._close = close
        self._closed = False

    @staticmethod
    def _generate(
        pieces: list[_Piece], read_span: Callable[[int, int], Iterable[bytes]]
    ) -> Generator[bytes, None, None]:
        for piece in pieces:
            if type(piece) is bytes:
                yield piece
            else:
                start, stop = piece
                yield from read_span(start, stop)

    def __iter__(self) -> _PartsBody:
        return self

    def __next__(self) -> bytes:
        return next(self._iterator)

    def _release(self) -> None:
        # Stops reading and closes the source body.
        self._iterator.close()
        if self._close is not None:
            self._close()


def _method_and_headers(request_or_environ: Any) -> tuple[Any, HeaderLookup]:
    """The ``REQUEST_METHOD`` and the headers of a request or of a PEP 3333 environ.

    An erlen request answers from its own headers, so a request made from its
    parts (ASGI) builds no environ for this.
    """
    from erlen.wrappers import EnvironHeaders, Request

    if isinstance(request_or_environ, Request):
        return request_or_environ._environ_method, request_or_environ.headers
    environ = request_or_environ
    if not isinstance(environ, Mapping):
        environ = environ.environ  # another request class: Werkzeug reads its environ
    return environ.get("REQUEST_METHOD"), EnvironHeaders(environ)


def _multipart_pieces(
    spans: list[tuple[int, int]], complete_length: int, content_type: str | None, boundary: str
) -> tuple[list[_Piece], int]:
    """The multipart/byteranges framing around ``spans`` and the body's total length."""
    type_line = "" if content_type is None else f"Content-Type: {content_type}\r\n"
    pieces: list[_Piece] = []
    total = 0
    delimiter = f"--{boundary}\r\n"
    for start, stop in spans:
        head = f"{delimiter}{type_line}Content-Range: bytes {start}-{stop - 1}/{complete_length}"
        encoded = (head + "\r\n\r\n").encode("latin-1")
        pieces.append(encoded)
        pieces.append((start, stop))
        total += len(encoded) + stop - start
        delimiter = f"\r\n--{boundary}\r\n"
    closing = f"\r\n--{boundary}--\r\n".encode("ascii")
    pieces.append(closing)
    return pieces, total + len(closing)


class ResponseConditional:
    """ETag helpers and ``make_conditional`` for :class:`~erlen.response.Response`."""

    __slots__ = ()

    def set_etag(self, etag: str, weak: bool = False) -> None:
        """Set the ETag header to ``etag`` quoted (``W/`` prefixed when weak)."""
        cast("Response", self).headers["ETag"] = quote_etag(etag, weak)

    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        """``(etag, is_weak)`` from the ETag header, or ``(None, None)``."""
        return unquote_etag(cast("Response", self).headers.get("ETag"))

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        """Set an ETag (the SHA-1 of the body, as Werkzeug) unless one is set already."""
        response = cast("Response", self)
        if overwrite or "etag" not in response.headers:
            self.set_etag(generate_etag(response.get_data()), weak)

    def make_conditional(
        self: _R,
        request_or_environ: Any,
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> _R:
        """Answer the request's conditional headers in place; returns the response.

        Only for GET and HEAD. Adds Date if missing and Accept-Ranges when
        ``accept_ranges`` is True (``bytes``) or a string. For a 2xx response,
        a failed If-Match / If-Unmodified-Since gives 412 and a matching
        If-None-Match / If-Modified-Since gives 304. For a 200 with
        ``accept_ranges`` and ``complete_length``, a Range (subject to
        If-Range) gives 206 with the sliced body, several ranges a
        ``multipart/byteranges`` body; raises
        :class:`~erlen.exceptions.RequestedRangeNotSatisfiable` when no range
        is satisfiable or the byte Range header is malformed.
        """
        response = cast("Response", self)
        method, request_headers = _method_and_headers(request_or_environ)
        if method not in ("GET", "HEAD"):
            return self
        headers = response.headers
        if "date" not in headers:
            headers._set_trusted("Date", http_date())
        if accept_ranges:
            headers["Accept-Ranges"] = "bytes" if accept_ranges is True else accept_ranges
        status = response.status_code
        if 200 <= status < 300:
            etag = headers.get("ETag")
            last_modified = parse_http_date(headers.get("Last-Modified"))
            outcome = evaluate_preconditions(request_headers, etag, last_modified)
            if outcome:
                response.status_code = outcome
            elif status == 200 and accept_ranges and complete_length:
                byte_range = request_headers.get("Range")
                if byte_range is not None:
                    if_range = request_headers.get("If-Range")
                    if if_range is None or if_range_allows(if_range, etag, last_modified):
                        _serve_ranges(response, byte_range, complete_length)
        if response.automatically_set_content_length and "content-length" not in headers:
            length = response.calculate_content_length()
            if length is not None:
                headers._set_trusted("Content-Length", str(length))
        return self


def _serve_ranges(response: Response, header: str, complete_length: int) -> None:
    """Turn ``response`` into a 206 for the Range ``header``, or raise 416."""
    from erlen.exceptions import RequestedRangeNotSatisfiable

    parsed = parse_range_header(header)
    if parsed is None:
        raise RequestedRangeNotSatisfiable(complete_length)
    if parsed.units != "bytes":
        # RFC 9110 14.2: a Range in units the server does not know is ignored.
        return
    spans = parsed.ranges_for_length(complete_length)
    if not spans:
        raise RequestedRangeNotSatisfiable(complete_length)
    if len(spans) > MAX_RANGE_PARTS:
        # Too many separate parts to be worth it: send the whole entity (200).
        return

    headers = response.headers
    if len(spans) == 1:
        start, stop = spans[0]
        pieces: list[_Piece] = [spans[0]]
        length = stop - start
        content_range: str | None = f"bytes {start}-{stop - 1}/{complete_length}"
    else:
        boundary = secrets.token_hex(16)
        pieces, length = _multipart_pieces(
            spans, complete_length, headers.get("Content-Type"), boundary
        )
        content_range = None
        headers._set_trusted("Content-Type", f"multipart/byteranges; boundary={boundary}")

    response.response = _ranged_body(response, pieces)
    response.status_code = 206
    headers._set_trusted("Content-Length", str(length))
    if content_range is None:
        headers.pop("Content-Range", None)
    else:
        headers._set_trusted("Content-Range", content_range)


def _ranged_body(response: Response, pieces: list[_Piece]) -> Iterable[bytes]:
    from erlen.files import FileBody

    body: Any = response.response
    if type(body) is FileBody or isinstance(body, FileBody):
        if len(pieces) == 1:
            start, stop = pieces[0]
            return body.span(start, stop)
        return _PartsBody(pieces, body.iter_span, body.close)
    if isinstance(body, (list, tuple)):
        data = response.get_data()
        return [piece if type(piece) is bytes else data[piece[0] : piece[1]] for piece in pieces]
    cursor = _StreamCursor(body)
    return _PartsBody(pieces, cursor.read_span, getattr(body, "close", None))
