"""The request body over ASGI: ``ASGIInput`` reads ``http.request`` messages, received
on the loop before the view runs and spooled to a temporary file past
:data:`SPOOL_MEMORY` bytes.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from typing import IO

from erlen.asgi.protocol import ASGIProtocolError, Message, Receive
from erlen.exceptions import ClientDisconnected
from erlen.wrappers import Request

#: Bytes of a request body kept in memory; past this the body received
#: before the view runs goes to a temporary file (see
#: ASGIInput.receive_before_dispatch).
SPOOL_MEMORY = 1024 * 1024


_DISCONNECTED = "The client disconnected before the request body was received."


class ASGIInput:
    """``wsgi.input`` for ASGI: a file-like reader over ``http.request`` messages.

    The body is received on the loop before the view runs
    (:meth:`receive_before_dispatch`), so reads in a view never wait on the
    network. Other reads from a worker thread wait on the loop; reads on the
    loop thread can only use what was received already (otherwise they would
    deadlock), and say so instead of hanging.
    """

    __slots__ = ("_buffer", "_loop", "_receive", "_spool", "complete", "disconnected")

    def __init__(self, receive: Receive, loop: asyncio.AbstractEventLoop | None) -> None:
        self._receive = receive
        self._loop = loop
        self._buffer = bytearray()
        # The start of the body, on disk past SPOOL_MEMORY bytes; read before _buffer.
        self._spool: IO[bytes] | None = None
        self.complete = False
        self.disconnected = False

    async def receive_before_dispatch(self, request: Request) -> None:
        """Receive the body on the loop before the view runs: before a sync view's
        thread is taken (a slow client then holds no pool thread, only its
        connection), and before an ``async def`` view (whose sync accessors
        must not block the loop). At
        most ``max_content_length`` bytes are received: a declared length
        over it is not received at all, and a chunked body stops as soon as
        it crosses it, so the request answers 413 without buffering the rest.
        Past :data:`SPOOL_MEMORY` bytes the body goes to a temporary file, so
        a large upload is never all in memory. A client that leaves midway
        leaves a short body (the request reports the disconnect as a 400).
        """
        if self.complete:
            return
        limit = request.max_content_length
        length = request.content_length
        if limit is not None and length is not None and length > limit:
            return  # refused with 413 when the body is opened; nothing to receive
        if length is not None and limit is None:
            limit = length  # a longer body is cut at the declared length anyway
        spooled = 0
        try:
            while not self.complete and (limit is None or spooled + len(self._buffer) <= limit):
                await self._receive_chunk()
                if len(self._buffer) > SPOOL_MEMORY:
                    spool = self._spool
                    if spool is None:
                        spool = self._spool = tempfile.SpooledTemporaryFile(SPOOL_MEMORY)  # noqa: SIM115 -- lives as long as the body
                    spool.write(self._buffer)
                    spooled += len(self._buffer)
                    self._buffer.clear()
        except ClientDisconnected:
            pass  # complete and short: reading the body reports it
        finally:
            if self._spool is not None:
                self._spool.seek(0)

    def _drop_spool(self) -> None:
        spool = self._spool
        if spool is not None:
            self._spool = None
            spool.close()

    async def _receive_chunk(self) -> None:
        message = await self._receive()
        try:
            kind = message.get("type")
        except AttributeError:
            raise ASGIProtocolError(
                f"ASGI messages must be mappings, got {type(message).__name__}"
            ) from None
        if kind == "http.request":
            body = message.get("body", b"")
            if not isinstance(body, (bytes, bytearray)):
                raise ASGIProtocolError(
                    f"'http.request' body must be bytes, got {type(body).__name__}"
                )
            self._buffer += body
            if not message.get("more_body", False):
                self.complete = True
        elif kind == "http.disconnect":
            self.disconnected = True
            self.complete = True
            raise ClientDisconnected(_DISCONNECTED)
        else:
            raise ASGIProtocolError(f"unexpected ASGI message {kind!r} while reading the body")

    def _fill(self, size: int) -> None:
        if self.disconnected and (size < 0 or len(self._buffer) < size):
            # The disconnect was received already (on the loop, see
            # receive_before_dispatch): the body ends short.
            raise ClientDisconnected(_DISCONNECTED)
        while not self.complete and (size < 0 or len(self._buffer) < size):
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if self._loop is None or running is self._loop:
                raise RuntimeError(
                    "The request body was not received yet and cannot be read from the"
                    " event loop thread without blocking it. This happens only in async"
                    " code that bypasses erlen's dispatch; read it in a sync view."
                )
            asyncio.run_coroutine_threadsafe(self._receive_chunk(), self._loop).result()

    def read(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        if self._spool is not None:
            data = self._spool.read(size)
            if 0 <= size <= len(data):
                return data
            self._drop_spool()  # exhausted: the rest is in _buffer, or still to come
            return data + self._read_buffered(-1 if size < 0 else size - len(data))
        return self._read_buffered(size)

    def _read_buffered(self, size: int) -> bytes:
        self._fill(size)
        if size < 0 or size >= len(self._buffer):
            data = bytes(self._buffer)
            self._buffer.clear()
        else:
            data = bytes(self._buffer[:size])
            del self._buffer[:size]
        return data

    def readline(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        if self._spool is not None:
            line = self._spool.readline(size)
            if line.endswith(b"\n") or 0 <= size <= len(line):
                return line
            self._drop_spool()
            return line + self._readline_buffered(-1 if size < 0 else size - len(line))
        return self._readline_buffered(size)

    def _readline_buffered(self, size: int) -> bytes:
        while b"\n" not in self._buffer and not self.complete:
            if 0 <= size <= len(self._buffer):
                break
            self._fill(len(self._buffer) + 1)
        end = self._buffer.find(b"\n") + 1 or len(self._buffer)
        if 0 <= size < end:
            end = size
        data = bytes(self._buffer[:end])
        del self._buffer[:end]
        return data

    def __iter__(self) -> Iterator[bytes]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line


async def _never_receive() -> Message:
    raise ASGIProtocolError("a request without a body has nothing to receive")


#: The ``wsgi.input`` of every bodiless request: complete and empty, so reads
#: return ``b""`` and nothing is ever received through it.
_NO_BODY = ASGIInput(_never_receive, None)
_NO_BODY.complete = True
