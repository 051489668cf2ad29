"""The test client and CLI runner (Flask's ``flask.testing``), one file per job.

A request goes through three separate steps, so another transport (ASGI) can
replace the middle one:

* :mod:`~erlen.testing.environ_builder`: :func:`build_environ` /
  :class:`EnvironBuilder` turn ``client.get(...)`` arguments into a WSGI
  environ, the one Werkzeug's ``EnvironBuilder`` builds for the same arguments;
* :mod:`~erlen.testing.wsgi_runner` / :mod:`~erlen.testing.asgi_runner`:
  :func:`run_wsgi_app` / :func:`run_asgi_app` call the app exactly as a server
  does and return ``(body_iterable, status, header_list)``;
* :mod:`~erlen.testing.response`: :func:`wrap_response` builds a
  :class:`TestResponse` (a subclass of the app's response class) from those parts.

:class:`ErlenClient` (:mod:`~erlen.testing.client`) ties them together and keeps
a cookie jar (:mod:`~erlen.testing.cookies`) between requests;
:mod:`~erlen.testing.cli_runner` holds the click runner.
"""

from __future__ import annotations

from typing import Any

# The constants and type aliases of the old single module are re-exported too
# (``X as X``), and the CLI runner factory that app.test_cli_runner uses.
from erlen.errors import RequestArgumentError
from erlen.testing.asgi_runner import (
    ASGI_DISCONNECT_GRACE as ASGI_DISCONNECT_GRACE,
    ASGI_REQUEST_CHUNK as ASGI_REQUEST_CHUNK,
    ASGIProtocolViolation,
    asgi_scope,
    run_asgi_app,
)
from erlen.testing.cli_runner import _make_cli_runner_class as _make_cli_runner_class
from erlen.testing.client import ClientRedirectError, ErlenClient, FlaskClient
from erlen.testing.cookies import Cookie
from erlen.testing.environ_builder import (
    PRESERVE_CONTEXT_KEY as PRESERVE_CONTEXT_KEY,
    Environ as Environ,
    EnvironBuilder,
    HeaderList as HeaderList,
    StartResponse as StartResponse,
    WSGIApp as WSGIApp,
    build_environ,
    encode_multipart,
)
from erlen.testing.response import (
    TestResponse,
    test_response_class as test_response_class,
    wrap_response,
)
from erlen.testing.wsgi_runner import run_wsgi_app

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
    # ErlenCliRunner and its Flask name FlaskCliRunner, built on first use.
    if name in ("ErlenCliRunner", "FlaskCliRunner"):
        return _make_cli_runner_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
