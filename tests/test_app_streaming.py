"""Streamed bodies on WSGI and ASGI: generators, stream_with_context, teardown, closing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import erlen
from erlen import Response, request, stream_with_context

SOURCE = """
from erlen import Flask, Response, request, stream_with_context

app = Flask("stream")

@app.route("/lines")
def lines():
    def generate():
        for i in range(5):
            yield f"Line {i}\\n"
    return Response(generate(), mimetype="text/plain")

@app.route("/bytes-and-str")
def mixed():
    def generate():
        yield b"bytes "
        yield "str "
        yield ""
        yield "\\u2603"
    return generate()

@app.route("/with-context")
def with_context():
    @stream_with_context
    def generate():
        yield request.path + " "
        yield request.args.get("q", "-")
    return Response(generate())

@app.route("/wrapped")
def wrapped():
    def generate():
        yield "method=" + request.method
    return Response(stream_with_context(generate()), 201, {"X-S": "1"})
"""


@pytest.fixture(scope="module")
def twins() -> tuple[Any, Any]:
    from tests.support import make_twin_apps

    return make_twin_apps(SOURCE)


@pytest.mark.parametrize("path", ["/lines", "/bytes-and-str", "/with-context?q=z", "/wrapped"])
def test_streams_match_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any], path: str
) -> None:
    compare(twins, "GET", path)


@pytest.mark.parametrize("path", ["/lines", "/with-context"])
def test_streams_with_head_match_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any], path: str
) -> None:
    compare(twins, "HEAD", path)


def wait_for(condition: Callable[[], bool]) -> bool:
    """Poll ``condition`` briefly: ASGI closes a sync generator in its worker thread."""
    deadline = time.monotonic() + 5
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


class Tracker:
    """A generator wrapper counting how often it was closed."""

    def __init__(self, chunks: list[str], fail_at: int | None = None) -> None:
        self.chunks = chunks
        self.fail_at = fail_at
        self.closed = 0
        self.produced = 0
        self.lock = threading.Lock()

    def __call__(self) -> Iterator[str]:
        try:
            for index, chunk in enumerate(self.chunks):
                if index == self.fail_at:
                    raise RuntimeError("stream broke")
                self.produced += 1
                yield chunk
        finally:
            with self.lock:
                self.closed += 1


def make_stream_app(tracker: Tracker, **config: Any) -> erlen.Flask:
    app = erlen.Flask("tracked")
    app.config.update(config)
    app.teardowns = []  # type: ignore[attr-defined]

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        app.teardowns.append(error)  # type: ignore[attr-defined]

    @app.route("/")
    def index() -> Any:
        return Response(stream_with_context(tracker()))

    @app.route("/plain")
    def plain() -> Any:
        return Response(tracker())

    return app


@pytest.mark.parametrize("path", ["/", "/plain"])
def test_generator_closed_exactly_once_after_full_read(
    make_client: Callable[..., Any], path: str
) -> None:
    tracker = Tracker(["a", "b", "c"])
    app = make_stream_app(tracker)
    response = make_client(app).get(path)
    assert response.get_data() == b"abc"
    response.close()
    assert wait_for(lambda: tracker.closed >= 1)
    assert tracker.closed == 1
    assert app.teardowns == [None]  # type: ignore[attr-defined]


def test_teardown_runs_after_the_stream_ends(make_client: Callable[..., Any]) -> None:
    tracker = Tracker(["a", "b", "c", "d"])
    app = make_stream_app(tracker)
    response = make_client(app).get("/")
    # The request is still alive while the body is unread: teardown waits for it.
    assert app.teardowns == []  # type: ignore[attr-defined]
    assert response.get_data() == b"abcd"
    response.close()
    assert wait_for(lambda: len(app.teardowns) == 1)  # type: ignore[attr-defined]


def test_closing_an_unread_stream_closes_the_generator_once(
    make_client: Callable[..., Any],
) -> None:
    tracker = Tracker([str(i) for i in range(1000)])
    app = make_stream_app(tracker)
    response = make_client(app).get("/")
    response.close()
    assert wait_for(lambda: tracker.closed == 1)
    assert tracker.produced < 1000  # the client hung up: the stream stopped early
    assert wait_for(lambda: len(app.teardowns) == 1)  # type: ignore[attr-defined]
    time.sleep(0.01)
    assert tracker.closed == 1


@pytest.mark.parametrize("path", ["/", "/plain"])
def test_stream_error_mid_way_closes_the_generator_once(
    make_client: Callable[..., Any], path: str
) -> None:
    tracker = Tracker(["a", "b", "c"], fail_at=2)
    app = make_stream_app(tracker)
    response = make_client(app).get(path)
    with pytest.raises(RuntimeError, match="stream broke"):
        response.get_data()
    response.close()
    assert wait_for(lambda: tracker.closed >= 1)
    assert tracker.closed == 1


def test_stream_error_in_first_chunk_surfaces_at_the_call(
    make_client: Callable[..., Any],
) -> None:
    tracker = Tracker(["a"], fail_at=0)
    app = make_stream_app(tracker)
    with pytest.raises(RuntimeError, match="stream broke"):
        make_client(app).get("/plain")
    assert wait_for(lambda: tracker.closed == 1)


def test_buffered_client_reads_everything_and_closes(make_client: Callable[..., Any]) -> None:
    tracker = Tracker(["x", "y"])
    app = make_stream_app(tracker)
    response = make_client(app).get("/", buffered=True)
    assert tracker.closed == 1
    assert response.get_data() == b"xy"
    assert app.teardowns == [None]  # type: ignore[attr-defined]


def test_stream_with_context_outside_a_request_is_refused() -> None:
    with pytest.raises(RuntimeError):
        stream_with_context(iter(["x"]))


def test_request_and_g_visible_in_stream(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("visible")

    @app.route("/<name>")
    def index(name: str) -> Any:
        erlen.g.name = name

        @stream_with_context
        def generate() -> Iterator[str]:
            yield request.view_args["name"] if request.view_args else "-"
            yield "|" + erlen.g.name
            yield "|" + str(erlen.has_request_context())

        return generate()

    assert make_client(app).get("/zed").get_data() == b"zed|zed|True"


def test_streamed_response_has_no_content_length(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("length")

    @app.route("/")
    def index() -> Any:
        return Response(iter(["a", "b"]))

    response = make_client(app).get("/")
    assert "Content-Length" not in response.headers
    assert response.get_data() == b"ab"
