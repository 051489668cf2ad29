"""Serving an ASGI scope: ``asgi_app`` hands each scope type to its handler. An HTTP
request is served by the app's pipeline (``Pipeline._serve_async``: what runs where,
context, teardown), with :mod:`erlen.asgi.transport` for what is ASGI's: the request made
from the scope, its body received, the response sent as messages.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING

import erlen.asgi.transport as transport
from erlen.asgi.lifespan import _serve_lifespan
from erlen.asgi.protocol import ASGIProtocolError, Receive, Scope, Send
from erlen.asgi.transport import PRESERVE_CONTEXT

if TYPE_CHECKING:
    from erlen.app import Erlen

__all__ = ["PRESERVE_CONTEXT", "asgi_app"]


def asgi_app(app: Erlen, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
    """Serve one ASGI connection scope (returns the coroutine to await)."""
    # PERF: a plain function handing back the handler's coroutine saves one
    # coroutine frame per request.
    kind = scope.get("type")
    if kind == "http":
        return _serve_http(app, scope, receive, send)
    if kind == "lifespan":
        return _serve_lifespan(app, receive, send)
    if kind == "websocket":
        return _refuse_websocket(receive, send)
    raise ASGIProtocolError(f"unsupported ASGI scope type {kind!r}")


async def _refuse_websocket(receive: Receive, send: Send) -> None:
    # erlen has no WebSocket views: refuse the handshake (the server answers 403).
    message = await receive()
    if message.get("type") == "websocket.connect":
        await send({"type": "websocket.close", "code": 1008})


def _serve_http(app: Erlen, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
    """Serve one HTTP request: the app's pipeline, with :mod:`erlen.asgi.transport`."""
    return app._serve_async(transport, scope, receive, send)
