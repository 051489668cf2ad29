"""The request from an ASGI ``http`` scope: the scope checked, the request routed from
its method and path, its parts, and the PEP 3333 environ built from them on demand.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from erlen.asgi.body_input import _NO_BODY, ASGIInput
from erlen.asgi.protocol import ASGIProtocolError, Receive, Scope
from erlen.ctx import Context
from erlen.wrappers import Request, _with_one_slash
from erlen.wrappers.request_parts import RequestParts

if TYPE_CHECKING:
    from erlen.app import Erlen
    from erlen.dispatch import DispatchPlan


# ASGI "http_version" -> PEP 3333 SERVER_PROTOCOL, for the usual versions.
# PERF: a lookup instead of formatting the string for every request.
_SERVER_PROTOCOLS = {"1.1": "HTTP/1.1", "2": "HTTP/2", "1.0": "HTTP/1.0", "3": "HTTP/3"}


def _request_parts(scope: Scope, body: Any) -> RequestParts:
    """The parts of the request in a checked ASGI ``http`` scope (path below ``root_path``).

    PERF: the scope was checked by ``_make_request`` (or ``build_environ``),
    so it is not checked again here.
    """
    path: str = scope["path"]
    root_path: str = scope.get("root_path") or ""
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    version = scope.get("http_version", "1.1")
    return RequestParts(
        scope["method"],
        path,
        scope.get("scheme", "http"),
        scope.get("server"),
        root_path,
        scope.get("query_string", b""),
        scope.get("headers", ()),
        scope.get("client"),
        body,
        _SERVER_PROTOCOLS.get(version) or f"HTTP/{version}",
        {"asgi.scope": scope},
    )


def build_environ(scope: Scope, body: ASGIInput) -> dict[str, Any]:
    """The PEP 3333 environ of an ASGI ``http`` scope (what ``request.environ`` holds)."""
    try:
        method = scope["method"]
        path = scope["path"]
    except KeyError as missing:
        raise ASGIProtocolError(f"the ASGI http scope has no {missing.args[0]!r} key") from None
    if type(method) is not str or type(path) is not str:
        raise ASGIProtocolError("the ASGI scope's 'method' and 'path' must be str")
    try:
        return _request_parts(scope, body).build_environ()
    except (AttributeError, TypeError, ValueError, IndexError) as error:
        raise ASGIProtocolError(
            "the ASGI http scope is malformed (query_string and headers must be bytes,"
            f" headers (name, value) pairs, server and client pairs): {error}"
        ) from None


def _make_request(
    app: Erlen, scope: Scope, receive: Receive, plan: DispatchPlan
) -> tuple[Context, ASGIInput]:
    """The request's context (routed) and its body reader, from the scope (``plan``: the app's)."""
    try:
        method = scope["method"]
        path = scope["path"]
    except KeyError as missing:
        raise ASGIProtocolError(f"the ASGI http scope has no {missing.args[0]!r} key") from None
    if type(method) is not str or type(path) is not str:
        raise ASGIProtocolError("the ASGI scope's 'method' and 'path' must be str")
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
    if plan.proxy_fix is not None:
        # Trusted proxies rewrite the environ's keys: it is made now.
        return app._make_context(build_environ(scope, body)), body
    request_class = app.request_class
    if request_class._plain_init:
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
        return context, body
    # A subclass's own __init__ gets the environ it expects.
    return app._route(request_class(build_environ(scope, body)), bool(path), query), body


def _make_asgi_request(app: Erlen, method: str, path: str, scope: Scope, body: Any) -> Request:
    """The request of an ASGI context routed without it (see Erlen._route_deferred).

    It is made from the scope's parts: its PEP 3333 environ is built only if
    something reads ``request.environ`` (the scope was checked up front).
    """
    return app.request_class._from_parts(_request_parts(scope, body), method, path)
