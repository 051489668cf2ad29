"""The ASGI send path under faults, driven in process (issue 16).

A small ASGI "server" here controls exactly when ``receive`` answers
``http.disconnect`` and when ``send`` fails. Each test checks that the app
call ends cleanly or with the server's own error, and that by the time it
returns every generator ``finally`` and every ``call_on_close`` function has
run exactly once (no worker thread is still busy with the body).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from erlen import Flask, Response, send_file


class ServerSendError(OSError):
    """What a server's send() raises when the socket is gone."""


def make_app(tmp_path: Path, counts: Counter[str], release: threading.Event) -> Flask:
    app = Flask(__name__)
    data = tmp_path / "data.bin"
    data.write_bytes(b"x" * 100_000)

    def slow_close() -> None:
        time.sleep(0.01)  # a close callback that takes a while, as in the issue
        counts["close"] += 1

    @app.route("/gen")
    def gen() -> Response:
        def chunks() -> Any:
            try:
                for number in range(10):
                    yield f"{number}\n"
            finally:
                counts["finally"] += 1

        response = Response(chunks())
        response.call_on_close(slow_close)
        return response

    @app.route("/late")
    def late() -> Response:
        # The first chunk comes only once the test says so.
        def chunks() -> Any:
            try:
                release.wait(5)
                yield "first\n"
                yield "second\n"
            finally:
                counts["finally"] += 1

        response = Response(chunks())
        response.call_on_close(slow_close)
        return response

    @app.route("/file")
    def file() -> Response:
        response = send_file(data)
        response.call_on_close(slow_close)
        return response

    return app


@pytest.fixture()
def counts() -> Counter[str]:
    return Counter()


@pytest.fixture()
def release() -> threading.Event:
    return threading.Event()


@pytest.fixture()
def app(tmp_path: Path, counts: Counter[str], release: threading.Event) -> Flask:
    return make_app(tmp_path, counts, release)


def scope(path: str, pathsend: bool = False) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "query_string": b"",
        "headers": [],
        "extensions": {"http.response.pathsend": {}} if pathsend else {},
    }


class Server:
    """Answers receive() with http.disconnect once ``gone`` is set; records sends."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.messages: list[dict[str, Any]] = []
        self.gone = asyncio.Event()
        self.fail_at = fail_at

    async def receive(self) -> dict[str, Any]:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if self.fail_at is not None and len(self.messages) >= self.fail_at:
            self.gone.set()
            raise ServerSendError("connection lost")
        self.messages.append(message)
        if message["type"] == "http.response.pathsend" or (
            message["type"] == "http.response.body" and not message.get("more_body")
        ):
            # Complete: like uvicorn, hypercorn and granian, receive() now
            # answers http.disconnect.
            self.gone.set()

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])


def serve(app: Flask, server: Server, path: str, pathsend: bool = False) -> None:
    async def main() -> None:
        await app(scope(path, pathsend), server.receive, server.send)

    asyncio.run(main())


@pytest.mark.parametrize("path", ["/gen", "/file"])
def test_disconnect_after_a_completed_stream_is_not_an_error(
    app: Flask, counts: Counter[str], path: str
) -> None:
    for attempt in range(1, 6):
        server = Server()
        serve(app, server, path)  # no CancelledError
        assert server.messages[-1].get("more_body", False) is False
        assert counts["close"] == attempt  # ran before the app returned
        if path == "/gen":
            assert server.body == b"".join(f"{n}\n".encode() for n in range(10))
            assert counts["finally"] == attempt


def test_call_on_close_runs_once_over_pathsend(app: Flask, counts: Counter[str]) -> None:
    for attempt in range(1, 4):
        server = Server()
        serve(app, server, "/file", pathsend=True)
        assert server.messages[-1]["type"] == "http.response.pathsend"
        assert counts["close"] == attempt


@pytest.mark.parametrize("fail_at", [1, 3])
def test_send_failing_mid_stream_closes_the_body_once_before_returning(
    app: Flask, counts: Counter[str], fail_at: int
) -> None:
    # fail_at=1: the first body message fails; 3: a later one.
    server = Server(fail_at=fail_at)
    with pytest.raises(ServerSendError):
        serve(app, server, "/gen")
    assert counts == {"finally": 1, "close": 1}


def test_send_failing_on_the_headers_still_closes_the_body(
    app: Flask, counts: Counter[str]
) -> None:
    server = Server(fail_at=0)
    with pytest.raises(ServerSendError):
        serve(app, server, "/gen")
    assert counts["close"] == 1
    assert counts["finally"] <= 1  # a generator that never started has nothing to finish


def test_client_gone_before_the_first_chunk(
    app: Flask, counts: Counter[str], release: threading.Event
) -> None:
    server = Server()

    async def main() -> None:
        server.gone.set()  # the client left before anything was produced
        task = asyncio.ensure_future(app(scope("/late"), server.receive, server.send))
        await asyncio.sleep(0.05)
        release.set()
        await task

    asyncio.run(main())
    assert counts["close"] == 1
    # The generator's finally ran once if it started, not at all if it never did.
    assert counts["finally"] <= 1
    assert b"second" not in server.body


def test_server_cancellation_waits_for_the_body_then_propagates(
    app: Flask, counts: Counter[str], release: threading.Event
) -> None:
    server = Server()

    async def main() -> None:
        task = asyncio.ensure_future(app(scope("/late"), server.receive, server.send))
        await asyncio.sleep(0.05)
        task.cancel()  # the server shuts the connection's task down
        await asyncio.sleep(0.05)
        assert not task.done()  # still waiting for the generator to reach a chunk
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert counts == {"finally": 1, "close": 1}
