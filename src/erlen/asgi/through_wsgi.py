"""ASGI requests served through ``app.wsgi_app`` when WSGI middleware replaced it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from erlen.asgi.body_input import ASGIInput
from erlen.asgi.protocol import Receive, Scope, Send
from erlen.asgi.scope import build_environ
from erlen.asgi.send import _encode_headers
from erlen.asgi.sync_streams import _stream_sync_body
from erlen.syncasync import run_sync

if TYPE_CHECKING:
    from erlen.app import Erlen


async def _serve_through_wsgi(app: Erlen, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve an ASGI request through ``app.wsgi_app`` (replaced by WSGI middleware).

    The WSGI callable runs in a worker thread with a PEP 3333 environ made
    from the scope (the body read from ``receive`` as the app reads it), and
    its iterable is streamed back from that thread.
    """
    body = ASGIInput(receive, asyncio.get_running_loop())
    environ = build_environ(scope, body)
    status, headers, first, rest = await run_sync(_start_wsgi, app.wsgi_app, environ)
    start = {
        "type": "http.response.start",
        "status": int(status.split(" ", 1)[0]),
        "headers": _encode_headers(headers),
    }
    if rest is None:
        await send(start)
        await send({"type": "http.response.body", "body": first})
        return
    await _stream_sync_body(rest, start, send, receive)


class _WSGIRest:
    """The rest of a WSGI iterable after its first chunk, closed as PEP 3333 asks."""

    __slots__ = ("_first", "_iterator", "_result")

    def __init__(self, first: bytes, iterator: Iterator[bytes], result: Any) -> None:
        self._first = first
        self._iterator = iterator
        self._result = result

    def __iter__(self) -> Iterator[bytes]:
        if self._first:
            yield self._first
        yield from self._iterator

    def close(self) -> None:
        close = getattr(self._result, "close", None)
        if close is not None:
            close()


def _start_wsgi(
    wsgi_app: Callable[..., Iterable[bytes]], environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes, _WSGIRest | None]:
    """Call a WSGI app up to its first body chunk: status, headers, that chunk, the rest."""
    started: list[Any] = []
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if started and exc_info is None:
            raise AssertionError("start_response() was called twice without exc_info")
        started[:] = [status, headers]
        return written.append

    result = wsgi_app(environ, start_response)
    try:
        if isinstance(result, (list, tuple)):
            # PERF: a buffered body goes out in one message.
            return started[0], started[1], b"".join([*written, *result]), None
        iterator = iter(result)
        first = b"".join(written)
        for chunk in iterator:
            if chunk:
                first += chunk
                break
        if not started:
            raise AssertionError("the WSGI application did not call start_response()")
    except BaseException:
        close = getattr(result, "close", None)
        if close is not None:
            close()
        raise
    return started[0], started[1], first, _WSGIRest(first, iterator, result)
