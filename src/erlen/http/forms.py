"""Form bodies: ``application/x-www-form-urlencoded`` and ``multipart/form-data``.

Multipart bodies go through the streaming parser of ``python-multipart``;
this module only turns its callbacks into fields and files and enforces the
limits Flask has: ``max_form_memory_size`` for each non-file field,
``max_form_parts`` for the number of parts (both 413). Uploaded files are
written to a ``SpooledTemporaryFile``, so a large upload is never held whole
in memory. A body that cannot be parsed is a 400, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from tempfile import SpooledTemporaryFile
from typing import IO, Any, Protocol, cast

from erlen.http.datastructures import FileStorage, MultiDict
from erlen.http.errors import BadRequest, RequestEntityTooLarge
from erlen.http.query import parse_query

__all__ = ["default_stream_factory", "parse_form", "parse_multipart", "parse_urlencoded"]

# Uploads up to this size stay in memory, larger ones move to a temp file.
SPOOL_MAX_SIZE = 500 * 1024
READ_CHUNK_SIZE = 64 * 1024
# Text a client may send before the first boundary, which is ignored.
MAX_PREAMBLE_SIZE = 64 * 1024

# Field charsets honoured in a part's Content-Type; anything else is UTF-8 (as Werkzeug).
_PART_CHARSETS = frozenset({"ascii", "us-ascii", "utf-8", "iso-8859-1"})


class StreamFactory(Protocol):
    def __call__(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None,
        content_length: int | None = None,
    ) -> IO[bytes]: ...


def default_stream_factory(
    total_content_length: int | None,
    content_type: str | None,
    filename: str | None,
    content_length: int | None = None,
) -> IO[bytes]:
    """A file to write one upload into: memory first, disk past 500 KiB."""
    return cast("IO[bytes]", SpooledTemporaryFile(max_size=SPOOL_MAX_SIZE, mode="rb+"))


def _bad_request(description: str) -> Exception:
    return BadRequest(description)


def _too_large(description: str) -> Exception:
    return RequestEntityTooLarge(description)


def parse_urlencoded(stream: IO[bytes], cls: Callable[[Any], Any] = MultiDict) -> Any:
    """The fields of an urlencoded body (no size limit besides the stream's own)."""
    return cls(parse_query(stream.read()))


def _part_charset(content_type: str | None) -> str:
    if content_type:
        from erlen.http.mime import parse_options_header

        charset = parse_options_header(content_type)[1].get("charset", "").lower()
        if charset in _PART_CHARSETS:
            return charset
    return "utf-8"


class _MultipartCollector:
    """Receives python-multipart callbacks and builds the field and file lists."""

    __slots__ = (
        "content_length",
        "current",
        "ended",
        "fields",
        "files",
        "header_name",
        "header_value",
        "headers",
        "headers_done",
        "max_form_memory_size",
        "max_form_parts",
        "parts",
        "size",
        "stream_factory",
        "target",
    )

    def __init__(
        self,
        stream_factory: StreamFactory,
        max_form_memory_size: int | None,
        max_form_parts: int | None,
        content_length: int | None,
    ) -> None:
        self.stream_factory = stream_factory
        self.max_form_memory_size = max_form_memory_size
        self.max_form_parts = max_form_parts
        self.content_length = content_length
        self.fields: list[tuple[str, str]] = []
        self.files: list[tuple[str, FileStorage]] = []
        self.parts = 0
        self.ended = False
        self.headers_done = False
        self.headers: list[tuple[str, str]] = []
        self.header_name = bytearray()
        self.header_value = bytearray()
        # (name, filename or None, headers) of the part being read
        self.current: tuple[str, str | None, list[tuple[str, str]]] | None = None
        # a list of chunks for a field, a file object for an upload
        self.target: list[bytes] | IO[bytes] | None = None
        self.size = 0

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self.headers = []
        self.header_name.clear()
        self.header_value.clear()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        try:
            name = self.header_name.decode().strip(" \t")
            value = self.header_value.decode().strip(" \t")
        except UnicodeDecodeError:
            raise _bad_request("A multipart part header is not valid UTF-8.") from None
        self.headers.append((name, value))
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        from erlen.http.mime import parse_options_header

        self.headers_done = True
        self.parts += 1
        if self.max_form_parts is not None and self.parts > self.max_form_parts:
            raise _too_large(f"The form has more than max_form_parts={self.max_form_parts} parts.")
        disposition = content_type = None
        for name, value in self.headers:
            lower = name.lower()
            if lower == "content-disposition" and disposition is None:
                disposition = value
            elif lower == "content-type" and content_type is None:
                content_type = value
        if disposition is None:
            raise _bad_request("A multipart part has no Content-Disposition header.")
        options = parse_options_header(disposition)[1]
        field_name = options.get("name")
        if field_name is None:
            raise _bad_request("A multipart part has no field name.")
        filename = options.get("filename")
        self.current = (field_name, filename, self.headers)
        self.size = 0
        if filename is None:
            self.target = []
        else:
            self.target = self.stream_factory(
                total_content_length=self.content_length,
                content_type=content_type,
                filename=filename,
                content_length=0,
            )

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        target = self.target
        if isinstance(target, list):
            self.size += end - start
            limit = self.max_form_memory_size
            if limit is not None and self.size > limit:
                raise _too_large(f"A form field is larger than max_form_memory_size={limit} bytes.")
            target.append(data[start:end])
        elif target is not None:
            target.write(data[start:end])

    def on_part_end(self) -> None:
        current, target = self.current, self.target
        if current is None or target is None:
            return
        name, filename, headers = current
        if isinstance(target, list):
            charset = "utf-8"
            for key, value in headers:
                if key.lower() == "content-type":
                    charset = _part_charset(value)
                    break
            self.fields.append((name, b"".join(target).decode(charset, "replace")))
        else:
            target.seek(0)
            self.files.append((name, FileStorage(target, filename, name, headers=headers)))
        self.current = self.target = None

    def on_end(self) -> None:
        self.ended = True

    def close_files(self) -> None:
        for _, storage in self.files:
            storage.close()
        if self.target is not None and not isinstance(self.target, list):
            self.target.close()


def _import_multipart_parser() -> Any:
    try:
        from python_multipart.multipart import MultipartParser
    except ImportError:  # older releases only ship the ``multipart`` name
        from multipart.multipart import (  # type: ignore[no-redef,import-untyped,unused-ignore]
            MultipartParser,
        )
    return MultipartParser


_BLANK_LINE = b"\r\n\r\n"


def _feed(
    parser: Any,
    read: Callable[[int], bytes],
    delimiter: bytes,
    collector: _MultipartCollector,
) -> None:
    """Write the body into ``parser`` chunk by chunk.

    An empty part written as ``headers CRLF CRLF --boundary`` (the blank line
    doubling as the delimiter's CRLF) is how Werkzeug's and erlen's test
    clients encode an empty value, and Werkzeug's parser accepts it;
    python-multipart wants its own CRLF there, so one is supplied when the
    headers end right before the delimiter.
    """
    buffer = bytearray()
    eof = False
    # A preamble before the first delimiter is allowed (RFC 2046) but
    # python-multipart rejects it: drop it here.
    while True:
        if buffer.startswith(delimiter):
            break
        index = buffer.find(b"\r\n" + delimiter)
        if index != -1:
            del buffer[: index + 2]
            break
        if eof or len(buffer) > MAX_PREAMBLE_SIZE:
            raise _bad_request("The multipart/form-data body has no opening boundary.")
        chunk = read(READ_CHUNK_SIZE)
        if chunk:
            buffer += chunk
        else:
            eof = True
    while not collector.ended:
        index = buffer.find(_BLANK_LINE)
        if index == -1:
            if eof:
                if buffer:
                    parser.write(bytes(buffer))
                return
            # Keep a possible partial blank line for the next round.
            if len(buffer) > 3:
                parser.write(bytes(buffer[:-3]))
                del buffer[:-3]
            chunk = read(READ_CHUNK_SIZE)
            if chunk:
                buffer += chunk
            else:
                eof = True
            continue
        end = index + 4
        collector.headers_done = False
        parser.write(bytes(buffer[:end]))
        del buffer[:end]
        # Only the first blank line is in this piece, so headers that ended
        # during the write ended exactly at its end.
        if collector.headers_done:
            while len(buffer) < len(delimiter) and not eof:
                chunk = read(READ_CHUNK_SIZE)
                if chunk:
                    buffer += chunk
                else:
                    eof = True
            if buffer.startswith(delimiter):
                parser.write(b"\r\n")


def parse_multipart(
    stream: IO[bytes],
    boundary: str,
    content_length: int | None = None,
    *,
    max_form_memory_size: int | None = 500_000,
    max_form_parts: int | None = 1000,
    stream_factory: StreamFactory | None = None,
    cls: Callable[[Any], Any] = MultiDict,
) -> tuple[Any, Any]:
    """Parse a ``multipart/form-data`` body read from ``stream`` into ``(form, files)``.

    Raises ``RequestEntityTooLarge`` when a limit is passed and ``BadRequest``
    when the body is malformed or ends early.
    """
    if not boundary:
        raise _bad_request("The multipart/form-data Content-Type has no boundary.")
    try:
        boundary_bytes = boundary.encode("ascii")
    except UnicodeEncodeError:
        raise _bad_request("The multipart boundary is not ASCII.") from None
    collector = _MultipartCollector(
        stream_factory or default_stream_factory,
        max_form_memory_size,
        max_form_parts,
        content_length,
    )
    parser_class = _import_multipart_parser()
    try:
        parser = parser_class(boundary_bytes, collector.callbacks())
        _feed(parser, stream.read, b"--" + boundary_bytes, collector)
        parser.finalize()
    except ValueError as error:
        collector.close_files()
        if hasattr(error, "code"):  # an HTTP error of ours that is also a ValueError
            raise
        # python-multipart reports malformed input as ValueError subclasses.
        raise _bad_request(f"The multipart/form-data body is malformed: {error}") from None
    except BaseException:
        collector.close_files()
        raise
    if not collector.ended:
        collector.close_files()
        raise _bad_request("The multipart/form-data body ended before its closing boundary.")
    return cls(collector.fields), cls(collector.files)


def parse_form(
    stream: IO[bytes],
    mimetype: str,
    content_length: int | None = None,
    options: dict[str, str] | None = None,
    *,
    max_form_memory_size: int | None = 500_000,
    max_form_parts: int | None = 1000,
    stream_factory: StreamFactory | None = None,
    cls: Callable[[Any], Any] = MultiDict,
) -> tuple[Any, Any]:
    """``(form, files)`` for a form body; both empty for any other mimetype."""
    if mimetype == "multipart/form-data":
        return parse_multipart(
            stream,
            (options or {}).get("boundary", ""),
            content_length,
            max_form_memory_size=max_form_memory_size,
            max_form_parts=max_form_parts,
            stream_factory=stream_factory,
            cls=cls,
        )
    if mimetype == "application/x-www-form-urlencoded":
        return parse_urlencoded(stream, cls), cls([])
    return cls([]), cls([])
