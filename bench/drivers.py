"""Drive a WSGI or ASGI app in-process: prepared requests in, full responses out.

Both drivers consume the whole body (the WSGI iterable is exhausted and closed;
every ASGI message is collected), so lazy frameworks pay for what they defer.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable, Iterable
from time import perf_counter
from typing import Any

from bench.endpoints import Endpoint

Headers = list[tuple[str, str]]
Exchange = tuple[int, Headers, bytes]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ASGIApp = Callable[..., Awaitable[None]]

# An empty request body; reading it at EOF has no side effect, so one serves every request.
_EMPTY_INPUT = io.BytesIO(b"")


def make_environ(endpoint: Endpoint) -> dict[str, Any]:
    """The WSGI environ a server such as gunicorn would build for ``endpoint``."""
    return {
        "REQUEST_METHOD": endpoint.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": endpoint.path,
        "QUERY_STRING": "",
        "CONTENT_LENGTH": "0" if endpoint.method == "POST" else "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "localhost",
        "HTTP_USER_AGENT": "bench",
        "HTTP_ACCEPT": "*/*",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": _EMPTY_INPUT,
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def make_scope(endpoint: Endpoint) -> dict[str, Any]:
    """The ASGI HTTP scope uvicorn would build for ``endpoint`` (spec_version as uvicorn's)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": endpoint.method,
        "scheme": "http",
        "path": endpoint.path,
        "raw_path": endpoint.path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            (b"user-agent", b"bench"),
            (b"accept", b"*/*"),
            *([(b"content-length", b"0")] if endpoint.method == "POST" else []),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }


def _ignore_start_response(status: str, headers: Headers, exc_info: Any = None) -> Any:
    return _ignore_write


def _ignore_write(data: bytes) -> None:
    pass


def call_wsgi(app: WSGIApp, environ: dict[str, Any]) -> Exchange:
    """One request through a WSGI app: (status code, headers, whole body)."""
    seen: list[Any] = []
    written: list[bytes] = []

    def start_response(status: str, headers: Headers, exc_info: Any = None) -> Any:
        seen[:] = [status, list(headers)]
        return written.append

    result = app(environ.copy(), start_response)
    try:
        chunks = [bytes(chunk) for chunk in result]
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not seen:
        raise RuntimeError("the app returned without calling start_response")
    return int(seen[0].split(" ", 1)[0]), seen[1], b"".join(written + chunks)


def time_wsgi(app: WSGIApp, environ: dict[str, Any], count: int) -> float:
    """Seconds for ``count`` requests, each with a fresh copy of ``environ``."""
    start_response = _ignore_start_response
    # PERF: locals and one loop body shared by all peers keep the harness cost small and equal.
    start = perf_counter()
    for _ in range(count):
        result = app(environ.copy(), start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return perf_counter() - start


class _Exchange:
    """The server side of one ASGI request: an empty body, then a disconnect after the reply."""

    __slots__ = ("done", "messages", "request_sent", "waiter")

    def __init__(self) -> None:
        self.request_sent = False
        self.done = False
        self.waiter: asyncio.Future[None] | None = None
        self.messages: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if not self.request_sent:
            self.request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # A real server reports a disconnect only once the response is complete;
        # answering earlier would make Starlette and Quart abandon streams.
        if not self.done:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self.done = True
            waiter = self.waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)


async def _call_asgi(app: ASGIApp, scope: dict[str, Any]) -> Exchange:
    exchange = _Exchange()
    await app(scope.copy(), exchange.receive, exchange.send)
    status = 0
    headers: Headers = []
    body: list[bytes] = []
    for message in exchange.messages:
        if message["type"] == "http.response.start":
            status = int(message["status"])
            headers = [
                (bytes(k).decode("latin-1"), bytes(v).decode("latin-1"))
                for k, v in message.get("headers", ())
            ]
        elif message["type"] == "http.response.body":
            body.append(bytes(message.get("body", b"")))
    if not status:
        raise RuntimeError("the app finished without sending http.response.start")
    if not exchange.done:
        raise RuntimeError("the app finished without a final http.response.body")
    return status, headers, b"".join(body)


async def _time_asgi(app: ASGIApp, scope: dict[str, Any], count: int) -> float:
    exchange_class = _Exchange
    start = perf_counter()
    for _ in range(count):
        exchange = exchange_class()
        await app(scope.copy(), exchange.receive, exchange.send)
    return perf_counter() - start


_loop: asyncio.AbstractEventLoop | None = None


def event_loop() -> asyncio.AbstractEventLoop:
    """The one event loop every in-process ASGI request runs on (created on first use)."""
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
    return _loop


def call_asgi(app: ASGIApp, scope: dict[str, Any]) -> Exchange:
    """One request through an ASGI app: (status code, headers, whole body)."""
    return event_loop().run_until_complete(_call_asgi(app, scope))


def time_asgi(app: ASGIApp, scope: dict[str, Any], count: int) -> float:
    """Seconds for ``count`` requests, all awaited inside one ``run_until_complete``."""
    return event_loop().run_until_complete(_time_asgi(app, scope, count))
