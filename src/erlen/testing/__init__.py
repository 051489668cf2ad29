"""Transient: the test client module, moved whole before it is cut by job."""

from __future__ import annotations

from typing import Any

from erlen.testing.environ_builder import (
    ASGI_DISCONNECT_GRACE,
    ASGI_REQUEST_CHUNK,
    PRESERVE_CONTEXT_KEY,
    ASGIProtocolViolation,
    ClientRedirectError,
    Cookie,
    Environ,
    EnvironBuilder,
    ErlenClient,
    FlaskClient,
    HeaderList,
    RequestArgumentError,
    StartResponse,
    TestResponse,
    WSGIApp,
    _make_cli_runner_class,
    asgi_scope,
    build_environ,
    encode_multipart,
    run_asgi_app,
    run_wsgi_app,
    test_response_class,
    wrap_response,
)
from erlen.testing.environ_builder import __getattr__ as _lazy

__all__ = [
    "ASGIProtocolViolation",
    "ClientRedirectError",
    "Cookie",
    "EnvironBuilder",
    "ErlenClient",
    "FlaskClient",
    "RequestArgumentError",
    "TestResponse",
    "asgi_scope",
    "build_environ",
    "encode_multipart",
    "run_asgi_app",
    "run_wsgi_app",
    "wrap_response",
]


def __getattr__(name: str) -> Any:
    return _lazy(name)
