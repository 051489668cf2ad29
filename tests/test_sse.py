"""Server-Sent Events: the wire format (read back by a WHATWG parser), streamed on WSGI, ASGI."""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import flask
import pytest
from hypothesis import given, strategies as st
from werkzeug.test import create_environ

from erlen.app import Erlen
from erlen.asgi import send_response
from erlen.errors import ArgumentTypeError, ErlenError
from erlen.response import Response
from erlen.sse import KEEP_ALIVE, EventValueError, ServerSentEvent, event_stream, format_event
from tests.support import call_asgi, call_wsgi

# -- a reference parser (WHATWG HTML, "Interpreting an event stream") --------------------


@dataclass
class Parsed:
    type: str
    data: str
    last_event_id: str
    retry: int | None


def parse_stream(text: str) -> tuple[list[Parsed], list[str]]:
    """Dispatched events and comment lines, as an EventSource would see them."""
    if text.startswith("\ufeff"):
        text = text[1:]
    events: list[Parsed] = []
    comments: list[str] = []
    data = ""
    event_type = ""
    last_event_id = ""
    retry: int | None = None
    lines = re.split(r"\r\n|\r|\n", text)
    for line in lines[:-1]:  # the text after the last line break is not a line yet
        if line == "":
            if data:
                events.append(
                    Parsed(event_type or "message", data.removesuffix("\n"), last_event_id, retry)
                )
            data = event_type = ""
            continue
        if line.startswith(":"):
            comments.append(line[1:])
            continue
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "event":
            event_type = value
        elif field == "data":
            data += value + "\n"
        elif field == "id":
            if "\x00" not in value:
                last_event_id = value
        elif field == "retry" and value and all("0" <= char <= "9" for char in value):
            retry = int(value)
    return events, comments


def normalize_lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# -- formatting ------------------------------------------------------------------------

FORMAT_CASES: list[tuple[dict[str, Any], str]] = [
    ({"data": "hello"}, "data: hello\n\n"),
    ({"data": ""}, "data: \n\n"),
    ({"data": "a\nb"}, "data: a\ndata: b\n\n"),
    ({"data": "a\r\nb\rc\n"}, "data: a\ndata: b\ndata: c\ndata: \n\n"),
    ({"data": " leading"}, "data:  leading\n\n"),
    ({"data": "caf\u00e9 \u2603 \U0001f600"}, "data: caf\u00e9 \u2603 \U0001f600\n\n"),
    # Only CR and LF break lines: \v, \f and U+2028 stay inside the data line.
    ({"data": "a\x0bb\x0cc\u2028d\x85e"}, "data: a\x0bb\x0cc\u2028d\x85e\n\n"),
    ({"data": "nul\x00inside"}, "data: nul\x00inside\n\n"),
    ({"data": "x", "event": "update"}, "event: update\ndata: x\n\n"),
    ({"data": "x", "id": "42"}, "id: 42\ndata: x\n\n"),
    ({"data": "x", "id": 7}, "id: 7\ndata: x\n\n"),
    ({"data": "x", "id": ""}, "id: \ndata: x\n\n"),
    ({"retry": 3000}, "retry: 3000\n\n"),
    ({"retry": 0}, "retry: 0\n\n"),
    ({"comment": "ping"}, ": ping\n\n"),
    ({"comment": "two\nlines"}, ": two\n: lines\n\n"),
    ({"comment": ""}, ": \n\n"),
    (
        {"data": "d", "event": "e", "id": "i", "retry": 5, "comment": "c"},
        ": c\nid: i\nevent: e\nretry: 5\ndata: d\n\n",
    ),
    ({"event": "only-type"}, "event: only-type\n\n"),
    ({"event": "\u00e9v\u00e9nement", "data": "x"}, "event: \u00e9v\u00e9nement\ndata: x\n\n"),
    ({}, "\n"),
]


@pytest.mark.parametrize(("fields", "expected"), FORMAT_CASES)
def test_format_event(fields: dict[str, Any], expected: str) -> None:
    assert format_event(**fields) == expected
    event = ServerSentEvent(**fields)
    assert event.serialize() == expected
    assert event.encode() == expected.encode()


def test_format_event_is_what_an_event_source_reads() -> None:
    text = format_event(data="a\r\nb", event="e", id="1", retry=10) + format_event(data="c")
    events, _ = parse_stream(text)
    assert events == [Parsed("e", "a\nb", "1", 10), Parsed("message", "c", "1", 10)]


BAD_FIELDS: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"event": "a\nb"}, EventValueError, "event"),
    ({"event": "a\rb"}, EventValueError, "event"),
    ({"event": "a\x00b"}, EventValueError, "event"),
    ({"id": "1\n2"}, EventValueError, "id"),
    ({"id": "1\r"}, EventValueError, "id"),
    ({"id": "1\x00"}, EventValueError, "id"),
    ({"id": True}, ArgumentTypeError, "id"),
    ({"id": 1.5}, ArgumentTypeError, "id"),
    ({"event": 3}, ArgumentTypeError, "event"),
    ({"event": b"e"}, ArgumentTypeError, "event"),
    ({"retry": -1}, EventValueError, "retry"),
    ({"retry": True}, ArgumentTypeError, "retry"),
    ({"retry": 1.5}, ArgumentTypeError, "retry"),
    ({"retry": "100"}, ArgumentTypeError, "retry"),
    ({"data": b"bytes"}, ArgumentTypeError, "data"),
    ({"data": 5}, ArgumentTypeError, "data"),
    ({"data": {"a": 1}}, ArgumentTypeError, "data"),
    ({"comment": b"c"}, ArgumentTypeError, "comment"),
]


@pytest.mark.parametrize(("fields", "error", "field"), BAD_FIELDS)
def test_bad_fields_refused_at_construction(
    fields: dict[str, Any], error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as caught:
        ServerSentEvent(**fields)
    message = str(caught.value)
    assert field in message and repr(next(iter(fields.values())))[:10] in message
    assert isinstance(caught.value, ErlenError)
    with pytest.raises(error):
        format_event(**fields)


def test_event_equality_and_repr() -> None:
    assert ServerSentEvent("a", id=1) == ServerSentEvent(data="a", id="1")
    assert ServerSentEvent("a") != ServerSentEvent("b")
    assert repr(ServerSentEvent("a", event="e")) == "ServerSentEvent(data='a', event='e')"


single_line = st.text().filter(lambda s: not any(c in s for c in "\r\n\x00"))


@given(
    data=st.text(),
    event=st.none() | single_line,
    event_id=st.none() | single_line,
    retry=st.none() | st.integers(min_value=0, max_value=10**12),
    comment=st.none() | st.text(),
)
def test_round_trip_through_event_source_parser(
    data: str, event: str | None, event_id: str | None, retry: int | None, comment: str | None
) -> None:
    text = format_event(data=data, event=event, id=event_id, retry=retry, comment=comment)
    assert text.endswith("\n\n")
    events, comments = parse_stream(text + format_event(data="next"))
    # Even empty data dispatches an event: its one "data:" line fills the buffer.
    first, second = events
    assert first == Parsed(event or "message", normalize_lines(data), event_id or "", retry)
    assert second == Parsed("message", "next", event_id or "", retry)
    expected_comments = [] if comment is None else normalize_lines(comment).split("\n")
    assert comments == [" " + line for line in expected_comments]


@given(st.lists(st.text(), max_size=5))
def test_concatenated_events_parse_back_in_order(items: list[str]) -> None:
    events, _ = parse_stream("".join(format_event(data=item) for item in items))
    assert [event.data for event in events] == [normalize_lines(item) for item in items]


# -- event_stream: the response ---------------------------------------------------------


def test_response_headers_match_a_flask_event_stream() -> None:
    ours = event_stream(iter(["x"]))
    theirs = flask.Response(iter(["x"]), mimetype="text/event-stream")
    assert ours.headers["Content-Type"] == theirs.headers["Content-Type"]
    assert ours.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert ours.headers["Cache-Control"] == "no-cache"
    assert ours.headers["X-Accel-Buffering"] == "no"
    assert "Content-Length" not in ours.headers
    assert ours.is_streamed and type(ours) is Response
    assert call_wsgi(ours).header("Content-Length") is None


def test_response_options_are_kept() -> None:
    headers = {"Cache-Control": "no-store", "Content-Type": "text/event-stream", "X-A": "1"}
    response = event_stream(iter([]), status=201, headers=headers)
    assert response.status == "201 CREATED"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers.getlist("Content-Type") == ["text/event-stream"]
    assert response.headers["X-A"] == "1"


def test_response_class_defaults_to_the_apps() -> None:
    class MyResponse(Response):
        pass

    app = Erlen(__name__)
    app.response_class = MyResponse

    @app.get("/events")
    def events() -> Any:
        return event_stream(iter(["x"]))

    with app.test_request_context("/events"):
        assert type(event_stream(iter([]))) is MyResponse
    assert type(event_stream(iter([]), response_class=MyResponse)) is MyResponse
    assert call_wsgi(app, "/events").body == b"data: x\n\n"


BAD_STREAMS: list[tuple[Any, dict[str, Any], type[Exception]]] = [
    (42, {}, ArgumentTypeError),
    ("a string", {}, ArgumentTypeError),
    (b"bytes", {}, ArgumentTypeError),
    ({"data": "x"}, {}, ArgumentTypeError),
    ([], {"keep_alive": 0}, EventValueError),
    ([], {"keep_alive": -1.0}, EventValueError),
    ([], {"keep_alive": math.nan}, EventValueError),
    ([], {"keep_alive": "15"}, ArgumentTypeError),
    ([], {"keep_alive": True}, ArgumentTypeError),
]


@pytest.mark.parametrize(("source", "options", "error"), BAD_STREAMS)
def test_bad_stream_arguments_refused_at_the_call(
    source: Any, options: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        event_stream(source, **options)


# -- streaming -------------------------------------------------------------------------

ITEMS: list[Any] = [
    "plain",
    {"data": "from dict", "event": "d", "id": 1},
    ServerSentEvent(data="two\nlines", retry=100),
    ServerSentEvent(comment="note"),
]
EXPECTED = (
    b"data: plain\n\n"
    b"id: 1\nevent: d\ndata: from dict\n\n"
    b"retry: 100\ndata: two\ndata: lines\n\n"
    b": note\n\n"
)


def sync_source(log: list[str], items: list[Any], pause: float = 0.0) -> Iterator[Any]:
    try:
        for item in items:
            if pause:
                time.sleep(pause)
            yield item
        log.append("completed")
    finally:
        log.append("finally")


async def async_source(log: list[str], items: list[Any], pause: float = 0.0) -> AsyncIterator[Any]:
    try:
        for item in items:
            if pause:
                try:
                    await asyncio.sleep(pause)
                except asyncio.CancelledError:
                    log.append("cancelled")
                    raise
            yield item
        log.append("completed")
    finally:
        log.append("finally")


SOURCES: dict[str, Callable[..., Any]] = {"sync": sync_source, "async": async_source}


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.005)


@pytest.mark.parametrize("keep_alive", [None, 10.0])
@pytest.mark.parametrize("kind", sorted(SOURCES))
@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_stream_items_on_both_protocols(kind: str, protocol: str, keep_alive: float | None) -> None:
    log: list[str] = []
    app = Erlen(__name__)

    @app.get("/events")
    def events() -> Any:
        return event_stream(SOURCES[kind](log, ITEMS), keep_alive=keep_alive)

    result = (call_wsgi if protocol == "wsgi" else call_asgi)(app, "/events")
    assert result.status == "200 OK"
    assert result.body == EXPECTED
    assert result.header("Content-Type") == "text/event-stream; charset=utf-8"
    wait_for(lambda: log == ["completed", "finally"])


def test_sync_source_without_keep_alive_runs_in_the_callers_thread() -> None:
    threads: list[int] = []

    def source() -> Iterator[str]:
        threads.append(threading.get_ident())
        yield "x"

    assert call_wsgi(event_stream(source(), keep_alive=None)).body == b"data: x\n\n"
    assert threads == [threading.get_ident()]


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_keep_alive_sent_while_source_is_idle_wsgi(kind: str) -> None:
    log: list[str] = []
    response = event_stream(SOURCES[kind](log, ["a", "b"], pause=0.2), keep_alive=0.05)
    result = call_wsgi(response)
    assert result.chunks[-1] == b"data: b\n\n"
    first = result.chunks.index(b"data: a\n\n")
    assert first >= 1 and set(result.chunks[:first]) == {KEEP_ALIVE}
    between = result.chunks[first + 1 : -1]
    assert len(between) >= 1 and set(between) == {KEEP_ALIVE}
    # A keep-alive does not cancel the item the source is working on.
    assert "cancelled" not in log
    wait_for(lambda: log == ["completed", "finally"])
    events, comments = parse_stream(result.body.decode())
    assert [event.data for event in events] == ["a", "b"]
    assert set(comments) == {" keep-alive"}


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_keep_alive_sent_while_source_is_idle_asgi(kind: str) -> None:
    log: list[str] = []
    app = Erlen(__name__)

    @app.get("/events")
    async def events() -> Any:
        return event_stream(SOURCES[kind](log, ["a"], pause=0.2), keep_alive=0.05)

    result = call_asgi(app, "/events")
    assert result.chunks[-2:] == [b"data: a\n\n", b""]
    assert KEEP_ALIVE in result.chunks
    assert "cancelled" not in log
    wait_for(lambda: log == ["completed", "finally"])


def endless_sync(log: list[str]) -> Iterator[str]:
    try:
        count = 0
        while True:
            time.sleep(0.01)
            count += 1
            yield f"tick {count}"
    finally:
        log.append("finally")


async def endless_async(log: list[str]) -> AsyncIterator[str]:
    try:
        count = 0
        while True:
            await asyncio.sleep(0.01)
            count += 1
            yield f"tick {count}"
    finally:
        log.append("finally")


ENDLESS: dict[str, Callable[[list[str]], Any]] = {"sync": endless_sync, "async": endless_async}


@pytest.mark.parametrize("keep_alive", [None, 0.05])
@pytest.mark.parametrize("kind", sorted(ENDLESS))
def test_wsgi_early_close_closes_the_source(kind: str, keep_alive: float | None) -> None:
    log: list[str] = []
    response = event_stream(ENDLESS[kind](log), keep_alive=keep_alive)
    callbacks: list[int] = []
    response.call_on_close(lambda: callbacks.append(1))
    app_iter: Any = response(create_environ(), lambda status, headers: None)
    received = [next(app_iter) for _ in range(3)]
    assert received[-1] == b"data: tick 3\n\n"
    before = threading.active_count()
    app_iter.close()
    app_iter.close()
    wait_for(lambda: log == ["finally"])
    assert callbacks == [1]
    if keep_alive is not None and kind == "sync":
        wait_for(lambda: threading.active_count() < before)  # the source thread ended


def test_wsgi_close_while_sync_source_is_blocked_closes_it_when_it_returns() -> None:
    release = threading.Event()
    log: list[str] = []

    def blocked() -> Iterator[str]:
        try:
            yield "first"
            release.wait(5)
            log.append("released")
            yield "never sent"
        finally:
            log.append("finally")

    app_iter: Any = event_stream(blocked(), keep_alive=0.05)(
        create_environ(), lambda status, headers: None
    )
    assert next(app_iter) == b"data: first\n\n"
    assert next(app_iter) == KEEP_ALIVE
    app_iter.close()
    assert log == []  # still inside next(): it cannot be closed from another thread
    release.set()
    wait_for(lambda: log == ["released", "finally"])


class DisconnectingClient:
    """ASGI send/receive: receive says the client left once ``after`` bodies were sent."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.bodies: list[bytes] = []
        self.gone = asyncio.Event()

    async def send(self, message: MutableMapping[str, Any]) -> None:
        if message.get("body"):
            self.bodies.append(message["body"])
            if len(self.bodies) >= self.after:
                self.gone.set()

    async def receive(self) -> dict[str, Any]:
        await self.gone.wait()
        return {"type": "http.disconnect"}


@pytest.mark.parametrize("keep_alive", [None, 0.05])
@pytest.mark.parametrize("kind", sorted(ENDLESS))
def test_asgi_disconnect_closes_the_source(kind: str, keep_alive: float | None) -> None:
    log: list[str] = []
    response = event_stream(ENDLESS[kind](log), keep_alive=keep_alive)
    callbacks: list[int] = []
    response.call_on_close(lambda: callbacks.append(1))
    client = DisconnectingClient(after=3)

    async def serve() -> None:
        await asyncio.wait_for(
            send_response(response, create_environ(), client.send, client.receive), 5
        )

    asyncio.run(serve())
    wait_for(lambda: log == ["finally"])
    assert callbacks == [1]
    assert client.bodies[:3] == [b"data: tick 1\n\n", b"data: tick 2\n\n", b"data: tick 3\n\n"]


@pytest.mark.parametrize("keep_alive", [None, 0.05])
def test_async_source_waiting_on_disconnect_is_cancelled_and_cleaned_up(
    keep_alive: float | None,
) -> None:
    log: list[str] = []

    async def waits_forever() -> AsyncIterator[str]:
        try:
            yield "hello"
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            log.append("cancelled")
            raise
        finally:
            log.append("finally")

    client = DisconnectingClient(after=1)
    response = event_stream(waits_forever(), keep_alive=keep_alive)

    async def serve() -> None:
        await asyncio.wait_for(
            send_response(response, create_environ(), client.send, client.receive), 5
        )

    asyncio.run(serve())
    assert log[-1] == "finally"
    assert client.bodies[0] == b"data: hello\n\n"


@pytest.mark.parametrize("keep_alive", [None, 0.05])
@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_bad_item_mid_stream_raises_and_closes_source(kind: str, keep_alive: float | None) -> None:
    log: list[str] = []
    response = event_stream(SOURCES[kind](log, ["ok", 12, "never"]), keep_alive=keep_alive)
    app_iter: Any = response(create_environ(), lambda status, headers: None)
    assert next(app_iter) == b"data: ok\n\n"
    with pytest.raises(ArgumentTypeError, match="12"):
        next(app_iter)
    app_iter.close()
    # (A source thread may have run ahead to the end before the bad item was read.)
    wait_for(lambda: log[-1:] == ["finally"])


@pytest.mark.parametrize("keep_alive", [None, 0.05])
@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_source_error_propagates(kind: str, keep_alive: float | None) -> None:
    def failing_sync() -> Iterator[str]:
        yield "ok"
        raise LookupError("source failed")

    async def failing_async() -> AsyncIterator[str]:
        yield "ok"
        raise LookupError("source failed")

    source = failing_sync() if kind == "sync" else failing_async()
    app_iter: Any = event_stream(source, keep_alive=keep_alive)(
        create_environ(), lambda status, headers: None
    )
    assert next(app_iter) == b"data: ok\n\n"
    with pytest.raises(LookupError, match="source failed"):
        next(app_iter)
    app_iter.close()


def test_bad_dict_item_names_the_unknown_key() -> None:
    response = event_stream(iter([{"data": "x", "colour": "red"}]), keep_alive=None)
    with pytest.raises(ArgumentTypeError, match="colour"):
        call_wsgi(response)


def test_head_request_sends_no_events() -> None:
    log: list[str] = []
    app = Erlen(__name__)

    @app.get("/events")
    def events() -> Any:
        return event_stream(async_source(log, ["a"]))

    result = call_wsgi(app, "/events", method="HEAD")
    assert result.body == b""
    assert result.header("Content-Type") == "text/event-stream; charset=utf-8"
