"""The request from an ASGI ``http`` scope: the scope checked, the request routed from
its method and path, its parts, and the PEP 3333 environ built from them on demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from erlen.asgi.body_input import ASGIInput
from erlen.asgi.protocol import ASGIProtocolError, Scope
from erlen.wrappers import Request
from erlen.wrappers.request_parts import RequestParts

if TYPE_CHECKING:
    from erlen.app import Erlen


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


def refuse_method_and_path(scope: Scope) -> NoReturn:
    """Raise the ``ASGIProtocolError`` that names what is wrong with the scope's
    method or path (called once a check has failed)."""
    for key in ("method", "path"):
        if key not in scope:
            raise ASGIProtocolError(f"the ASGI http scope has no {key!r} key")
    raise ASGIProtocolError("the ASGI scope's 'method' and 'path' must be str")


def build_environ(scope: Scope, body: ASGIInput) -> dict[str, Any]:
    """The PEP 3333 environ of an ASGI ``http`` scope (what ``request.environ`` holds)."""
    if type(scope.get("method")) is not str or type(scope.get("path")) is not str:
        refuse_method_and_path(scope)
    try:
        return _request_parts(scope, body).build_environ()
    except (AttributeError, TypeError, ValueError, IndexError) as error:
        raise ASGIProtocolError(
            "the ASGI http scope is malformed (query_string and headers must be bytes,"
            f" headers (name, value) pairs, server and client pairs): {error}"
        ) from None


def _make_asgi_request(app: Erlen, method: str, path: str, scope: Scope, body: Any) -> Request:
    """The request of an ASGI context routed without it (see Erlen._route_deferred).

    It is made from the scope's parts: its PEP 3333 environ is built only if
    something reads ``request.environ`` (the scope was checked up front).
    """
    return app.request_class._from_parts(_request_parts(scope, body), method, path)
