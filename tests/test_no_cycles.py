"""A served request leaves no reference cycles: its objects are freed by reference counting.

Cyclic garbage waits for the collector, which then walks every young object;
a request that leaves none keeps memory flat and the collector idle.
"""

from __future__ import annotations

import asyncio
import gc
import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from erlen import Flask, Response, abort, jsonify, session

REQUESTS = 200


def make_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "no cycles"

    @app.route("/session")
    def session_view() -> str:
        session["visits"] = session.get("visits", 0) + 1
        return "counted"

    @app.route("/async-session")
    async def async_session_view() -> str:
        session["visits"] = session.get("visits", 0) + 1
        return "counted"

    @app.route("/")
    def index() -> str:
        return "Hello"

    @app.route("/json")
    def json_view() -> Response:
        response = jsonify(a=1)
        response.headers["X-A"] = "1"
        return response

    @app.route("/stream")
    def stream() -> Response:
        def lines() -> Iterator[str]:
            yield from ("a\n", "b\n")

        return Response(lines())

    @app.route("/async")
    async def async_view() -> tuple[str, int]:
        return "made", 201

    @app.route("/async-stream")
    async def async_stream() -> Response:
        async def lines() -> AsyncIterator[str]:
            for line in ("a\n", "b\n"):
                yield line

        return Response(lines())

    @app.route("/gone")
    def gone() -> str:
        abort(410)

    return app


def environ_for(path: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
    }


def scope_for(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "server": ("localhost", 80),
    }


def ignore_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


def cyclic_garbage_per_request(serve_many: Any) -> float:
    serve_many(10)  # warm caches first: they are not garbage
    gc.collect()
    gc.disable()
    try:
        serve_many(REQUESTS)
        found = gc.collect()
    finally:
        gc.enable()
    return found / REQUESTS


PATHS = ["/", "/json", "/stream", "/async", "/missing", "/gone", "/session"]


@pytest.mark.parametrize("path", PATHS)
def test_wsgi_request_leaves_no_cycles(path: str) -> None:
    app = make_app()

    def serve_many(count: int) -> None:
        for _ in range(count):
            result = app(environ_for(path), ignore_start_response)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()

    assert cyclic_garbage_per_request(serve_many) == 0


# Sync views under ASGI run in a thread pool, whose futures are cyclic by
# design (asyncio's), so only the loop's own paths are checked here.
@pytest.mark.parametrize("path", ["/async", "/async-stream", "/missing", "/async-session"])
def test_asgi_request_leaves_no_cycles(path: str) -> None:
    app = make_app()
    loop = asyncio.new_event_loop()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        pass

    async def serve(count: int) -> None:
        for _ in range(count):
            await app(scope_for(path), receive, send)

    try:
        assert cyclic_garbage_per_request(lambda count: loop.run_until_complete(serve(count))) == 0
    finally:
        loop.close()
