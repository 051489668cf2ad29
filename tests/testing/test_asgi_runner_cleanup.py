"""A streamed ASGI test response that is never read is cleaned up, not leaked."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from erlen import Flask, Response


def _streaming_app(name: str) -> tuple[Flask, list[bool]]:
    """An app whose /stream body records when it is closed."""
    app = Flask(name)
    closed: list[bool] = []

    @app.route("/stream")
    def stream() -> Response:
        def generate() -> Iterator[str]:
            try:
                for number in range(10_000):
                    yield f"{number}\n"
            finally:
                closed.append(True)

        return Response(generate())

    return app, closed


def test_unread_streamed_asgi_response_is_closed_when_dropped() -> None:
    app, closed = _streaming_app("unread_stream")
    client = app.test_client(asgi=True)
    response = client.get("/stream")
    assert response.status_code == 200
    del response
    gc.collect()
    assert closed == [True]


def test_unread_response_collected_while_another_loop_runs_is_closed(
    recwarn: pytest.WarningsRecorder,
) -> None:
    """Dropped inside a running event loop (a later request's, say), the
    exchange cannot run its own loop there: it is still closed, once, with no
    coroutine left un-awaited."""
    app, closed = _streaming_app("unread_stream_in_loop")
    client = app.test_client(asgi=True)
    holder = [client.get("/stream")]
    assert holder[0].status_code == 200

    async def drop_it() -> None:
        holder.clear()
        gc.collect()

    asyncio.run(drop_it())
    gc.collect()
    assert closed == [True]
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
