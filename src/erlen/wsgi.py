"""The WSGI adapter: the only module that knows the WSGI protocol.

For a :class:`~erlen.response.Response` this decides what reaches the server:
the final header list (Location as a URI, Content-Length when known, none of
it for 1xx/204, no entity headers for 304), the body iterable (empty for HEAD
and bodiless statuses) and closing. Closing follows PEP 3333 with one
guarantee on top: the response's ``close`` and every ``call_on_close``
function run exactly once per request, whether the server reads the whole
body, stops early, calls ``close()`` twice, or the body raises midway.

An async body (an ``async def`` generator) is driven chunk by chunk on the
worker thread's own event loop (:func:`thread_event_loop`, shared with the
app's sync calls into ``async def`` views): each chunk is handed to the server
as soon as it is produced, and the body's ``aclose()`` is awaited before the
close callbacks run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator
from itertools import chain
from typing import TYPE_CHECKING, Any, cast

from erlen.errors import ArgumentTypeError
from erlen.http.body import ClosesOnce, as_body_item, has_no_body
from erlen.http.headers import Headers, replace_header
from erlen.http.urls import build_current_url, host_from_parts, iri_to_uri, join_location
from erlen.syncasync import thread_event_loop

if TYPE_CHECKING:
    from erlen.response import Response

    WSGIEnvironment = dict[str, Any]
    StartResponse = Callable[..., Any]
    WSGIApplication = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]

__all__ = [
    "AsyncResponseBody",
    "ClosingIterator",
    "ResponseBody",
    "app_iter",
    "request_url",
    "respond",
    "run_wsgi_app",
    "thread_event_loop",
    "wsgi_header_list",
]

# Entity headers dropped from a 304; Expires and Content-Location stay (RFC 9110).
_DROPPED_ON_304 = frozenset(
    {
        "allow",
        "content-encoding",
        "content-language",
        "content-length",
        "content-md5",
        "content-range",
        "content-type",
        "last-modified",
    }
)
# Header names whose values the send step looks at.
_WATCHED = {"location": 0, "content-location": 1, "content-length": 2}


def request_url(environ: WSGIEnvironment) -> str:
    """The request URL without the query string, as a URI (the base for redirects)."""
    scheme: str = environ["wsgi.url_scheme"]
    server_name = environ.get("SERVER_NAME")
    server: tuple[str, int | None] | None = None
    if server_name is not None:
        try:
            port: int | None = int(environ.get("SERVER_PORT"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            port = None  # a Unix socket
        server = (server_name, port)
    host = host_from_parts(scheme, environ.get("HTTP_HOST"), server)
    return build_current_url(
        scheme, host, environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", "")
    )


def wsgi_header_list(response: Response, environ: WSGIEnvironment | Any) -> list[tuple[str, str]]:
    """The ``(name, value)`` list sent for ``response``: a copy, the response is unchanged.

    ``environ`` may also be a request: its environ is then read only when a
    relative Location must be made absolute (the ASGI adapter builds it lazily).
    """
    pairs = list(response.headers._list)
    location = content_location = content_length = None
    # Whether the Location fields are already exactly one "Location: <uri>"
    # (the usual case), so the list needs no rewriting.
    location_as_sent = content_location_as_sent = True
    for name, value in pairs:
        # PERF: only names as long as Location (8), Content-Length (14) or
        # Content-Location (16) are lowered and looked up.
        size = len(name)
        if size == 8 or size == 14 or size == 16:
            watched = _WATCHED.get(name.lower())
            if watched is not None:
                if watched == 0:
                    location_as_sent = location is None and name == "Location"
                    location = value
                elif watched == 1:
                    content_location_as_sent = (
                        content_location is None and name == "Content-Location"
                    )
                    content_location = value
                else:
                    content_length = value

    if location is not None:
        # The last Location wins, as in Werkzeug, sent as a URI.
        uri = iri_to_uri(location)
        if response.autocorrect_location_header:
            base = environ if type(environ) is dict else cast(Any, environ).environ
            uri = join_location(request_url(base), uri)
        if uri != location or not location_as_sent:
            replace_header(pairs, "Location", uri)
    if content_location is not None:
        uri = iri_to_uri(content_location)
        if uri != content_location or not content_location_as_sent:
            replace_header(pairs, "Content-Location", uri)

    status = response._status_code
    if 100 <= status < 200 or status == 204:
        # RFC 9110: no Content-Length in 1xx and 204 responses.
        pairs = [pair for pair in pairs if pair[0].lower() != "content-length"]
    elif status == 304:
        pairs = [pair for pair in pairs if pair[0].lower() not in _DROPPED_ON_304]
    elif (
        content_length is None
        and response.automatically_set_content_length
        and response.is_sequence
    ):
        body: Any = response.response
        # PERF: a set_data body is one bytes item; its length needs no encoding.
        if len(body) == 1 and type(body[0]) is bytes:
            length = len(body[0])
        else:
            length = sum(map(len, response.iter_encoded()))
        pairs.append(("Content-Length", str(length)))
    return pairs


class ClosingIterator(ClosesOnce):
    """Wrap an iterable so that ``close()`` runs its own close, then ``callbacks``, once.

    Every callback runs even if an earlier one raises; the first error is
    raised after the last callback. If the iterable raises while being read,
    the callbacks run before the error propagates (a later ``close()`` from
    the server is then a no-op).
    """

    __slots__ = ("_callbacks", "_next")

    def __init__(
        self,
        iterable: Iterable[bytes],
        callbacks: Callable[[], Any] | Iterable[Callable[[], Any]] | None = None,
    ) -> None:
        self._next = iter(iterable).__next__
        if callbacks is None:
            functions: list[Callable[[], Any]] = []
        elif callable(callbacks):
            functions = [callbacks]
        else:
            functions = list(callbacks)
        close = getattr(iterable, "close", None)
        if close is not None:
            functions.insert(0, close)
        self._callbacks = functions
        self._closed = False

    def __iter__(self) -> ClosingIterator:
        return self

    def __next__(self) -> bytes:
        try:
            return self._next()
        except StopIteration:
            raise
        except BaseException:
            _close_quietly(self)
            raise

    def _release(self) -> None:
        # Runs the close functions (close() calls this once).
        _run_all(self._callbacks)


def _run_all(functions: Iterable[Callable[[], Any]]) -> None:
    error: BaseException | None = None
    for function in functions:
        try:
            function()
        except BaseException as exc:
            if error is None:
                error = exc
    if error is not None:
        raise error


def _close_quietly(closable: ClosingIterator | ResponseBody | AsyncResponseBody) -> None:
    # Called while the body's own error propagates: that error is the one the
    # server must see, so a failure while closing must not replace it.
    try:
        closable.close()
    except Exception:
        pass


class ResponseBody(ClosesOnce):
    """The iterable a response hands to the server: encodes items, closes the response once."""

    __slots__ = ("_chunks", "_iterable", "_response")

    def __init__(self, response: Response, iterable: Iterable[Any]) -> None:
        self._iterable = iterable
        self._response = response
        self._closed = False
        self._chunks: Iterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        # PERF: servers call iter() once and then next() per chunk; a
        # generator's next() is far cheaper than a Python __next__ method.
        chunks = self._chunks
        if chunks is None:
            chunks = self._chunks = self._encoded()
        return chunks

    def __next__(self) -> bytes:
        return next(self.__iter__())

    def _encoded(self) -> Iterator[bytes]:
        try:
            for item in self._iterable:
                # PERF: bytes and str items are told apart by their exact type.
                if type(item) is bytes:
                    yield item
                elif type(item) is str:
                    yield item.encode()
                else:
                    yield as_body_item(item)
        except GeneratorExit:
            # The iterator itself was closed (some servers close what iter()
            # returned) or dropped unfinished: the response is closed too.
            self.close()
            raise
        except BaseException:
            # The body failed (or yielded a bad item): release it before the
            # error reaches the server, which may never call close().
            _close_quietly(self)
            raise

    def _release(self) -> None:
        # Closes the response (its body and call_on_close functions), once.
        # The chunk generator's frame refers back to this object: dropping
        # it breaks that cycle so both are freed by reference counting.
        self._chunks = None
        self._response.close()


_END: Any = object()


async def _next_chunk(iterator: AsyncIterator[Any]) -> Any:
    try:
        return await iterator.__anext__()
    except StopAsyncIteration:
        return _END


async def _await(awaitable: Any) -> None:
    await awaitable


class AsyncResponseBody(ClosesOnce):
    """The WSGI iterable for an async body: one event-loop run per chunk.

    ``close()`` (from the server, after an error in the body, or when a body
    item is not str/bytes) awaits the body's ``aclose()`` if it has one, then
    closes the response: its ``call_on_close`` functions run exactly once.
    With ``send_body`` false (HEAD, 1xx, 204, 304) nothing is iterated but the
    body is still closed.
    """

    __slots__ = ("_iterator", "_response", "_source")

    def __init__(self, response: Response, source: Any, send_body: bool = True) -> None:
        self._response = response
        self._source = source
        self._iterator: AsyncIterator[Any] | None = source.__aiter__() if send_body else None
        self._closed = False

    def __iter__(self) -> AsyncResponseBody:
        return self

    def __next__(self) -> bytes:
        iterator = self._iterator
        if iterator is None or self._closed:
            raise StopIteration
        try:
            item = thread_event_loop().run_until_complete(_next_chunk(iterator))
        except BaseException:
            _close_quietly(self)
            raise
        if item is _END:
            self._iterator = None
            raise StopIteration
        # PERF: bytes items (the common case) skip the encoding call.
        if type(item) is bytes:
            return item
        try:
            return as_body_item(item)
        except ArgumentTypeError:
            _close_quietly(self)
            raise

    def _release(self) -> None:
        # Awaits the body's aclose and closes the response (once: ClosesOnce).
        self._iterator = None
        try:
            aclose = getattr(self._source, "aclose", None)
            if aclose is not None:
                _run_cleanup(aclose())
        finally:
            self._response.close()


def _run_cleanup(coroutine: Coroutine[Any, Any, Any]) -> None:
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        thread_event_loop().run_until_complete(_await(coroutine))
    else:
        # Closed from async code (the loop is busy in this very thread): the
        # cleanup cannot be awaited here, so it runs as a task on that loop.
        task = running.create_task(_await(coroutine))
        _cleanup_tasks.add(task)
        task.add_done_callback(_cleanup_tasks.discard)


# Cleanup tasks scheduled by _run_cleanup, kept alive until they finish.
_cleanup_tasks: set[asyncio.Task[None]] = set()


def app_iter(response: Response, environ: WSGIEnvironment) -> Iterable[bytes]:
    """The body iterable for ``environ``: empty for HEAD, 1xx, 204 and 304."""
    body: Any = response.response
    # PERF: the usual list body skips the attribute lookup.
    if type(body) is not list and hasattr(body, "__aiter__"):
        send_body = not (has_no_body(response._status_code, environ.get("REQUEST_METHOD")))
        return AsyncResponseBody(response, body, send_body)
    needs_close = bool(response._on_close) or hasattr(body, "close")
    if has_no_body(response._status_code, environ.get("REQUEST_METHOD")):
        # The body is not sent, but a generator body is still closed.
        return ResponseBody(response, ()) if needs_close else ()
    if response.direct_passthrough and getattr(body, "is_whole_file", False):
        # A whole file from send_file goes to the server's file wrapper (which
        # may use sendfile) when it offers one.
        file_wrapper = environ.get("wsgi.file_wrapper")
        if file_wrapper is not None:
            wrapped = file_wrapper(body.open(), body.chunk_size)
            return ResponseBody(response, wrapped) if response._on_close else wrapped
    if response.direct_passthrough:
        # Handed over untouched (a server's file wrapper stays recognisable)
        # unless there are close callbacks that must run.
        return ResponseBody(response, body) if response._on_close else body
    # PERF: a one-item bytes list needs neither encoding nor closing.
    if not needs_close and type(body) is list and len(body) == 1 and type(body[0]) is bytes:
        return body
    return ResponseBody(response, body)


def respond(
    response: Response, environ: WSGIEnvironment, start_response: StartResponse
) -> Iterable[bytes]:
    """Serve ``response`` as a WSGI application."""
    source: Any = response.response
    if (
        type(source) is list
        and len(source) == 1
        and type(source[0]) is bytes
        and not response._on_close
        # PERF: has_no_body(), inlined on the hot path.
        and response._status_code >= 200
        and response._status_code not in (204, 304)
        and environ.get("REQUEST_METHOD") != "HEAD"
    ):
        # PERF: one bytes item with its Content-Length and no Location to
        # convert (what a Response made from a str is) goes out as it is.
        pending: Any = response._headers
        if type(pending) is list:
            # Never looked at since the constructor made it: it has the
            # Content-Length and no Location (see Response.headers).
            start_response(response._status, list(pending))
            return source
        # Headers changed after construction: the header rules apply, but
        # the body needs no wrapper (nothing to close, nothing to encode).
        headers = wsgi_header_list(response, environ)
        start_response(response._status, headers)
        return source
    headers = wsgi_header_list(response, environ)
    body = app_iter(response, environ)
    start_response(response._status, headers)
    return body


def run_wsgi_app(
    app: WSGIApplication, environ: WSGIEnvironment, buffered: bool = False
) -> tuple[Iterable[bytes], str, Headers]:
    """Call a WSGI app; ``(app_iter, status, headers)`` of what it started.

    Output passed to the ``write`` callable is kept in order before the rest
    of the body. With ``buffered`` the body is read and the app closed here.
    """
    environ = dict(environ)
    started: list[tuple[str, list[tuple[str, str]]]] = []
    written: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info:
            try:
                raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        started[:] = [(status, headers)]
        return written.append

    result = app(environ, start_response)
    close = getattr(result, "close", None)
    body: Iterable[bytes] = iter(result)
    if buffered:
        try:
            # Unlike Werkzeug, output given to write() is kept when buffering.
            body = [*written, *body]
        finally:
            if close is not None:
                close()
    else:
        # Read until start_response was called (a generator app calls it late).
        for chunk in body:
            written.append(chunk)
            if started:
                break
        if written:
            body = chain(written, body)
        if close is not None and body is not result:
            body = ClosingIterator(body, close)
    if not started:
        raise RuntimeError("The WSGI application did not call start_response.")
    status, header_list = started[0]
    return body, status, Headers(header_list)
