"""Running an app through its ASGI entry: the scope, the request messages, the response events."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, cast
from urllib.parse import quote

from erlen.errors import HeaderValueError, RequestArgumentError, describe
from erlen.http.status import parse_status
from erlen.testing.environ_builder import (
    PRESERVE_CONTEXT_KEY,
    Environ,
    HeaderList,
    _check_header,
    _wsgi_decode,
)


class ASGIProtocolViolation(RuntimeError):
    """The app under test broke the ASGI protocol (message order, types, framing)."""


#: Largest ``http.request`` chunk the client feeds; bodies go in up to 3 chunks.
ASGI_REQUEST_CHUNK = 65536
#: How long ``close()`` waits for the app to return after ``http.disconnect``.
ASGI_DISCONNECT_GRACE = 5.0
_RAW_PATH_SAFE = "!$&'()*+,/:;=@-._~"


def asgi_scope(environ: Mapping[str, Any]) -> dict[str, Any]:
    """The ASGI ``http`` scope a server would build for the request in ``environ``.

    ``path`` is the decoded full path (root path included, as ASGI 3 asks),
    ``root_path`` comes from ``SCRIPT_NAME``, headers are lower-case byte pairs.
    """
    script_name = environ.get("SCRIPT_NAME", "")
    full_path = (script_name + environ.get("PATH_INFO", "")).encode("latin-1")
    headers: list[tuple[bytes, bytes]] = []
    try:
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                name = key[5:].replace("_", "-").lower()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                name = key.replace("_", "-").lower()
            else:
                continue
            headers.append((name.encode("latin-1"), str(value).encode("latin-1")))
        query_string = environ.get("QUERY_STRING", "").encode("latin-1")
    except UnicodeEncodeError as error:
        raise RequestArgumentError(
            f"request header or query {describe(error.object)} cannot be sent as bytes"
        ) from None
    remote_addr = environ.get("REMOTE_ADDR")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": environ.get("SERVER_PROTOCOL", "HTTP/1.1").partition("/")[2] or "1.1",
        "method": environ["REQUEST_METHOD"],
        "scheme": environ.get("wsgi.url_scheme", "http"),
        "path": full_path.decode("utf-8", errors="replace"),
        "raw_path": quote(full_path, safe=_RAW_PATH_SAFE).encode("ascii"),
        "query_string": query_string,
        "root_path": _wsgi_decode(script_name),
        "headers": headers,
        "client": None
        if remote_addr is None
        else (remote_addr, int(environ.get("REMOTE_PORT") or 0)),
        "server": (environ.get("SERVER_NAME", "localhost"), int(environ.get("SERVER_PORT", 80))),
        "extensions": {},
    }


def _request_messages(body: bytes) -> deque[dict[str, Any]]:
    """The request body as ``http.request`` messages: a few chunks, the last one final."""
    if not body:
        return deque([{"type": "http.request", "body": b"", "more_body": False}])
    size = min(ASGI_REQUEST_CHUNK, max(1, -(-len(body) // 3)))
    pieces = [body[start : start + size] for start in range(0, len(body), size)]
    last = len(pieces) - 1
    return deque(
        {"type": "http.request", "body": piece, "more_body": index < last}
        for index, piece in enumerate(pieces)
    )


def _response_headers(raw: Any) -> HeaderList:
    try:
        pairs = [(name, value) for name, value in raw]
    except (TypeError, ValueError):
        raise ASGIProtocolViolation(
            f"'http.response.start' headers {describe(raw)} are not (name, value) pairs"
        ) from None
    headers: HeaderList = []
    for name, value in pairs:
        if not isinstance(name, (bytes, bytearray)) or not isinstance(value, (bytes, bytearray)):
            raise ASGIProtocolViolation(
                f"response header {describe((name, value))} must be a pair of bytes"
            )
        text_name, text_value = bytes(name).decode("latin-1"), bytes(value).decode("latin-1")
        try:
            _check_header(text_name, text_value)
        except HeaderValueError as error:
            raise ASGIProtocolViolation(f"the app sent a bad response header: {error}") from None
        headers.append((text_name, text_value))
    return headers


class _ASGIExchange:
    """One request driven through an ASGI app on an event loop of its own.

    The loop runs only while the client waits for something: the response
    start, the next body chunk, or the app's return after the body ended (or
    after the client hung up). A streamed body is therefore as lazy as on the
    WSGI path: the app's ``send`` of a chunk waits until the client wants it.
    """

    __slots__ = (
        "_demand",
        "_finish_waiters",
        "_wakeup",
        "buffered",
        "chunks",
        "closed",
        "complete",
        "disconnected",
        "loop",
        "request_messages",
        "start",
        "task",
        "violation",
    )

    def __init__(self, app: Any, scope: dict[str, Any], body: bytes, buffered: bool) -> None:
        self.buffered = buffered
        self.request_messages = _request_messages(body)
        self.chunks: deque[bytes] = deque()
        self.start: tuple[int, HeaderList] | None = None
        self.complete = False
        self.disconnected = False
        self.closed = False
        self.violation: ASGIProtocolViolation | None = None
        self._wakeup: asyncio.Future[None] | None = None
        self._demand: asyncio.Future[None] | None = None
        self._finish_waiters: list[asyncio.Future[None]] = []
        self.loop = asyncio.new_event_loop()

        async def main() -> None:
            await app(scope, self.receive, self.send)

        self.task = self.loop.create_task(main())

    # -- the app's side ------------------------------------------------------

    async def receive(self) -> dict[str, Any]:
        if self.request_messages:
            return self.request_messages.popleft()
        if not (self.complete or self.disconnected):
            # A server answers the next receive only when the client goes away.
            waiter = self.loop.create_future()
            self._finish_waiters.append(waiter)
            await waiter
        return {"type": "http.disconnect"}

    async def send(self, message: Mapping[str, Any]) -> None:
        if self.disconnected:
            return  # the client is gone; a server drops what still comes
        try:
            self._accept(message)
        except ASGIProtocolViolation as violation:
            if self.violation is None:
                self.violation = violation
            raise
        finally:
            self._wake()
        if not self.complete and self.chunks and not self.buffered:
            demand = self._demand = self.loop.create_future()
            await demand

    def _accept(self, message: Mapping[str, Any]) -> None:
        kind = message.get("type")
        if self.complete:
            raise ASGIProtocolViolation(f"the app sent {kind!r} after the response was complete")
        if kind == "http.response.start":
            if self.start is not None:
                raise ASGIProtocolViolation("the app sent 'http.response.start' twice")
            status = message.get("status")
            if type(status) is not int or not 100 <= status <= 999:
                raise ASGIProtocolViolation(
                    f"'http.response.start' status {describe(status)} is not an int in 100-999"
                )
            self.start = (status, _response_headers(message.get("headers", ())))
        elif kind == "http.response.body":
            if self.start is None:
                raise ASGIProtocolViolation(
                    "the app sent 'http.response.body' before 'http.response.start'"
                )
            body = message.get("body", b"")
            if not isinstance(body, (bytes, bytearray)):
                raise ASGIProtocolViolation(
                    f"'http.response.body' body must be bytes, got {type(body).__name__}"
                )
            if body:
                self.chunks.append(bytes(body))
            if not message.get("more_body", False):
                self.complete = True
                self._release_receivers()
        else:
            raise ASGIProtocolViolation(f"the app sent an unknown message type {kind!r}")

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    def _release_receivers(self) -> None:
        waiters, self._finish_waiters = self._finish_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # -- the client's side ---------------------------------------------------

    def _advance(self) -> None:
        """Run the loop until the app sends a message or returns."""
        if self._demand is not None and not self._demand.done():
            self._demand.set_result(None)
        wakeup = self._wakeup = self.loop.create_future()
        self.loop.run_until_complete(
            asyncio.wait({self.task, wakeup}, return_when=asyncio.FIRST_COMPLETED)
        )

    def _raise_for_task(self) -> None:
        """The app returned: raise its error, or a violation if the response is unfinished."""
        self.close()
        if self.start is None:
            raise ASGIProtocolViolation("the app returned without sending 'http.response.start'")
        if not self.complete:
            raise ASGIProtocolViolation(
                "the app returned without a final 'http.response.body' (more_body=False)"
            )

    def begin(self) -> tuple[str, HeaderList]:
        """Run the app until it started the response (and sent a first chunk)."""
        while self.start is None or not (self.complete or (self.chunks and not self.buffered)):
            if self.task.done():
                self._raise_for_task()
            self._advance()
            if self.violation is not None:
                self.close()
        if self.complete:
            # Nothing left to stream: let the app finish (teardown) now, as WSGI does.
            self.close()
        code, headers = self.start
        return parse_status(code)[1], headers

    def __iter__(self) -> _ASGIExchange:
        return self

    def __next__(self) -> bytes:
        while not self.chunks:
            if self.complete or self.closed:
                self.close()
                raise StopIteration
            if self.task.done():
                self._raise_for_task()
            self._advance()
        return self.chunks.popleft()

    def __del__(self) -> None:
        # A streamed test response that was never read nor closed: hang up now,
        # as a client that drops the connection would, rather than leak the task.
        if self.closed:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._close_quietly()
            return
        # Collected while another event loop runs in this thread (a later
        # request's): this exchange's loop cannot run here, so it is driven
        # from a thread of its own.
        closer = threading.Thread(target=self._close_quietly, name="erlen-test-close")
        closer.start()
        closer.join()

    def _close_quietly(self) -> None:
        try:
            self.close()
        except BaseException:
            pass

    def close(self) -> None:
        """Hang up if the body is unfinished, let the app return, close the loop.

        The app's own error (or a protocol violation) is raised here once.
        """
        if self.closed:
            return
        self.closed = True
        loop, task = self.loop, self.task
        try:
            if not task.done():
                if not self.complete:
                    self.disconnected = True
                    self.chunks.clear()
                self._release_receivers()
                if self._demand is not None and not self._demand.done():
                    self._demand.set_result(None)
                loop.run_until_complete(asyncio.wait({task}, timeout=ASGI_DISCONNECT_GRACE))
                if not task.done():
                    task.cancel()
                    loop.run_until_complete(asyncio.wait({task}))
            # As asyncio.run does: finish tasks the app left behind (a cancelled
            # disconnect watcher, say) before the loop goes away.
            leftovers = asyncio.all_tasks(loop)
            for leftover in leftovers:
                leftover.cancel()
            if leftovers:
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
        if self.violation is not None:
            raise self.violation
        if not task.cancelled() and task.exception() is not None:
            raise cast(BaseException, task.exception())


def run_asgi_app(
    app: Any, environ: Environ, buffered: bool = False
) -> tuple[Iterable[bytes], str, HeaderList]:
    """Call ``app`` as an ASGI server would for ``environ``; return ``(body, status, headers)``.

    The status line carries the standard reason phrase (ASGI sends none). Unless
    ``buffered``, a streamed body stays lazy and ``close()`` on it hangs up.
    """
    stream = environ.get("wsgi.input")
    body = stream.read() if stream is not None else b""
    scope = asgi_scope(environ)
    preserve = environ.get(PRESERVE_CONTEXT_KEY)
    if preserve is not None:
        # ``with client:``: the app hands the request's context back through the scope.
        from erlen.asgi import PRESERVE_CONTEXT

        scope[PRESERVE_CONTEXT] = preserve
    exchange = _ASGIExchange(app, scope, body, buffered)
    status, headers = exchange.begin()
    if exchange.closed:
        return list(exchange.chunks), status, headers
    return exchange, status, headers
