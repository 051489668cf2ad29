"""Sync generator bodies over ASGI hold a pool thread each while they stream.

The pool's size is a setting (``ERLEN_SYNC_THREADS``); a warning says when
streams hold every thread of it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest

import erlen.asgi.sync_streams
import erlen.syncasync
from erlen import Flask, Response
from erlen.errors import SettingValueError


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
    # Streams of earlier tests may still be winding down in the pool: count from here.
    before = erlen.asgi.sync_streams._sync_streams
    monkeypatch.setattr(erlen.syncasync, "_pool_size", before + 2)
    monkeypatch.setattr(erlen.asgi.sync_streams, "_warned_pool_full", False)
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
    assert erlen.asgi.sync_streams._sync_streams == before
