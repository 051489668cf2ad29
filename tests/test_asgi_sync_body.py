"""A sync view's request body under ASGI is received on the loop first (issue 16, items 4-6).

Driven in process with a server that hands the body over in small messages
and counts what the app received.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from typing import Any

import pytest

import erlen.asgi
import erlen.syncasync
from erlen import Flask, Response, request
from erlen.errors import SettingValueError

LIMIT = 256 * 1024


def make_app() -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = LIMIT

    @app.post("/upload")
    def upload() -> dict[str, Any]:
        data = request.get_data()
        return {
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "thread": threading.current_thread().name,
        }

    @app.post("/lines")
    def lines() -> dict[str, Any]:
        # request.stream in a sync view reads the body received on the loop.
        return {"lines": [line.decode() for line in request.stream]}

    @app.post("/form")
    def form() -> dict[str, Any]:
        upload = request.files["file"]
        return {"name": request.form["name"], "size": len(upload.read())}

    return app


class Upload:
    """Serves ``body`` in ``chunk``-byte messages (or forever, with ``endless``)."""

    def __init__(self, body: bytes, chunk: int = 4096, endless: bool = False) -> None:
        self.body = body
        self.chunk = chunk
        self.endless = endless
        self.offset = 0
        self.received = 0
        self.messages: list[dict[str, Any]] = []
        self.disconnect_at: int | None = None
        self.finished = False

    async def receive(self) -> dict[str, Any]:
        if self.disconnect_at is not None and self.offset >= self.disconnect_at:
            return {"type": "http.disconnect"}
        if self.endless:
            self.received += self.chunk
            return {"type": "http.request", "body": b"a" * self.chunk, "more_body": True}
        if self.finished:
            await asyncio.sleep(3600)  # the body is over: nothing until a disconnect
        part = self.body[self.offset : self.offset + self.chunk]
        self.offset += len(part)
        self.received += len(part)
        more = self.offset < len(self.body)
        self.finished = not more
        return {"type": "http.request", "body": part, "more_body": more}

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def json(self) -> Any:
        import json

        return json.loads(b"".join(m.get("body", b"") for m in self.messages[1:]))


def post(
    app: Flask, path: str, upload: Upload, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "query_string": b"",
        "headers": headers
        if headers is not None
        else [(b"content-length", str(len(upload.body)).encode())],
    }
    asyncio.run(app(scope, upload.receive, upload.send))


@pytest.mark.parametrize("size", [0, 10, 100_000, LIMIT])
def test_sync_view_body_round_trip(size: int) -> None:
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    upload = Upload(body)
    post(make_app(), "/upload", upload)
    assert upload.status == 200
    assert upload.json["size"] == size
    assert upload.json["sha256"] == hashlib.sha256(body).hexdigest()


def test_large_body_spills_to_a_temporary_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(erlen.asgi, "SPOOL_MEMORY", 10_000)
    spools: list[Any] = []
    real = erlen.asgi.tempfile.SpooledTemporaryFile

    def spy(*args: Any, **kwargs: Any) -> Any:
        spools.append(real(*args, **kwargs))
        return spools[-1]

    monkeypatch.setattr(erlen.asgi.tempfile, "SpooledTemporaryFile", spy)
    body = b"".join(b"line %d\n" % number for number in range(20_000))[:LIMIT]
    upload = Upload(body, chunk=3000)
    post(make_app(), "/upload", upload)
    assert upload.json["sha256"] == hashlib.sha256(body).hexdigest()
    assert len(spools) == 1
    assert spools[0]._rolled  # on disk, not in memory
    # Line by line across the spool's end and the in-memory rest.
    upload = Upload(body, chunk=3001)
    post(make_app(), "/lines", upload)
    assert "".join(upload.json["lines"]).encode() == body


def test_multipart_form_past_the_memory_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(erlen.asgi, "SPOOL_MEMORY", 8192)
    boundary = b"XyZ"
    content = b"\x00\x01binary\r\n" * 5000
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="name"\r\n\r\nvalue\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n--XyZ--\r\n"
    )
    upload = Upload(body, chunk=1500)
    headers = [
        (b"content-length", str(len(body)).encode()),
        (b"content-type", b"multipart/form-data; boundary=" + boundary),
    ]
    post(make_app(), "/form", upload, headers)
    assert upload.json == {"name": "value", "size": len(content)}


def test_chunked_body_over_the_limit_stops_being_received_at_the_limit() -> None:
    upload = Upload(b"", chunk=16384, endless=True)
    post(make_app(), "/upload", upload, [(b"transfer-encoding", b"chunked")])
    assert upload.status == 413
    # Received just past the limit: one message more, not the whole body.
    assert LIMIT < upload.received <= LIMIT + 2 * 16384


def test_declared_length_over_the_limit_is_not_received() -> None:
    upload = Upload(b"a" * (LIMIT + 1))
    post(make_app(), "/upload", upload)
    assert upload.status == 413
    assert upload.received == 0


def test_client_gone_mid_body_is_a_400_for_the_view() -> None:
    upload = Upload(b"a" * 50_000, chunk=1000)
    upload.disconnect_at = 20_000
    post(make_app(), "/upload", upload)
    assert upload.status == 400


def test_client_gone_mid_chunked_body_is_a_400() -> None:
    upload = Upload(b"a" * 50_000, chunk=1000)
    upload.disconnect_at = 20_000
    post(make_app(), "/upload", upload, [(b"transfer-encoding", b"chunked")])
    assert upload.status == 400


def test_sync_threads_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERLEN_SYNC_THREADS", "123")
    assert erlen.syncasync.sync_threads_setting() == 123
    monkeypatch.delenv("ERLEN_SYNC_THREADS")
    assert erlen.syncasync.sync_threads_setting() == erlen.syncasync.SYNC_THREADS
    for bad in ("0", "-3", "many", ""):
        monkeypatch.setenv("ERLEN_SYNC_THREADS", bad)
        with pytest.raises(SettingValueError, match="ERLEN_SYNC_THREADS"):
            erlen.syncasync.sync_threads_setting()


def test_warning_when_sync_streams_hold_every_pool_thread(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    erlen.syncasync._get_executor()
    monkeypatch.setattr(erlen.syncasync, "_pool_size", 2)
    monkeypatch.setattr(erlen.asgi, "_warned_pool_full", False)
    release = threading.Event()
    app = Flask(__name__)

    @app.get("/events")
    def events() -> Response:
        def generate() -> Any:
            yield "data: 1\n\n"
            release.wait(5)

        return Response(generate(), mimetype="text/event-stream")

    async def stream() -> None:
        done = asyncio.Event()

        async def receive() -> dict[str, Any]:
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                done.set()

        scope = {"type": "http", "method": "GET", "path": "/events", "headers": []}
        await app(scope, receive, send)

    async def main() -> None:
        first = asyncio.ensure_future(stream())
        second = asyncio.ensure_future(stream())
        await asyncio.sleep(0.1)
        release.set()
        await asyncio.gather(first, second)

    with caplog.at_level(logging.WARNING, logger="erlen.asgi"):
        asyncio.run(main())
    warnings = [r for r in caplog.records if "ERLEN_SYNC_THREADS" in r.getMessage()]
    assert len(warnings) == 1
    assert erlen.asgi._sync_streams == 0
