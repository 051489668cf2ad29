"""Server-Sent Events: format events and stream them as a response.

Build a streamed ``text/event-stream`` response from a sync or async
generator with :func:`event_stream`; the same response works on WSGI and
ASGI. The source yields :class:`ServerSentEvent` objects, dicts of their
fields, or plain strings (each one ``data`` event)::

    from erlen.sse import ServerSentEvent, event_stream

    @app.get("/updates")
    def updates():
        def source():
            for number in range(3):
                yield ServerSentEvent(data=f"tick {number}", event="tick", id=number)
        return event_stream(source())

Serialization follows the WHATWG HTML "event stream" format: one ``field:
value`` line per field, data split into one ``data:`` line per line of text,
comments as ``: text`` lines and a blank line after each event. While the
source has nothing to send for ``keep_alive`` seconds a ``: keep-alive``
comment goes out, so proxies and browsers keep the connection open; when the
client goes away the source is closed (its ``finally`` runs).
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import re
import threading
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from erlen.errors import ArgumentTypeError, EventValueError, describe

if TYPE_CHECKING:
    from erlen.response import Response

__all__ = [
    "KEEP_ALIVE",
    "EventValueError",
    "ServerSentEvent",
    "event_stream",
    "format_event",
]

#: The comment sent while the source is idle.
KEEP_ALIVE = b": keep-alive\n\n"
#: The Content-Type of an event stream (always UTF-8, as the format requires).
EVENT_STREAM_MIMETYPE = "text/event-stream"

# The format's line terminators; str.splitlines would also split on \v, \f,
# U+2028 and others, which an EventSource keeps inside a line.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FIELDS = ("data", "event", "id", "retry", "comment")
# Items the sync source's thread may get ahead of the client.
_QUEUE_SIZE = 16


def _lines(text: str) -> list[str]:
    # PERF: most values are one line; skip the regex.
    if "\n" not in text and "\r" not in text:
        return [text]
    return _LINE_BREAK.split(text)


def _single_line(field: str, value: object) -> str:
    if isinstance(value, int) and field == "id" and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        accepted = "str or int" if field == "id" else "str"
        raise ArgumentTypeError(f"event {field} must be {accepted}, got {describe(value)}")
    if "\r" in value or "\n" in value or "\x00" in value:
        raise EventValueError(
            f"event {field} must not contain CR, LF or NUL: got {describe(value)}"
        )
    return value


class ServerSentEvent:
    """One event of an event stream; the fields are checked here, when it is made.

    ``data`` may span lines (CRLF, CR or LF; the client receives them joined
    by LF). ``event`` and ``id`` are single lines without NUL (an ``int`` id is
    written in decimal). ``retry`` is the reconnection delay in milliseconds,
    an int >= 0. ``comment`` is sent as ``:`` lines, which clients ignore.
    """

    __slots__ = ("comment", "data", "event", "id", "retry")

    def __init__(
        self,
        data: str | None = None,
        event: str | None = None,
        id: str | int | None = None,
        retry: int | None = None,
        comment: str | None = None,
    ) -> None:
        if data is not None and not isinstance(data, str):
            raise ArgumentTypeError(f"event data must be str, got {describe(data)}")
        if comment is not None and not isinstance(comment, str):
            raise ArgumentTypeError(f"event comment must be str, got {describe(comment)}")
        if retry is not None:
            if not isinstance(retry, int) or isinstance(retry, bool):
                raise ArgumentTypeError(f"event retry must be an int, got {describe(retry)}")
            if retry < 0:
                raise EventValueError(f"event retry must be >= 0 milliseconds, got {retry!r}")
        self.data = data
        self.event = None if event is None else _single_line("event", event)
        self.id = None if id is None else _single_line("id", id)
        self.retry = retry
        self.comment = comment

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in _FIELDS if getattr(self, name) is not None
        )
        return f"ServerSentEvent({fields})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _FIELDS)

    __hash__ = None  # type: ignore[assignment]

    def serialize(self) -> str:
        """The event as stream text, ending with the blank line that dispatches it."""
        lines: list[str] = []
        if self.comment is not None:
            lines.extend(f": {line}" for line in _lines(self.comment))
        if self.id is not None:
            lines.append(f"id: {self.id}")
        if self.event is not None:
            lines.append(f"event: {self.event}")
        if self.retry is not None:
            lines.append(f"retry: {self.retry}")
        if self.data is not None:
            lines.extend(f"data: {line}" for line in _lines(self.data))
        if not lines:
            return "\n"  # a lone blank line: the client dispatches nothing
        lines.append("\n")
        return "\n".join(lines)

    def encode(self) -> bytes:
        """The serialized event as UTF-8 bytes."""
        return self.serialize().encode()


def format_event(
    data: str | None = None,
    event: str | None = None,
    id: str | int | None = None,
    retry: int | None = None,
    comment: str | None = None,
) -> str:
    """Serialize one event (see :class:`ServerSentEvent` for the rules on each field)."""
    return ServerSentEvent(data, event, id, retry, comment).serialize()


def _event_bytes(item: object) -> bytes:
    if type(item) is str:
        # PERF: a str item is a data event; no object is built for it.
        if "\n" not in item and "\r" not in item:
            return f"data: {item}\n\n".encode()
        return ServerSentEvent(data=item).encode()
    if isinstance(item, ServerSentEvent):
        return item.encode()
    if isinstance(item, str):
        return ServerSentEvent(data=str(item)).encode()
    if isinstance(item, Mapping):
        unknown = [key for key in item if key not in _FIELDS]
        if unknown:
            raise ArgumentTypeError(
                f"event dict keys must be among {', '.join(_FIELDS)}; got {describe(unknown)}"
            )
        return ServerSentEvent(**item).encode()
    raise ArgumentTypeError(
        f"event stream items must be ServerSentEvent, dict or str, got {describe(item)}"
    )


def _check_keep_alive(keep_alive: object) -> float | None:
    if keep_alive is None:
        return None
    if not isinstance(keep_alive, (int, float)) or isinstance(keep_alive, bool):
        raise ArgumentTypeError(
            f"keep_alive must be a number of seconds or None, got {describe(keep_alive)}"
        )
    if not keep_alive > 0:  # also refuses NaN
        raise EventValueError(f"keep_alive must be > 0 seconds (or None), got {keep_alive!r}")
    return float(keep_alive)


def event_stream(
    source: Iterable[Any] | Any,
    keep_alive: float | None = 15.0,
    *,
    status: int | str | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    response_class: type[Response] | None = None,
) -> Response:
    """A streamed ``text/event-stream`` response of the events ``source`` yields.

    ``source`` is a sync or async iterable (usually a generator) of
    :class:`ServerSentEvent`, dicts of its fields, or str (a data event).
    After ``keep_alive`` seconds without an item a ``: keep-alive`` comment
    is sent (``None`` turns this off); a sync source then runs in a thread of
    its own so that waiting for it does not hold the stream. Closing the
    response (the client left, the server stopped reading) closes the source.

    The response has ``Cache-Control: no-cache`` and ``X-Accel-Buffering: no``
    (nginx would otherwise buffer the stream) unless ``headers`` set them. It
    is made with ``response_class``, by default the current app's.
    """
    interval = _check_keep_alive(keep_alive)
    if hasattr(source, "__aiter__"):
        body: Any = _async_events(source, interval)
    elif isinstance(source, Iterable) and not isinstance(source, (str, bytes, Mapping)):
        body = _sync_events(source) if interval is None else _threaded_events(source, interval)
    else:
        raise ArgumentTypeError(
            "event_stream source must be an iterable or async iterable of events,"
            f" got {describe(source)}"
        )
    if response_class is None:
        response_class = _default_response_class()
    mimetype = None if _has_content_type(headers) else EVENT_STREAM_MIMETYPE
    response = response_class(body, status=status, headers=headers, mimetype=mimetype)
    response_headers = response.headers
    response_headers.setdefault("Cache-Control", "no-cache")
    response_headers.setdefault("X-Accel-Buffering", "no")
    return response


def _has_content_type(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> bool:
    if not headers:
        return False
    names = headers.keys() if isinstance(headers, Mapping) else (pair[0] for pair in headers)
    return any(name.lower() == "content-type" for name in names)


def _default_response_class() -> type[Response]:
    from erlen._current import current_app_or_none
    from erlen.response import Response

    app = current_app_or_none()
    response_class: type[Response] = getattr(app, "response_class", Response)
    return response_class


# -- sync sources ----------------------------------------------------------------------


def _sync_events(source: Iterable[Any]) -> Iterator[bytes]:
    iterator = iter(source)
    try:
        for item in iterator:
            yield _event_bytes(item)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


_ITEM, _DONE, _FAILED = 0, 1, 2


class _SourceThread:
    """Pulls a sync source from a thread of its own into a bounded queue.

    A generator may only be advanced or closed by one thread at a time: the
    lock is held around each ``next()``, so :meth:`stop` closes the source at
    once when it is idle, and otherwise the thread closes it as soon as the
    item it is waiting for arrives.
    """

    __slots__ = ("_iterator", "_lock", "_stopped", "queue")

    def __init__(self, source: Iterable[Any]) -> None:
        self._iterator = iter(source)
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.queue: queue.Queue[tuple[int, Any]] = queue.Queue(_QUEUE_SIZE)
        context = contextvars.copy_context()
        threading.Thread(
            target=context.run, args=(self._pull,), name="erlen-sse-source", daemon=True
        ).start()

    def _pull(self) -> None:
        try:
            while not self._stopped.is_set():
                with self._lock:
                    if self._stopped.is_set():
                        return
                    try:
                        entry: tuple[int, Any] = (_ITEM, next(self._iterator))
                    except StopIteration:
                        entry = (_DONE, None)
                    except BaseException as error:
                        entry = (_FAILED, error)
                # Blocks while the queue is full; stop() drains it to wake us.
                self.queue.put(entry)
                if entry[0] != _ITEM:
                    return
        finally:
            with self._lock:
                self._close_source()

    def _close_source(self) -> None:
        close = getattr(self._iterator, "close", None)
        if close is not None:
            close()  # a second close of a generator does nothing

    def stop(self) -> None:
        """Stop pulling and close the source (now if it is idle, else after its next item)."""
        self._stopped.set()
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                break
        if self._lock.acquire(blocking=False):
            try:
                self._close_source()
            finally:
                self._lock.release()


def _threaded_events(source: Iterable[Any], keep_alive: float) -> Iterator[bytes]:
    # The thread starts with the first item asked for: a response that is
    # never sent starts none.
    puller = _SourceThread(source)
    get = puller.queue.get
    try:
        while True:
            try:
                kind, value = get(timeout=keep_alive)
            except queue.Empty:
                yield KEEP_ALIVE
                continue
            if kind == _ITEM:
                yield _event_bytes(value)
            elif kind == _DONE:
                return
            else:
                raise value
    finally:
        puller.stop()


# -- async sources ---------------------------------------------------------------------


async def _next_item(iterator: AsyncIterator[Any]) -> Any:
    return await iterator.__anext__()


async def _async_events(source: Any, keep_alive: float | None) -> AsyncIterator[bytes]:
    iterator: AsyncIterator[Any] = source.__aiter__()
    # The pending __anext__ runs as a task: when the wait for it times out the
    # task is left running (a keep-alive goes out) instead of being cancelled,
    # which would break the source generator.
    pending: asyncio.Future[Any] | None = None
    try:
        if keep_alive is None:
            async for item in iterator:
                yield _event_bytes(item)
            return
        while True:
            if pending is None:
                pending = asyncio.ensure_future(_next_item(iterator))
            done, _ = await asyncio.wait((pending,), timeout=keep_alive)
            if not done:
                yield KEEP_ALIVE
                continue
            finished, pending = pending, None
            try:
                item = finished.result()
            except StopAsyncIteration:
                return
            yield _event_bytes(item)
    finally:
        if pending is not None:
            # The client left while the source was waiting: cancelling the
            # task runs the source's cleanup, then aclose below is a no-op.
            pending.cancel()
            try:
                await pending
            except (Exception, asyncio.CancelledError):
                pass
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
