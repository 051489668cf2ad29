"""Resources: generators closed, close callbacks and teardown run exactly once, no fd leaks.

Every path is driven over WSGI (a server reading all, stopping early, or the
body raising) and ASGI (full read, ``http.disconnect`` mid-stream).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
from collections.abc import Generator, Iterator
from typing import Any

import pytest

import erlen
from tests.security.wire import drive_asgi, http_scope
from tests.support import build_environ, call_asgi, call_wsgi


class Events:
    """A thread-safe log of what ran, with a wait for the generator's cleanup."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.closed = threading.Event()
        self.generators: list[Generator[str, None, None]] = []

    def add(self, item: str) -> None:
        self.items.append(item)
        if item == "gen-closed":
            self.closed.set()

    def count(self, item: str) -> int:
        return self.items.count(item)


def _generator(events: Events, fail: bool = False, endless: bool = False) -> Iterator[str]:
    generator = _body(events, fail, endless)
    events.generators.append(generator)
    return generator


def _body(events: Events, fail: bool, endless: bool) -> Generator[str, None, None]:
    events.add("gen-started")
    try:
        yield "first "
        if fail:
            raise RuntimeError("boom mid-stream")
        while endless:
            yield "more "
        yield "last"
    finally:
        events.add("gen-closed")


def _app(events: Events) -> erlen.Flask:
    app = erlen.Flask("resources")

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        events.add("teardown")

    def streamed(fail: bool = False, endless: bool = False) -> erlen.Response:
        response = erlen.Response(_generator(events, fail, endless))
        response.call_on_close(lambda: events.add("on-close"))
        return response

    @app.route("/ok")
    def ok() -> erlen.Response:
        return streamed()

    @app.route("/fail")
    def fail() -> erlen.Response:
        return streamed(fail=True)

    @app.route("/endless")
    def endless() -> erlen.Response:
        return streamed(endless=True)

    @app.route("/context")
    def context() -> erlen.Response:
        return erlen.Response(erlen.stream_with_context(_generator(events, endless=True)))

    @app.route("/context-fail")
    def context_fail() -> erlen.Response:
        return erlen.Response(erlen.stream_with_context(_generator(events, fail=True)))

    @app.route("/head-only", methods=["GET", "HEAD"])
    def head_only() -> erlen.Response:
        return streamed()

    return app


def _assert_once(events: Events, *, callbacks: bool = True) -> None:
    assert events.closed.wait(5), events.items
    assert events.count("gen-closed") == 1, events.items
    assert events.count("teardown") == 1, events.items
    if callbacks:
        assert events.count("on-close") == 1, events.items


@pytest.mark.parametrize("call", [call_wsgi, call_asgi], ids=["wsgi", "asgi"])
@pytest.mark.parametrize("path", ["/ok", "/fail", "/context-fail"])
def test_generator_leak_full_read_or_midstream_error_closes_once(path: str, call: Any) -> None:
    events = Events()
    app = _app(events)
    if "fail" in path:
        with pytest.raises(RuntimeError, match="boom mid-stream"):
            call(app, path)
    else:
        assert call(app, path).body == b"first last"
    _assert_once(events, callbacks="context" not in path)


@pytest.mark.parametrize("path", ["/endless", "/context"])
def test_generator_leak_wsgi_client_stops_reading(path: str) -> None:
    events = Events()
    app = _app(events)
    iterable: Any = app(build_environ(path), lambda status, headers, exc_info=None: None)
    iterator = iter(iterable)
    assert next(iterator) == b"first "
    assert next(iterator) == b"more "
    iterable.close()
    iterable.close()  # a second close is a no-op
    _assert_once(events, callbacks=path == "/endless")


async def _disconnect_after_first_chunk(app: erlen.Flask, path: str) -> list[dict[str, Any]]:
    """Serve ``path`` over ASGI to a client that disconnects once a body chunk was sent."""
    sent: list[dict[str, Any]] = []
    chunk_sent = asyncio.Event()
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if requests:
            return requests.pop()
        await chunk_sent.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and message.get("body"):
            chunk_sent.set()

    await asyncio.wait_for(app(http_scope(path), receive, send), 5)
    return sent


@pytest.mark.parametrize("path", ["/endless", "/context"])
def test_generator_leak_asgi_disconnect_mid_stream(path: str) -> None:
    """A disconnect after the first chunk: the running generator's ``finally``,
    ``call_on_close`` and teardown each ran once by the time the app returns."""
    events = Events()
    sent = asyncio.run(_disconnect_after_first_chunk(_app(events), path))
    assert sent[0]["type"] == "http.response.start"
    assert sent[1]["body"] == b"first "
    assert events.count("gen-closed") == 1, events.items
    assert events.count("teardown") == 1, events.items
    assert events.count("on-close") == (1 if path == "/endless" else 0), events.items


@pytest.mark.parametrize("path", ["/endless", "/context"])
def test_generator_leak_asgi_disconnect_before_first_chunk(path: str) -> None:
    """A disconnect at once may beat the worker thread to the generator's first
    ``next()``. Either way the generator is closed, its ``finally`` ran if and only
    if its body started (closing a generator that never started runs none of it),
    and ``call_on_close`` and teardown ran once, all by the time the app returns."""
    events = Events()
    request = {"type": "http.request", "body": b"", "more_body": False}
    sent = asyncio.run(drive_asgi(_app(events), http_scope(path), [request]))
    assert sent[0]["type"] == "http.response.start"
    (generator,) = events.generators
    assert inspect.getgeneratorstate(generator) == inspect.GEN_CLOSED
    assert events.count("gen-closed") == events.count("gen-started") <= 1, events.items
    assert events.count("teardown") == 1, events.items
    assert events.count("on-close") == (1 if path == "/endless" else 0), events.items


@pytest.mark.parametrize("call", [call_wsgi, call_asgi], ids=["wsgi", "asgi"])
def test_generator_leak_head_request_still_closes_the_body(call: Any) -> None:
    events = Events()
    assert call(_app(events), "/head-only", "HEAD").body == b""
    assert events.count("on-close") == 1
    assert events.count("teardown") == 1


@pytest.mark.parametrize("call", [call_wsgi, call_asgi], ids=["wsgi", "asgi"])
@pytest.mark.parametrize("hook", ["after_request", "after_this_request"])
def test_generator_leak_after_request_hook_raises(hook: str, call: Any, caplog: Any) -> None:
    events = Events()
    app = _app(events)

    def explode(response: erlen.Response) -> erlen.Response:
        raise RuntimeError("hook failed")

    if hook == "after_request":
        app.after_request(explode)
    else:

        @app.before_request
        def register() -> None:
            erlen.after_this_request(explode)

    result = call(app, "/ok")
    assert result.status_code == 500
    assert events.count("on-close") == 1, events.items
    assert events.count("gen-closed") <= 1  # never started is fine; closed at most once


@pytest.mark.parametrize("call", [call_wsgi, call_asgi], ids=["wsgi", "asgi"])
def test_generator_leak_header_error_at_send_time(call: Any, caplog: Any) -> None:
    events = Events()
    app = erlen.Flask("resources")

    @app.route("/")
    def index() -> erlen.Response:
        response = erlen.Response(_generator(events))
        response.location = "http://example.com:99999/"
        response.call_on_close(lambda: events.add("on-close"))
        events.add("registered")
        return response

    result = call(app, "/")
    assert result.status_code == 500
    # Either the Location write raised in the view (nothing registered yet) or the
    # registered callback ran once.
    assert events.count("on-close") == events.count("registered")


def test_generator_leak_error_handler_response_is_closed() -> None:
    events = Events()
    app = erlen.Flask("resources")

    @app.route("/")
    def index() -> str:
        raise KeyError("x")

    @app.errorhandler(KeyError)
    def handle(error: Exception) -> erlen.Response:
        response = erlen.Response(_generator(events), 404)
        response.call_on_close(lambda: events.add("on-close"))
        return response

    for call in (call_wsgi, call_asgi):
        events.items.clear()
        assert call(app, "/").status_code == 404
        assert events.count("gen-closed") == events.count("on-close") == 1


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_generator_leak_send_file_closed_early_leaks_no_fd(tmp_path: Any) -> None:
    target = tmp_path / "big.bin"
    target.write_bytes(b"x" * 300_000)
    app = erlen.Flask("files")

    @app.route("/file")
    def file() -> Any:
        return erlen.send_file(str(target))

    before = _open_fds()
    for method in ("GET", "HEAD"):
        for _ in range(10):
            iterable: Any = app(build_environ("/file", method), lambda s, h, e=None: None)
            for _chunk in iterable:
                break
            iterable.close()
    for _ in range(3):
        request = {"type": "http.request", "body": b"", "more_body": False}
        asyncio.run(drive_asgi(app, http_scope("/file"), [request]))
        call_asgi(app, "/file")
    assert _open_fds() - before <= 0
