"""What the pipeline's async form needs of ASGI (:class:`erlen.dispatch.LoopTransport`):
the request made from the scope, its body's receiver, the response sent as messages.

PERF: a module, not an object: the pipeline's calls to it are specialized
module-attribute loads, and each is one plain call.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, cast

from erlen.asgi.body_input import _NO_BODY, ASGIInput
from erlen.asgi.protocol import ASGIProtocolError, Message, Receive, Scope
from erlen.asgi.scope import _make_asgi_request, build_environ, refuse_method_and_path
from erlen.asgi.send import _NotStarted, buffered_headers, send_response
from erlen.asgi.through_wsgi import _serve_through_wsgi
from erlen.ctx import Context, _ContextManager
from erlen.wrappers import Request, _with_one_slash

if TYPE_CHECKING:
    from erlen.app import Erlen
    from erlen.dispatch import DispatchPlan

__all__ = [
    "PRESERVE_CONTEXT",
    "NotStarted",
    "begin",
    "buffered_messages",
    "encode_buffered",
    "send_response",
    "serve_through_wsgi",
]

#: Scope key of a test client's ``with client:`` block: called with a context
#: manager of the request's context so the block can keep it active afterwards.
PRESERVE_CONTEXT = "erlen.preserve_context"

#: Raised by :func:`send_response` when nothing could be sent (see LoopTransport).
NotStarted = _NotStarted
encode_buffered = buffered_headers
serve_through_wsgi = _serve_through_wsgi


def begin(
    app: Erlen, plan: DispatchPlan, scope: Scope, receive: Receive
) -> tuple[Context, Callable[[], Awaitable[None]] | None]:
    """The request's context, routed, from the scope (``plan``: the app's), and the
    receiver of its body (``None`` when there is none to receive).

    The body is received before any view runs, the same way for both kinds
    (bounded, spooled): sync accessors such as ``get_json()`` must not block the
    loop, and a slow upload holds no worker thread.
    """
    # PERF: the usual scope checked inline; the error is worded by the helper.
    try:
        method = scope["method"]
        path = scope["path"]
    except KeyError:
        refuse_method_and_path(scope)
    if type(method) is not str or type(path) is not str:
        refuse_method_and_path(scope)
    root_path = scope.get("root_path")
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    # HTTP/1.x without Content-Length or Transfer-Encoding has no body (RFC
    # 9112 6.3): nothing is received, and an empty input is shared. HTTP/2
    # and later may send a body without a length.
    has_body = str(scope.get("http_version", "1.1")) >= "2"
    try:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                if value != b"0":
                    has_body = True
            elif name == b"transfer-encoding":
                has_body = True
            elif type(name) is not bytes:
                # Caught here, not when (or if) the environ is built.
                raise TypeError(f"header names must be bytes, got {type(name).__name__}")
        query = scope.get("query_string", b"").decode("latin-1")
        server = scope.get("server")
        client = scope.get("client")
        if (server is not None and len(server) != 2) or (client is not None and len(client) != 2):
            raise ValueError("server and client must be (host, port) pairs")
        if not path.isascii():
            path.encode("utf-8")  # a lone surrogate cannot be a PEP 3333 path
        if root_path and not root_path.isascii():
            root_path.encode("utf-8")
    except (AttributeError, TypeError, ValueError) as error:
        raise ASGIProtocolError(
            "the ASGI http scope is malformed (query_string and headers must be bytes,"
            f" headers (name, value) pairs): {error}"
        ) from None
    body = ASGIInput(receive, asyncio.get_running_loop()) if has_body else _NO_BODY
    request_class = app.request_class
    if plan.proxy_fix is not None:
        # Trusted proxies rewrite the environ's keys: it is made now.
        context = app._make_context(build_environ(scope, body))
    elif request_class._plain_init:
        # PERF: routing needs only the method and path; the request object is
        # made when something reads it, and its PEP 3333 environ later still.
        context = app._route_deferred(
            _make_asgi_request,
            method.upper(),
            # PERF: _with_one_slash's usual case ("/x") needs no call.
            path if path[:1] == "/" and path[1:2] != "/" else _with_one_slash(path),
            scope,
            body,
            bool(path),
            query,
        )
    else:
        # A subclass's own __init__ gets the environ it expects.
        context = app._route(request_class(build_environ(scope, body)), bool(path), query)
    preserve = scope.get(PRESERVE_CONTEXT)
    if preserve is not None:
        preserve(_ContextManager(app, context))
    if body.complete:
        return context, None
    return context, functools.partial(body.receive_before_dispatch, cast(Request, context.request))


def buffered_messages(
    status: int, encoded: list[tuple[bytes, bytes]], body: bytes
) -> tuple[Message, Message]:
    """The two messages that send a response whose body is one bytes item."""
    return (
        {"type": "http.response.start", "status": status, "headers": encoded},
        {"type": "http.response.body", "body": body},
    )
