"""A streamed ASGI test response that is never read is cleaned up, not leaked."""

from __future__ import annotations

import gc
from collections.abc import Iterator

from erlen import Flask, Response


def test_unread_streamed_asgi_response_is_closed_when_dropped() -> None:
    app = Flask("unread_stream")
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

    client = app.test_client(asgi=True)
    response = client.get("/stream")
    assert response.status_code == 200
    del response
    gc.collect()
    assert closed == [True]
