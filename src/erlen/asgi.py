"""The ASGI 3 adapter: the only module that knows ASGI.

A request is routed from the scope's method and path; when something reads
it, it becomes the same ``Request`` over the same PEP 3333-keyed ``environ``
the WSGI side gets (built then), so the app's dispatch is shared by both
protocols. Sync views and
hooks run in a thread pool (one hop for the whole sync dispatch); ``async def``
views run on the loop. The request body is read from ``receive`` only when
something asks for it.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import functools
import logging
import tempfile
import threading
import types
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

from erlen import _signal_gate, syncasync
from erlen.ctx import Context, _ContextManager, _cv_context
from erlen.dispatch import release_request
from erlen.exceptions import ClientDisconnected
from erlen.http.body import has_no_body
from erlen.http.urls import iri_to_uri
from erlen.response import _as_body_item, is_async_body
from erlen.syncasync import call_on_loop, run_sync
from erlen.wrappers import Request, _with_one_slash
from erlen.wrappers.request_parts import RequestParts
from erlen.wsgi import ResponseBody, app_iter as _wsgi_app_iter, wsgi_header_list

if TYPE_CHECKING:
    from erlen.app import Erlen
    from erlen.response import Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
T = TypeVar("T")

# Sync generator bodies streaming now (each holds a pool thread), under a lock:
# streams on several loops (test clients in threads) may count at once.
_sync_streams = 0
_sync_streams_lock = threading.Lock()
_warned_pool_full = False
_logger = logging.getLogger("erlen.asgi")


class ASGIProtocolError(RuntimeError):
    """The server sent a scope or message that breaks the ASGI specification."""


class _NotStarted(Exception):
    """Building the response's headers failed before anything was sent."""


def _count_sync_stream(change: int) -> None:
    """Track the sync streams holding pool threads; warn once when they hold all."""
    global _sync_streams, _warned_pool_full
    with _sync_streams_lock:
        _sync_streams += change
        streams = _sync_streams
    pool_size = syncasync.pool_size()
    if change > 0 and streams >= pool_size and not _warned_pool_full:
        _warned_pool_full = True
        _logger.warning(
            "%d sync generator responses are streaming and hold all %d threads of"
            " erlen's worker pool: sync views and other streams now wait for a thread."
            " Set ERLEN_SYNC_THREADS higher, or stream with an async generator.",
            streams,
            pool_size,
        )


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


# Most distinct header names kept in a per-name cache.
_ENVIRON_KEYS_LIMIT = 1024


# ASGI "http_version" -> PEP 3333 SERVER_PROTOCOL, for the usual versions.
# PERF: a lookup instead of formatting the string for every request.
_SERVER_PROTOCOLS = {"1.1": "HTTP/1.1", "2": "HTTP/2", "1.0": "HTTP/1.0", "3": "HTTP/3"}


def _request_parts(scope: Scope, body: Any) -> RequestParts:
    """The parts of the request in a checked ASGI ``http`` scope (path below ``root_path``).

    PERF: the scope was checked by ``_make_request`` (or ``build_environ``),
    so it is not checked again here.
    """
    path: str = scope["path"]
    root_path: str = scope.get("root_path") or ""
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    version = scope.get("http_version", "1.1")
    return RequestParts(
        scope["method"],
        path,
        scope.get("scheme", "http"),
        scope.get("server"),
        root_path,
        scope.get("query_string", b""),
        scope.get("headers", ()),
        scope.get("client"),
        body,
        _SERVER_PROTOCOLS.get(version) or f"HTTP/{version}",
        {"asgi.scope": scope},
    )


def build_environ(scope: Scope, body: ASGIInput) -> dict[str, Any]:
    """The PEP 3333 environ of an ASGI ``http`` scope (what ``request.environ`` holds)."""
    try:
        method = scope["method"]
        path = scope["path"]
    except KeyError as missing:
        raise ASGIProtocolError(f"the ASGI http scope has no {missing.args[0]!r} key") from None
    if type(method) is not str or type(path) is not str:
        raise ASGIProtocolError("the ASGI scope's 'method' and 'path' must be str")
    try:
        return _request_parts(scope, body).build_environ()
    except (AttributeError, TypeError, ValueError, IndexError) as error:
        raise ASGIProtocolError(
            "the ASGI http scope is malformed (query_string and headers must be bytes,"
            f" headers (name, value) pairs, server and client pairs): {error}"
        ) from None


def asgi_app(app: Erlen, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
    """Serve one ASGI connection scope (returns the coroutine to await)."""
    # PERF: a plain function handing back the handler's coroutine saves one
    # coroutine frame per request.
    kind = scope.get("type")
    if kind == "http":
        return _serve_http(app, scope, receive, send)
    if kind == "lifespan":
        return _serve_lifespan(app, receive, send)
    if kind == "websocket":
        return _refuse_websocket(receive, send)
    raise ASGIProtocolError(f"unsupported ASGI scope type {kind!r}")


async def _refuse_websocket(receive: Receive, send: Send) -> None:
    # erlen has no WebSocket views: refuse the handshake (the server answers 403).
    message = await receive()
    if message.get("type") == "websocket.connect":
        await send({"type": "websocket.close", "code": 1008})


async def _serve_lifespan(app: Erlen, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        kind = message.get("type")
        if kind == "lifespan.startup":
            try:
                for function in app.before_serving_funcs:
                    await call_on_loop(function)
            except Exception as error:
                await send({"type": "lifespan.startup.failed", "message": repr(error)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif kind == "lifespan.shutdown":
            try:
                for function in app.after_serving_funcs:
                    await call_on_loop(function)
            except Exception as error:
                await send({"type": "lifespan.shutdown.failed", "message": repr(error)})
                return
            await send({"type": "lifespan.shutdown.complete"})
            return


def _make_request(app: Erlen, scope: Scope, receive: Receive) -> tuple[Context, ASGIInput]:
    """The request's context (routed) and its body reader, from the scope."""
    try:
        method = scope["method"]
        path = scope["path"]
    except KeyError as missing:
        raise ASGIProtocolError(f"the ASGI http scope has no {missing.args[0]!r} key") from None
    if type(method) is not str or type(path) is not str:
        raise ASGIProtocolError("the ASGI scope's 'method' and 'path' must be str")
    root_path = scope.get("root_path")
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    # HTTP/1.x without Content-Length or Transfer-Encoding has no body (RFC
    # 9112 6.3): nothing is received, and an empty input is shared. HTTP/2
    # and later may send a body without a length.
    has_body = str(scope.get("http_version", "1.1")) >= "2"
    try:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                if value != b"0":
                    has_body = True
            elif name == b"transfer-encoding":
                has_body = True
            elif type(name) is not bytes:
                # Caught here, not when (or if) the environ is built.
                raise TypeError(f"header names must be bytes, got {type(name).__name__}")
        query = scope.get("query_string", b"").decode("latin-1")
        server = scope.get("server")
        client = scope.get("client")
        if (server is not None and len(server) != 2) or (client is not None and len(client) != 2):
            raise ValueError("server and client must be (host, port) pairs")
        if not path.isascii():
            path.encode("utf-8")  # a lone surrogate cannot be a PEP 3333 path
        if root_path and not root_path.isascii():
            root_path.encode("utf-8")
    except (AttributeError, TypeError, ValueError) as error:
        raise ASGIProtocolError(
            "the ASGI http scope is malformed (query_string and headers must be bytes,"
            f" headers (name, value) pairs): {error}"
        ) from None
    body = ASGIInput(receive, asyncio.get_running_loop()) if has_body else _NO_BODY
    if app._plan is not None and app._plan.proxy_fix is not None:
        # Trusted proxies rewrite the environ's keys: it is made now.
        return app._make_context(build_environ(scope, body)), body
    request_class = app.request_class
    if request_class._plain_init:
        # PERF: routing needs only the method and path; the request object is
        # made when something reads it, and its PEP 3333 environ later still.
        context = app._route_deferred(
            _make_asgi_request,
            method.upper(),
            _with_one_slash(path),
            scope,
            body,
            bool(path),
            query,
        )
        return context, body
    # A subclass's own __init__ gets the environ it expects.
    return app._route(request_class(build_environ(scope, body)), bool(path), query), body


def _make_asgi_request(app: Erlen, method: str, path: str, scope: Scope, body: Any) -> Request:
    """The request of an ASGI context routed without it (see Erlen._route_deferred).

    It is made from the scope's parts: its PEP 3333 environ is built only if
    something reads ``request.environ`` (the scope was checked up front).
    """
    return app.request_class._from_parts(_request_parts(scope, body), method, path)


async def _serve_http(app: Erlen, scope: Scope, receive: Receive, send: Send) -> None:
    app._got_first_request = True  # registrations are over (see Erlen.wsgi_app)
    plan = app._plan or app._make_plan()
    if plan.wsgi_middleware:
        # ``app.wsgi_app`` was wrapped (ProxyFix, say): ASGI requests go
        # through the wrapper too, so it is never silently skipped.
        await _serve_through_wsgi(app, scope, receive, send)
        return
    context, body = _make_request(app, scope, receive)
    context.depth = 1
    preserve = scope.get(PRESERVE_CONTEXT)
    if preserve is not None:
        _preserve_context(app, context, preserve)
    token: contextvars.Token[Context] | None = _cv_context.set(context)
    error: BaseException | None = None
    ended = False
    # Where the request's steps ran, so teardown runs there too; an
    # ``async def`` view's request is on the loop from its first await.
    on_loop = True
    if _signal_gate.active is not None:
        _signal_gate.active.send_appcontext_pushed(app)
    try:
        served = await app._serve_on_loop(
            context,
            # The body is in before an async view runs, received as for a sync
            # view (bounded, spooled): sync accessors such as get_json() must
            # not block the loop.
            None
            if body.complete
            else functools.partial(body.receive_before_dispatch, cast(Request, context.request)),
        )
        if served is not None:
            # An ``async def`` view: every step ran on the loop, no thread hop.
            response, error = served
            encoded = None
        elif app._runs_no_user_code(context):
            # A 404, 405 or automatic OPTIONS answer nothing of the app's
            # takes part in: made here, with no thread hop.
            on_loop = False
            response, error = app._serve_sync(context)
            encoded = None
        else:
            # Sync user code: all of it (hooks, view, handlers, teardown) in
            # one worker thread, once the body is in (a slow upload then
            # holds no thread).
            on_loop = False
            if not body.complete:
                await body.receive_before_dispatch(cast(Request, context.request))
            response, error, encoded, ended = await run_sync(_serve_in_worker, app, context)
        source: Any = response.response
        if encoded is None and (
            type(source) is list
            and len(source) == 1
            and type(source[0]) is bytes
            and not response._on_close
        ):
            # PERF: _buffered_headers, inlined (has_no_body's status test).
            code = response._status_code
            if code >= 200 and code != 204 and code != 304:
                encoded = _headers_as_sent(response)
        if encoded is not None:
            # PERF: send_response's first case, for the usual body (one bytes
            # item) and headers that need no send rule (see _buffered_headers).
            # The request's context is left before handing the messages over:
            # a server may snapshot the context meanwhile (uvicorn's
            # keep-alive timer does) and so keep the request, its response
            # and everything they hold alive until the connection's next
            # request, which feeds the garbage collector for nothing.
            _cv_context.reset(token)  # type: ignore[arg-type]
            token = None
            # PERF: _method_of, inlined.
            pending = context.pending_request
            method = pending[3] if pending is not None else context._request._method  # type: ignore[union-attr]
            await send(
                {"type": "http.response.start", "status": response._status_code, "headers": encoded}
            )
            await send(
                {"type": "http.response.body", "body": b"" if method == "HEAD" else source[0]}
            )
            return
        method = _method_of(context)
        try:
            await send_response(response, context, send, receive, scope, method)
        except _NotStarted as failure:
            # The response could not be turned into headers (a bad Location,
            # a header the server cannot encode): it is closed and a 500 sent.
            error = failure.__cause__
            assert isinstance(error, Exception)
            response = await app._handle_exception_async(error)
            await send_response(response, context, send, receive, scope, method)
    except BaseException as exception:
        error = error or exception
        raise
    finally:
        if not ended:
            context.depth -= 1
            if context.depth == 0:
                if not plan.teardown:
                    if context._request is not None:  # PERF: release_request's test
                        release_request(context)
                elif isinstance(error, GeneratorExit):
                    # The coroutine was dropped unfinished (a test client's,
                    # collected): nothing may be awaited any more.
                    release_request(context)
                elif not on_loop:
                    # A sync request's teardown functions, after its stream.
                    await run_sync(app._teardown, context, error)
                else:
                    await app._teardown_async(context, error)
        if token is not None:
            try:
                _cv_context.reset(token)
            except ValueError:
                pass  # closed from another context: the dropped coroutine again


#: Scope key of a test client's ``with client:`` block: called with a context
#: manager of the request's context so the block can keep it active afterwards.
PRESERVE_CONTEXT = "erlen.preserve_context"


def _preserve_context(app: Erlen, context: Context, preserve: Callable[[Any], Any]) -> None:
    preserve(_ContextManager(app, context))


async def _serve_through_wsgi(app: Erlen, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve an ASGI request through ``app.wsgi_app`` (replaced by WSGI middleware).

    The WSGI callable runs in a worker thread with a PEP 3333 environ made
    from the scope (the body read from ``receive`` as the app reads it), and
    its iterable is streamed back from that thread.
    """
    body = ASGIInput(receive, asyncio.get_running_loop())
    environ = build_environ(scope, body)
    status, headers, first, rest = await run_sync(_start_wsgi, app.wsgi_app, environ)
    start = {
        "type": "http.response.start",
        "status": int(status.split(" ", 1)[0]),
        "headers": _encode_headers(headers),
    }
    if rest is None:
        await send(start)
        await send({"type": "http.response.body", "body": first})
        return
    await _stream_sync_body(rest, start, send, receive)


class _WSGIRest:
    """The rest of a WSGI iterable after its first chunk, closed as PEP 3333 asks."""

    __slots__ = ("_first", "_iterator", "_result")

    def __init__(self, first: bytes, iterator: Iterator[bytes], result: Any) -> None:
        self._first = first
        self._iterator = iterator
        self._result = result

    def __iter__(self) -> Iterator[bytes]:
        if self._first:
            yield self._first
        yield from self._iterator

    def close(self) -> None:
        close = getattr(self._result, "close", None)
        if close is not None:
            close()


def _start_wsgi(
    wsgi_app: Callable[..., Iterable[bytes]], environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes, _WSGIRest | None]:
    """Call a WSGI app up to its first body chunk: status, headers, that chunk, the rest."""
    started: list[Any] = []
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if started and exc_info is None:
            raise AssertionError("start_response() was called twice without exc_info")
        started[:] = [status, headers]
        return written.append

    result = wsgi_app(environ, start_response)
    try:
        if isinstance(result, (list, tuple)):
            # PERF: a buffered body goes out in one message.
            return started[0], started[1], b"".join([*written, *result]), None
        iterator = iter(result)
        first = b"".join(written)
        for chunk in iterator:
            if chunk:
                first += chunk
                break
        if not started:
            raise AssertionError("the WSGI application did not call start_response()")
    except BaseException:
        close = getattr(result, "close", None)
        if close is not None:
            close()
        raise
    return started[0], started[1], first, _WSGIRest(first, iterator, result)


def _method_of(context: Context) -> str:
    pending = context.pending_request
    if pending is not None:
        return pending[3]  # type: ignore[no-any-return]
    request = context._request
    assert request is not None
    return request._method


def _buffered_headers(response: Response) -> list[tuple[bytes, bytes]] | None:
    """The encoded headers of a one-item bytes body when no send rule changes them."""
    if has_no_body(response._status_code):
        return None
    return _headers_as_sent(response)


def _serve_in_worker(
    app: Erlen, context: Context
) -> tuple[Response, Exception | None, list[tuple[bytes, bytes]] | None, bool]:
    """A request's sync steps, in the worker thread: dispatch, then teardown.

    A buffered response ends its request here: its headers are encoded first
    (an error there meets the app's 500 handler inside the request, as on
    WSGI), then teardown runs, before the body is sent. A streamed one keeps
    the request until the stream is sent. The last item says whether the
    request ended.
    """
    error: BaseException | None = None
    ended = False
    try:
        response, error = app._serve_sync(context)
        source: Any = response.response
        if not (
            type(source) is list
            and len(source) == 1
            and type(source[0]) is bytes
            and not response._on_close
        ):
            return response, error, None, False
        encoded = _buffered_headers(response)
        ended = encoded is not None
        return response, error, encoded, ended
    except BaseException as exception:
        error = error or exception
        ended = True
        raise
    finally:
        if ended:
            context.depth -= 1
            if context.depth == 0:
                app._teardown(context, error)


# header name -> lower-cased bytes, as ASGI wants them; bounded.
_NAME_BYTES: dict[str, bytes] = {}
# (name, value) -> encoded pair, for the pairs that repeat across responses
# (Content-Type values, short lengths); cleared when full.
_PAIR_BYTES: dict[tuple[str, str], tuple[bytes, bytes]] = {}


def _encode_pair(pair: tuple[str, str]) -> tuple[bytes, bytes]:
    name, value = pair
    raw = _NAME_BYTES.get(name)
    if raw is None:
        raw = name.lower().encode("latin-1")
        if len(_NAME_BYTES) < _ENVIRON_KEYS_LIMIT:
            _NAME_BYTES[name] = raw
    raw_pair = (raw, value.encode("latin-1"))
    if len(value) <= 64:
        if len(_PAIR_BYTES) >= _ENVIRON_KEYS_LIMIT:
            _PAIR_BYTES.clear()
        _PAIR_BYTES[pair] = raw_pair
    return raw_pair


def _encode_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    encoded = []
    for pair in headers:
        raw_pair = _PAIR_BYTES.get(pair)
        if raw_pair is None:
            raw_pair = _encode_pair(pair)
        encoded.append(raw_pair)
    return encoded


# Encoded names of the URI headers the send rules rewrite, and the one
# spelling each is sent with (see wsgi_header_list).
_URI_HEADER_NAMES = {b"location": "Location", b"content-location": "Content-Location"}


def _encode_as_sent(
    pairs: list[tuple[str, str]], autocorrect: bool
) -> list[tuple[bytes, bytes]] | None:
    """The encoded pairs when the send rules would leave them as they are.

    That is: a Content-Length, and each URI header (Location,
    Content-Location) at most once, spelled as sent, already a URI, with no
    autocorrection. For a body-carrying status: one pass instead of
    wsgi_header_list's copy and scan followed by the encoding. None: take the
    general path.
    """
    encoded = []
    has_length = False
    seen_uri = False
    for pair in pairs:
        raw_pair = _PAIR_BYTES.get(pair)
        if raw_pair is None:
            raw_pair = _encode_pair(pair)
        name = raw_pair[0]
        if name == b"content-length":
            has_length = True
        elif name in _URI_HEADER_NAMES:
            text = pair[1]
            if (
                autocorrect
                or seen_uri  # a second one (a repeat, or both kinds): rare
                or pair[0] != _URI_HEADER_NAMES[name]
                or iri_to_uri(text) != text
            ):
                return None
            seen_uri = True
        encoded.append(raw_pair)
    return encoded if has_length else None


def _headers_as_sent(response: Response) -> list[tuple[bytes, bytes]] | None:
    """The encoded headers of a body-carrying response when no send rule changes them.

    The constructor's pending list always qualifies (see Response.headers);
    a Headers object when :func:`_encode_as_sent` says so. None: the general
    rules (:func:`~erlen.wsgi.wsgi_header_list`) apply.
    """
    headers: Any = response._headers
    if type(headers) is list:
        return _encode_headers(headers)
    try:
        return _encode_as_sent(headers._list, response.autocorrect_location_header)
    except ValueError:
        # An IRI in a Location is not Latin-1 yet (UnicodeEncodeError), or
        # not convertible: the general rules convert it or report it.
        return None


async def send_response(
    response: Response,
    request: Request | Context | dict[str, Any],
    send: Send,
    receive: Receive,
    scope: Scope | None = None,
    method: str | None = None,
) -> None:
    """Send a response: headers, then the body as it is produced; always closed once.

    ``request`` is the request being answered, its context (with ``method``;
    the request is then made only if a header rule needs its URL), or a PEP
    3333 environ.
    """
    source: Any = response.response
    if type(request) is dict:
        method = request["REQUEST_METHOD"]
        scope = scope or request.get("asgi.scope")
    elif method is None:
        method = cast(Request, request)._method
    if (
        type(source) is list
        and len(source) == 1
        and type(source[0]) is bytes
        and not response._on_close
        and not response.direct_passthrough
    ):
        # PERF: the usual buffered body: one message for the headers, one for
        # the body, with the header rules (Location, Content-Length, HEAD, 204
        # and 304) applied as on WSGI.
        code = response._status_code
        try:
            encoded = None if has_no_body(code) else _headers_as_sent(response)
            if encoded is None:
                encoded = _encode_headers(wsgi_header_list(response, request))
        except Exception as error:
            response.close()
            raise _NotStarted() from error
        body = source[0]
        if has_no_body(code, method):
            body = b""
        await send({"type": "http.response.start", "status": code, "headers": encoded})
        await send({"type": "http.response.body", "body": body})
        return
    if (
        getattr(source, "is_whole_file", False)
        and source.path is not None
        and "http.response.pathsend" in ((scope or {}).get("extensions") or {})
    ):
        await _send_path(response, method, send)
        return
    if is_async_body(source):
        await _send_async_body(response, method, request, send, receive)
        return
    try:
        headers = wsgi_header_list(response, request)
        app_iter = _wsgi_app_iter(response, {"REQUEST_METHOD": method})
        start = {
            "type": "http.response.start",
            "status": response._status_code,
            "headers": _encode_headers(headers),
        }
    except Exception as error:
        response.close()
        raise _NotStarted() from error
    if isinstance(app_iter, (list, tuple)) or not response.is_streamed:
        # PERF: a buffered body goes out in one message, with no thread hop.
        try:
            body = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        await send(start)
        await send({"type": "http.response.body", "body": body})
        return
    await _stream_sync_body(app_iter, start, send, receive)


async def _send_path(response: Response, method: str, send: Send) -> None:
    """A whole file through the server's ``http.response.pathsend`` extension."""
    path: str = getattr(response.response, "path")  # noqa: B009 -- a FileBody
    app_iter, status, headers = response.get_wsgi_response({"REQUEST_METHOD": method})
    code = int(status[:3])
    try:
        await send(
            {"type": "http.response.start", "status": code, "headers": _encode_headers(headers)}
        )
        if has_no_body(code, method):
            await send({"type": "http.response.body", "body": b""})
        else:
            await send({"type": "http.response.pathsend", "path": path})
    finally:
        # The body wrapper closes the response (and runs call_on_close) once;
        # without one, the response is closed directly. Never both.
        if isinstance(app_iter, ResponseBody):
            app_iter.close()
        else:
            response.close()


_END = object()
_ASYNC_GENERATOR = types.AsyncGeneratorType
#: Seconds an async body streams before a task starts watching for a disconnect.
WATCH_AFTER = 0.05
#: Chunks a sync generator may run ahead of the socket before it waits.
STREAM_WINDOW = 8


async def _stream_sync_body(
    app_iter: Iterable[bytes], start: Message, send: Send, receive: Receive
) -> None:
    """Send ``start``, then stream a sync iterable produced in one worker thread.

    The thread owns the iterator from first ``next`` to ``close`` (a generator
    cannot be closed from another thread while it runs) and hands chunks over
    without waiting for each send; it wakes the loop only when the loop is
    waiting for a chunk, so a fast generator costs a few wake-ups, not one per
    chunk. A window of chunks keeps memory bounded. Once the client is gone
    (see :class:`_HangUp`) or ``send`` fails, the thread stops at its next
    chunk. Whatever ends the stream, this returns (or raises) only after the
    thread has closed the body: its ``finally`` blocks and ``call_on_close``
    functions have run exactly once, and no thread touches the loop afterwards.
    A disconnect once the last message was sent is not an error.
    """
    loop = asyncio.get_running_loop()
    ready: collections.deque[tuple[Any, BaseException | None]] = collections.deque()
    lock = threading.Lock()
    # The future the loop waits on while ``ready`` is empty; set under
    # ``lock``. Held weakly: the worker thread is a garbage-collection root,
    # and through the future it would keep the waiting task (and the whole
    # exchange of a test client that dropped the response) alive.
    waiting: list[weakref.ref[asyncio.Future[None]]] = []
    window = threading.Semaphore(STREAM_WINDOW)
    stopped = threading.Event()

    def wake(waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_result(None)

    def hand_over(item: Any, error: BaseException | None = None) -> None:
        with lock:
            ready.append((item, error))
            waiter = waiting.pop()() if waiting else None
        if waiter is not None and not stopped.is_set():
            try:
                loop.call_soon_threadsafe(wake, waiter)
            except RuntimeError:  # the loop is closed: nobody is listening any more
                stopped.set()

    def produce() -> None:
        try:
            if stopped.is_set():
                # Over before this thread started (the client left at once):
                # only the close is due. A generator closed before its first
                # next() runs none of its body, so none of its finally either.
                return
            for chunk in app_iter:
                window.acquire()
                if stopped.is_set():
                    break
                if chunk:
                    hand_over(chunk)
                else:
                    window.release()
        except BaseException as error:
            hand_over(None, error)
        else:
            hand_over(_END)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()

    _count_sync_stream(1)
    producer = asyncio.ensure_future(run_sync(produce))
    # Watched from the start, unlike async bodies: the worker thread keeps
    # the loop reachable, so a registry timer on it would keep this stream
    # alive after a test client dropped it; and a thread hop per stream
    # dwarfs the watcher task anyway.
    hang_up = _HangUp(receive)
    hang_up.start()
    dropped = False
    try:
        await send(start)
        while True:
            with lock:
                if ready:
                    item, error = ready.popleft()
                    waiter = None
                else:
                    waiter = loop.create_future()
                    waiting.append(weakref.ref(waiter))
            if waiter is not None:
                await waiter
                continue
            if error is not None:
                raise error
            if item is _END:
                await send({"type": "http.response.body", "body": b""})
                # Complete: the server may now answer receive() with
                # http.disconnect, which is no reason to cancel anything.
                hang_up.stop()
                break
            await send({"type": "http.response.body", "body": item, "more_body": True})
            window.release()
    except asyncio.CancelledError:
        if not hang_up.absorbs_cancellation():
            raise
        # The client went away: the producer stops at its next chunk and
        # closes the body in its thread (awaited below).
    except GeneratorExit:
        # The coroutine itself is being closed unfinished (a dropped test
        # client's, collected): nothing can be awaited; the producer stops
        # at its next chunk and closes the body in its thread.
        dropped = True
        hang_up.stop()
        stopped.set()
        window.release()
        _count_sync_stream(-1)
        raise
    finally:
        if not dropped:
            hang_up.stop()
            stopped.set()
            window.release()
            try:
                await _join(producer, hang_up)
            finally:
                _count_sync_stream(-1)


async def _join(producer: asyncio.Future[Any], hang_up: _HangUp) -> None:
    """Wait until the producer thread is over, even when this task is cancelled meanwhile.

    ``asyncio.wait`` (unlike awaiting the future) leaves the future alone when
    the waiting task is cancelled; a cancellation that is not the hang-up's
    is raised again once the thread is done.
    """
    cancelled = False
    while not producer.done():
        try:
            await asyncio.wait((producer,))
        except asyncio.CancelledError:
            if not hang_up.absorbs_cancellation():
                cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    producer.result()


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            return
        # A body the view did not read; yield so a server that answers at
        # once cannot starve the stream.
        await asyncio.sleep(0)


class _HangUp:
    """Cancels a streaming task when its client disconnects, once started.

    Servers may drop sends silently after a disconnect, so without this a
    body would run on forever. The watcher (a task waiting on ``receive``)
    is started by :class:`_LongStreams` only for streams that last. Once
    stopped (the response is complete, or the stream is over), a disconnect
    cancels nothing.
    """

    __slots__ = ("absorbed", "finished", "hung_up", "receive", "task", "watcher")

    def __init__(self, receive: Receive) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.task = task
        self.receive = receive
        self.watcher: asyncio.Future[None] | None = None
        self.finished = False
        self.hung_up = False
        self.absorbed = False

    def start(self) -> None:
        if not self.finished:
            self.watcher = asyncio.ensure_future(_wait_for_disconnect(self.receive))
            self.watcher.add_done_callback(self._hang_up)

    def _hang_up(self, watcher: asyncio.Future[None]) -> None:
        if not self.finished and not watcher.cancelled() and watcher.exception() is None:
            self.hung_up = True
            self.task.cancel()

    def absorbs_cancellation(self) -> bool:
        """Whether a CancelledError in the task is this hang-up's (not the server's).

        The first time it is, the task's cancellation is taken back
        (``uncancel``) so the stream can clean up and return normally; the
        hang-up cancels once, so any later CancelledError is someone else's.
        """
        if not self.hung_up or self.absorbed:
            return False
        self.absorbed = True
        uncancel = getattr(self.task, "uncancel", None)
        if uncancel is not None:
            uncancel()
        return True

    def stop(self) -> None:
        self.finished = True
        if self.watcher is not None:
            self.watcher.cancel()


class _LongStreams:
    """The bodies streaming on one event loop, and when to watch them.

    One timer per loop ticks every :data:`WATCH_AFTER` seconds while streams
    are registered; a stream still registered at two ticks in a row gets its
    disconnect watcher. Short bodies unregister before that and cost two set
    operations.
    """

    __slots__ = ("__weakref__", "loop", "older", "ticking", "younger")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.younger: set[_HangUp] = set()
        self.older: set[_HangUp] = set()
        self.ticking = False

    def add(self, hang_up: _HangUp) -> None:
        self.younger.add(hang_up)
        if not self.ticking:
            self.ticking = True
            self.loop.call_later(WATCH_AFTER, self._tick)

    def discard(self, hang_up: _HangUp) -> None:
        hang_up.stop()
        self.younger.discard(hang_up)
        self.older.discard(hang_up)

    def _tick(self) -> None:
        due = self.older
        self.older = self.younger
        self.younger = set()
        for hang_up in due:
            hang_up.start()
        if self.older:
            self.loop.call_later(WATCH_AFTER, self._tick)
        else:
            # Idle: the timer stops; the registry lives on only as long as a
            # stream still holds it.
            self.ticking = False


# id(loop) -> its registry, held weakly: the registry is kept alive by its
# pending timer (so by the loop) and by the streams using it, never by this
# module, so a loop nobody runs any more is collected with its streams (a
# dropped test client's, say). While a registry lives its loop does too, so
# the id cannot have been reused.
_long_streams: weakref.WeakValueDictionary[int, _LongStreams] = weakref.WeakValueDictionary()


def _watch_for(loop: asyncio.AbstractEventLoop) -> _LongStreams:
    watch = _long_streams.get(id(loop))
    if watch is None or watch.loop is not loop:
        watch = _long_streams[id(loop)] = _LongStreams(loop)
    return watch


def _watched(receive: Receive) -> tuple[_LongStreams, _HangUp]:
    """Register the current task's stream for a disconnect watch (see _LongStreams)."""
    watch = _watch_for(asyncio.get_running_loop())
    hang_up = _HangUp(receive)
    watch.add(hang_up)
    return watch, hang_up


async def _send_async_body(
    response: Response, method: str, request: Any, send: Send, receive: Receive
) -> None:
    """Stream an async body on the loop, stopping when the client disconnects.

    A disconnect watcher cancels this task at its current ``await`` (inside the
    loop below, never in the cleanup), since servers may drop sends silently
    after a disconnect and the body would otherwise run on forever. The
    watcher starts only once the body has been streaming for one to two
    :data:`WATCH_AFTER` periods (see :class:`_LongStreams`): most bodies are
    over by then, and a set entry is far cheaper than a task per stream.
    """
    source: Any = response.response
    try:
        headers = _encode_headers(wsgi_header_list(response, request))
    except Exception as error:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()
        response.close()
        raise _NotStarted() from error
    status = response._status_code
    send_body = not has_no_body(status, method)
    watch, hang_up = _watched(receive)
    try:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if send_body:
            async for item in source:
                # PERF: str and bytes items are told apart by their exact type.
                if type(item) is str:
                    chunk = item.encode()
                elif type(item) is not bytes:
                    chunk = _as_body_item(item)
                else:
                    chunk = item
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    except asyncio.CancelledError:
        if not hang_up.absorbs_cancellation():
            raise
    finally:
        watch.discard(hang_up)
        # PERF: an async generator that ran to its end has nothing to close.
        if type(source) is not _ASYNC_GENERATOR or source.ag_frame is not None:
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()
        response.close()
