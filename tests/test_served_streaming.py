"""Streaming and request bodies through real servers (gunicorn WSGI; uvicorn and hypercorn ASGI).

Sync and ``async def`` generators are streamed on all three servers.

Incremental delivery is shown without any clock: the streaming view yields a
first chunk, then waits until the test creates a marker file. The test reads
the first chunk over TCP and checks that the generator has not finished (its
``finally`` has written no record) — so the chunk must have been sent while
the generator was still suspended — and only then creates the marker and
reads the rest. Disconnects are shown the same way: the client closes after
the first chunk and the generator's ``finally`` records that it was closed
early, long before it could have finished on its own.
"""

from __future__ import annotations

import socket
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import Served, running_server, wait_for_record

STREAM_KINDS = ("gunicorn", "erlen-uvicorn", "erlen-hypercorn")
MAX_CONTENT_LENGTH = 1024

STREAM_APP = textwrap.dedent(
    """
    import asyncio
    import os
    import time
    from pathlib import Path

    from erlen import Flask, Response, request

    SIGNALS = Path(os.environ["STREAM_SIGNALS"])
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = __LIMIT__
    # Long enough that "closed early" cannot be mistaken for a natural end.
    WAIT_STEPS = 250
    STEP = 0.02


    def record(token, outcome):
        (SIGNALS / (token + ".done")).write_text(outcome)


    @app.get("/wait/<token>")
    def wait(token):
        def generate():
            outcome = "closed early"
            try:
                yield "first\\n"
                marker = SIGNALS / (token + ".go")
                for _ in range(WAIT_STEPS):
                    if marker.exists():
                        yield "rest (released)\\n"
                        break
                    time.sleep(STEP)
                else:
                    yield "rest (timed out)\\n"
                outcome = "completed"
            finally:
                record(token, outcome)

        return Response(generate(), mimetype="text/plain")


    @app.get("/ticks/<token>")
    def ticks(token):
        def generate():
            outcome, count = "closed early", 0
            try:
                yield "first\\n"
                for count in range(1, WAIT_STEPS + 1):
                    time.sleep(STEP)
                    yield f"tick {count}\\n"
                outcome = "completed"
            finally:
                record(token, f"{outcome} after {count}")

        return Response(generate(), mimetype="text/plain")


    def async_response(generate):
        if request.args.get("assign"):
            # Set the body after construction: the ASGI adapter streams any
            # async iterable, whatever the constructor accepts.
            response = Response(mimetype="text/plain")
            response.response = generate()
            return response
        return Response(generate(), mimetype="text/plain")


    @app.get("/async-wait/<token>")
    async def async_wait(token):
        async def generate():
            outcome = "closed early"
            try:
                yield "first\\n"
                marker = SIGNALS / (token + ".go")
                for _ in range(WAIT_STEPS):
                    if marker.exists():
                        yield "rest (released)\\n"
                        break
                    await asyncio.sleep(STEP)
                else:
                    yield "rest (timed out)\\n"
                outcome = "completed"
            finally:
                record(token, outcome)

        return async_response(generate)


    @app.get("/async-ticks/<token>")
    async def async_ticks(token):
        async def generate():
            outcome, count = "closed early", 0
            try:
                yield "first\\n"
                for count in range(1, WAIT_STEPS + 1):
                    await asyncio.sleep(STEP)
                    yield f"tick {count}\\n"
                outcome = "completed"
            finally:
                record(token, f"{outcome} after {count}")

        return async_response(generate)


    @app.post("/upload")
    def upload():
        return {"size": len(request.get_data())}


    @app.post("/json")
    def echo_json():
        return {"got": request.get_json()}
    """
).replace("__LIMIT__", str(MAX_CONTENT_LENGTH))


@pytest.fixture(scope="module")
def signals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("signals")


@pytest.fixture(scope="module", params=STREAM_KINDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, signals: Path
) -> Iterator[Served]:
    app_dir = tmp_path_factory.mktemp("app")
    (app_dir / "served_stream_app.py").write_text(STREAM_APP)
    with running_server(
        request.param,
        "served_stream_app:app",
        cwd=app_dir,
        env={"STREAM_SIGNALS": str(signals)},
    ) as url:
        yield Served(request.param, url)


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=10) as session:
        yield session


def read_until(chunks: Iterator[bytes], expected: bytes) -> bytes:
    """Read chunks until ``expected`` has arrived (TCP may split a chunk)."""
    received = b""
    while len(received) < len(expected):
        received += next(chunks)
    return received


def check_incremental(client: httpx.Client, signals: Path, route: str, query: str = "") -> None:
    token = uuid.uuid4().hex
    record = signals / f"{token}.done"
    with client.stream("GET", f"/{route}/{token}{query}") as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert "content-length" not in response.headers
        chunks = response.iter_raw()
        assert read_until(chunks, b"first\n") == b"first\n"
        # The first chunk is here while the generator still waits for the marker.
        assert not record.exists()
        (signals / f"{token}.go").touch()
        rest = b"".join(chunks)
    assert rest == b"rest (released)\n"
    assert wait_for_record(record) == "completed"


def check_disconnect(served: Served, signals: Path, route: str, query: str = "") -> None:
    token = uuid.uuid4().hex
    with (
        httpx.Client(base_url=served.url, timeout=10) as session,
        session.stream("GET", f"/{route}/{token}{query}") as response,
    ):
        assert read_until(response.iter_raw(), b"first\n").startswith(b"first\n")
    # Closing the client closed the connection mid-stream: the server must
    # stop the generator (its natural end is 250 ticks, at least 5 s, away).
    outcome = wait_for_record(signals / f"{token}.done", timeout=4.0)
    assert outcome.startswith("closed early after ")
    assert int(outcome.rsplit(" ", 1)[1]) < 200


# --- (a) incremental delivery, (b) disconnect ----------------------------------


def test_sync_generator_streams_incrementally(client: httpx.Client, signals: Path) -> None:
    check_incremental(client, signals, "wait")


def test_sync_generator_closed_when_client_disconnects(served: Served, signals: Path) -> None:
    check_disconnect(served, signals, "ticks")


def test_full_tick_stream_completes(client: httpx.Client, signals: Path) -> None:
    # Control for the disconnect test: without a disconnect the record says so.
    token = uuid.uuid4().hex
    signals.joinpath(f"{token}.go").touch()
    response = client.get(f"/wait/{token}")
    assert response.text == "first\nrest (released)\n"
    assert wait_for_record(signals / f"{token}.done") == "completed"


ASYNC_CONSTRUCTIONS = [
    pytest.param("", id="Response(agen)"),
    pytest.param("?assign=1", id="response.response=agen"),
]


@pytest.mark.parametrize("query", ASYNC_CONSTRUCTIONS)
def test_async_generator_streams_incrementally(
    served: Served, client: httpx.Client, signals: Path, query: str
) -> None:
    check_incremental(client, signals, "async-wait", query)


@pytest.mark.parametrize("query", ASYNC_CONSTRUCTIONS)
def test_async_generator_closed_when_client_disconnects(
    served: Served, signals: Path, query: str
) -> None:
    check_disconnect(served, signals, "async-ticks", query)


# --- (c) body limits, (d) malformed bodies and abandoned uploads ---------------


def test_body_within_limit_is_read(client: httpx.Client) -> None:
    response = client.post("/upload", content=b"x" * MAX_CONTENT_LENGTH)
    assert (response.status_code, response.json()) == (200, {"size": MAX_CONTENT_LENGTH})


def test_body_over_limit_with_content_length_is_413(client: httpx.Client) -> None:
    response = client.post("/upload", content=b"x" * (64 * 1024))
    assert response.status_code == 413
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert b"413 Request Entity Too Large" in response.content
    assert len(response.content) < 1024


def test_chunked_body_over_limit_is_413(client: httpx.Client) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(16):
            yield b"x" * 512

    response = client.post("/upload", content=body())
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413
    assert len(response.content) < 1024


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/json", content=b'{"title": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert b"400 Bad Request" in response.content
    good = client.post("/json", json={"title": "ok"})
    assert (good.status_code, good.json()) == (200, {"got": {"title": "ok"}})


def test_json_with_wrong_content_type_is_415(client: httpx.Client) -> None:
    response = client.post("/json", content=b"{}", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


@pytest.mark.parametrize("sent", [b"", b'{"title": "half'])
def test_client_gone_before_body_does_not_hang_server(
    served: Served, client: httpx.Client, sent: bytes
) -> None:
    authority = served.url.removeprefix("http://")
    host, port = authority.split(":")
    head = (
        f"POST /json HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(head.encode("ascii") + sent)
    # The server notices the end of the connection; a later request answers.
    for _ in range(3):
        response = client.post("/json", json=[1], timeout=5)
        assert (response.status_code, response.json()) == (200, {"got": [1]})
