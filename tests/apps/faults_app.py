"""The app served by the fault, load and leak tests (tests/test_served_faults.py).

Every generator ``finally`` and every ``call_on_close`` appends one line
(``<event> <token>``) to ``$FAULTS_DIR/events``, so a test can count them per
request after the server has handled it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from erlen import Flask, Response, request, send_file

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024

EVENTS = Path(os.environ.get("FAULTS_DIR", ".")) / "events"
DATA = Path(os.environ.get("FAULTS_DIR", ".")) / "data.bin"
if not DATA.exists():
    DATA.write_bytes(bytes(range(256)) * 256)  # 64 KiB

CHUNK = b"0123456789abcdef" * 4


def record(event: str, token: str | None) -> None:
    if token:
        # One short O_APPEND write per event: lines never interleave.
        with open(EVENTS, "a") as file:
            file.write(f"{event} {token}\n")


def on_close(response: Response, token: str | None) -> Response:
    def closed() -> None:
        if token:
            time.sleep(0.01)  # a close callback that takes a while
            record("close", token)

    response.call_on_close(closed)
    return response


@app.get("/")
def index() -> str:
    return "ok"


@app.get("/pid")
def pid() -> str:
    return str(os.getpid())


@app.get("/sync")
def sync_view() -> str:
    return "sync ok"


@app.get("/async")
async def async_view() -> str:
    return "async ok"


@app.get("/stream")
def stream() -> Response:
    token = request.args.get("t")
    count = int(request.args.get("n", "10"))
    delay = float(request.args.get("delay", "0"))
    first = float(request.args.get("first", "0"))
    record("view", token)

    def chunks() -> Iterator[bytes]:
        try:
            time.sleep(first)
            for _ in range(count):
                if delay:
                    time.sleep(delay)
                yield CHUNK
        finally:
            record("finally", token)

    return on_close(Response(chunks(), mimetype="application/octet-stream"), token)


@app.get("/astream")
async def astream() -> Response:
    token = request.args.get("t")
    count = int(request.args.get("n", "10"))
    delay = float(request.args.get("delay", "0"))
    first = float(request.args.get("first", "0"))
    record("view", token)

    async def chunks() -> AsyncIterator[bytes]:
        try:
            await asyncio.sleep(first)
            for _ in range(count):
                if delay:
                    await asyncio.sleep(delay)
                yield CHUNK
        finally:
            record("finally", token)

    return on_close(Response(chunks(), mimetype="application/octet-stream"), token)


@app.get("/file")
def file() -> Response:
    return on_close(send_file(DATA), request.args.get("t"))


@app.get("/sse")
def sse() -> Response:
    count = int(request.args.get("n", "3"))
    interval = float(request.args.get("interval", "0.5"))

    def events() -> Iterator[str]:
        for number in range(count):
            yield f"data: {number}\n\n"
            time.sleep(interval)

    return Response(events(), mimetype="text/event-stream")


@app.post("/upload")
def upload() -> dict[str, object]:
    data = request.get_data()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@app.post("/form")
def form() -> dict[str, object]:
    return {"fields": dict(request.form)}


@app.post("/aupload")
async def aupload() -> dict[str, object]:
    data = request.get_data()
    return {"size": len(data)}
