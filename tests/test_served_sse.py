"""Server-Sent Events through real servers: gunicorn (WSGI), uvicorn and hypercorn (ASGI).

Every check runs with a sync and an async generator source, and the stream
is read the way a browser's EventSource reads it: by the small WHATWG
"interpreting an event stream" parser below, fed the raw bytes as httpx
receives them.

As in ``test_served_streaming.py`` no clock decides anything. The source
sends its first event, then waits until the test creates a marker file; the
test reads that event while the source's ``finally`` has written no record
(so the event left while the source was suspended), and only then creates
the marker. The source records how it ended: ``completed``, or ``closed
early`` with the stage it had reached, so a disconnect test can tell a
source stopped by the server from one that ran to its end.
"""

from __future__ import annotations

import codecs
import re
import textwrap
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.servers import SERVER_KINDS, Served, running_server, wait_for_record

SSE_APP = textwrap.dedent(
    """
    import asyncio
    import os
    import time
    from pathlib import Path

    from erlen import Flask, request
    from erlen.sse import ServerSentEvent, event_stream

    SIGNALS = Path(os.environ["SSE_SIGNALS"])
    app = Flask(__name__)
    STEP = 0.02
    # Long enough that "closed early" cannot be mistaken for a natural end.
    TICKS = 250


    def record(token, outcome):
        (SIGNALS / (token + ".done")).write_text(outcome)


    def keep_alive():
        value = request.args.get("keep_alive", "15")
        return None if value == "none" else float(value)


    def wait_steps():
        return int(request.args.get("wait_steps", "250"))


    def first_event():
        return ServerSentEvent(data="first", id=1, retry=3000)


    def rest(released):
        return [
            ServerSentEvent(
                data="line one\\nline two" if released else "timed out", event="tick", id="2"
            ),
            {"data": "third", "comment": "a dict item"},
            "fourth",
        ]


    @app.get("/events/<token>")
    def events(token):
        steps = wait_steps()

        def source():
            stage = "first"
            try:
                yield first_event()
                stage = "waiting"
                marker = SIGNALS / (token + ".go")
                for _ in range(steps):
                    if marker.exists():
                        break
                    time.sleep(STEP)
                stage = "released" if marker.exists() else "timed out"
                yield from rest(stage == "released")
                stage = "completed"
            finally:
                record(token, stage if stage == "completed" else "closed early " + stage)

        return event_stream(source(), keep_alive())


    @app.get("/async-events/<token>")
    async def async_events(token):
        steps = wait_steps()

        async def source():
            stage = "first"
            try:
                yield first_event()
                stage = "waiting"
                marker = SIGNALS / (token + ".go")
                for _ in range(steps):
                    if marker.exists():
                        break
                    await asyncio.sleep(STEP)
                stage = "released" if marker.exists() else "timed out"
                for item in rest(stage == "released"):
                    yield item
                stage = "completed"
            finally:
                record(token, stage if stage == "completed" else "closed early " + stage)

        return event_stream(source(), keep_alive())


    @app.get("/ticks/<token>")
    def ticks(token):
        def source():
            outcome, count = "closed early", 0
            try:
                yield first_event()
                for count in range(1, TICKS + 1):
                    time.sleep(STEP)
                    yield ServerSentEvent(data=f"tick {count}", event="tick")
                outcome = "completed"
            finally:
                record(token, f"{outcome} after {count}")

        return event_stream(source(), keep_alive())


    @app.get("/async-ticks/<token>")
    async def async_ticks(token):
        async def source():
            outcome, count = "closed early", 0
            try:
                yield first_event()
                for count in range(1, TICKS + 1):
                    await asyncio.sleep(STEP)
                    yield ServerSentEvent(data=f"tick {count}", event="tick")
                outcome = "completed"
            finally:
                record(token, f"{outcome} after {count}")

        return event_stream(source(), keep_alive())
    """
)

#: The route of each source kind, by the route name the app gives it.
SOURCES = {"sync": "", "async": "async-"}


# -- an EventSource's reading of the stream (WHATWG HTML, "event stream") ----------------


@dataclass(frozen=True)
class Event:
    """A dispatched event, as an EventSource's listener would see it."""

    type: str
    data: str
    last_event_id: str


@dataclass(frozen=True)
class Comment:
    """A comment line (EventSource ignores these; the test wants to see keep-alives)."""

    text: str


KEEP_ALIVE = Comment("keep-alive")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class EventStreamParser:
    """Feed bytes as they arrive; get back the events and comments completed so far."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._text = ""
        self._started = False
        self._data = ""
        self._type = ""
        self._id_buffer = ""
        self.last_event_id = ""
        self.retry: int | None = None

    def feed(self, chunk: bytes) -> list[Event | Comment]:
        self._text += self._decoder.decode(chunk)
        if not self._started and self._text:
            self._started = True
            self._text = self._text.removeprefix("\ufeff")
        items: list[Event | Comment] = []
        position = 0
        while match := _LINE_BREAK.search(self._text, position):
            if match.group() == "\r" and match.end() == len(self._text):
                break  # the LF of a CRLF may be in the next chunk
            self._line(self._text[position : match.start()], items)
            position = match.end()
        self._text = self._text[position:]
        return items

    def _line(self, line: str, items: list[Event | Comment]) -> None:
        if not line:
            self._dispatch(items)
            return
        if line.startswith(":"):
            items.append(Comment(line[1:].removeprefix(" ")))
            return
        field, colon, value = line.partition(":")
        if colon:
            value = value.removeprefix(" ")
        if field == "event":
            self._type = value
        elif field == "data":
            self._data += value + "\n"
        elif field == "id" and "\x00" not in value:
            self._id_buffer = value
        elif field == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)

    def _dispatch(self, items: list[Event | Comment]) -> None:
        self.last_event_id = self._id_buffer
        data, event_type = self._data, self._type
        self._data = self._type = ""
        if data:
            items.append(Event(event_type or "message", data[:-1], self.last_event_id))


class EventReader:
    """Reads an httpx streamed response one event or comment at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self._chunks = response.iter_raw()
        self.parser = EventStreamParser()
        self._pending: deque[Event | Comment] = deque()

    def next(self) -> Event | Comment:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                raise AssertionError("the stream ended early")
            self._pending.extend(self.parser.feed(chunk))
        return self._pending.popleft()

    def rest(self) -> list[Event | Comment]:
        items = list(self._pending)
        for chunk in self._chunks:
            items += self.parser.feed(chunk)
        return items


FIRST = Event("message", "first", "1")
RELEASED_REST = [
    Event("tick", "line one\nline two", "2"),
    Comment("a dict item"),
    Event("message", "third", "2"),  # no id field: the last id stays
    Event("message", "fourth", "2"),
]


def test_parser_reads_the_format_like_an_event_source() -> None:
    parser = EventStreamParser()
    stream = (
        "\ufeff: hi\r\nid: 7\revent: é\ndata:a\r\ndata:  b\n\nretry: 12\nretry: x\n\n"
        "data\n\nid: bad\x00\ndata: c\r"
    ).encode()
    items: list[Event | Comment] = []
    for index in range(len(stream)):  # a byte at a time: split CRLFs and UTF-8 sequences
        items += parser.feed(stream[index : index + 1])
    assert items == [Comment("hi"), Event("é", "a\n b", "7"), Event("message", "", "7")]
    assert parser.retry == 12
    # The final CR may begin a CRLF: the line it ends is held back until the next byte.
    assert parser.feed(b"\n") == []
    assert parser.feed(b"\n") == [Event("message", "c", "7")]


# -- servers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("signals")


@pytest.fixture(scope="module", params=SERVER_KINDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, signals: Path
) -> Iterator[Served]:
    app_dir = tmp_path_factory.mktemp("app")
    (app_dir / "served_sse_app.py").write_text(SSE_APP)
    with running_server(
        request.param, "served_sse_app:app", cwd=app_dir, env={"SSE_SIGNALS": str(signals)}
    ) as url:
        yield Served(request.param, url)


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=10) as session:
        yield session


def check_stream_headers(response: httpx.Response) -> None:
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert "content-length" not in response.headers


# -- incremental delivery ------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("keep_alive", ["15", "none"])
def test_events_arrive_as_the_source_yields_them(
    client: httpx.Client, signals: Path, source: str, keep_alive: str
) -> None:
    token = uuid.uuid4().hex
    record = signals / f"{token}.done"
    route = f"/{SOURCES[source]}events/{token}?keep_alive={keep_alive}"
    with client.stream("GET", route) as response:
        check_stream_headers(response)
        reader = EventReader(response)
        assert reader.next() == FIRST
        assert reader.parser.retry == 3000
        # The first event is here while the source still waits for the marker.
        assert not record.exists()
        (signals / f"{token}.go").touch()
        assert reader.rest() == RELEASED_REST
    assert wait_for_record(record) == "completed"


# -- keep-alive comments -------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_keep_alive_comments_arrive_while_the_source_idles(
    client: httpx.Client, signals: Path, source: str
) -> None:
    token = uuid.uuid4().hex
    record = signals / f"{token}.done"
    with client.stream("GET", f"/{SOURCES[source]}events/{token}?keep_alive=0.2") as response:
        check_stream_headers(response)
        reader = EventReader(response)
        assert reader.next() == FIRST
        # Nothing but keep-alives while the source waits (it waits up to 5 s).
        assert [reader.next() for _ in range(2)] == [KEEP_ALIVE] * 2
        assert not record.exists()
        (signals / f"{token}.go").touch()
        rest = reader.rest()
    # A keep-alive may have gone out between the marker and the next event.
    assert [item for item in rest if item != KEEP_ALIVE] == RELEASED_REST
    assert wait_for_record(record) == "completed"


# -- disconnects ---------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_disconnect_mid_stream_closes_the_source(
    served: Served, signals: Path, source: str
) -> None:
    token = uuid.uuid4().hex
    with (
        httpx.Client(base_url=served.url, timeout=10) as session,
        session.stream("GET", f"/{SOURCES[source]}ticks/{token}") as response,
    ):
        reader = EventReader(response)
        assert reader.next() == FIRST
        assert reader.next() == Event("tick", "tick 1", "1")
    # Closing the client closed the connection mid-stream; the source's natural
    # end is 250 ticks (at least 5 s) away.
    outcome = wait_for_record(signals / f"{token}.done", timeout=4.0)
    assert outcome.startswith("closed early after ")
    assert int(outcome.rsplit(" ", 1)[1]) < 200


#: How far an idle source has got when the server closes it after a disconnect.
#: An async source is cancelled where it awaits. A sync source runs in a thread
#: and a running generator cannot be closed from outside: it is closed at its
#: next yield, when its wait (here 1 s) ends. The server must have noticed the
#: disconnect by then (keep-alives go out every 0.2 s), or the source would run
#: to "completed".
IDLE_CLOSE_STAGES = {"sync": "closed early timed out", "async": "closed early waiting"}


@pytest.mark.parametrize("source", SOURCES)
def test_disconnect_while_the_source_idles_closes_it(
    served: Served, signals: Path, source: str
) -> None:
    token = uuid.uuid4().hex
    route = f"/{SOURCES[source]}events/{token}?keep_alive=0.2&wait_steps=50"
    with (
        httpx.Client(base_url=served.url, timeout=10) as session,
        session.stream("GET", route) as response,
    ):
        reader = EventReader(response)
        assert reader.next() == FIRST
        assert reader.next() == KEEP_ALIVE
    outcome = wait_for_record(signals / f"{token}.done", timeout=4.0)
    assert outcome == IDLE_CLOSE_STAGES[source]
