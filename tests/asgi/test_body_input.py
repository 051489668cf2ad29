"""A sync view's request body under ASGI is received on the loop first (issue 16, items 4-6).

Driven in process with a server that hands the body over in small messages
and counts what the app received.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from typing import Any

import pytest

import erlen.asgi.body_input
from erlen import Flask, request

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
    monkeypatch.setattr(erlen.asgi.body_input, "SPOOL_MEMORY", 10_000)
    spools: list[Any] = []
    real = erlen.asgi.body_input.tempfile.SpooledTemporaryFile

    def spy(*args: Any, **kwargs: Any) -> Any:
        spools.append(real(*args, **kwargs))
        return spools[-1]

    monkeypatch.setattr(erlen.asgi.body_input.tempfile, "SpooledTemporaryFile", spy)
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
    monkeypatch.setattr(erlen.asgi.body_input, "SPOOL_MEMORY", 8192)
    spool_sizes: list[Any] = []
    real = erlen.asgi.body_input.tempfile.SpooledTemporaryFile

    def spy(*args: Any, **kwargs: Any) -> Any:
        spool_sizes.append(args[0] if args else kwargs.get("max_size"))
        return real(*args, **kwargs)

    monkeypatch.setattr(erlen.asgi.body_input.tempfile, "SpooledTemporaryFile", spy)
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
    assert 8192 in spool_sizes  # the received body went through its spool


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
