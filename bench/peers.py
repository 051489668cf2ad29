"""The peers under test, how to load each, and one uniform way to drive them."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench import drivers
from bench.endpoints import Endpoint


@dataclass(frozen=True)
class Peer:
    """One framework on one protocol, served by ``module:app``."""

    name: str
    protocol: str  # "wsgi" or "asgi"
    module: str
    distribution: str  # whose version the report prints
    attribute: str = "app"

    @property
    def target(self) -> str:
        """``module:attribute``, as gunicorn and uvicorn take it."""
        return f"{self.module}:{self.attribute}"


PEERS: tuple[Peer, ...] = (
    Peer("raw-wsgi", "wsgi", "bench.apps.raw_wsgi", "python"),
    Peer("flask", "wsgi", "bench.apps.flask_app", "flask"),
    Peer("falcon-wsgi", "wsgi", "bench.apps.falcon_wsgi", "falcon"),
    Peer("bottle", "wsgi", "bench.apps.bottle_app", "bottle"),
    Peer("erlen-wsgi", "wsgi", "bench.apps.erlen_app", "erlen"),
    Peer("raw-asgi", "asgi", "bench.apps.raw_asgi", "python"),
    Peer("falcon-asgi", "asgi", "bench.apps.falcon_asgi", "falcon"),
    Peer("starlette", "asgi", "bench.apps.starlette_app", "starlette"),
    Peer("quart", "asgi", "bench.apps.quart_app", "quart"),
    Peer("erlen-asgi", "asgi", "bench.apps.erlen_async_app", "erlen"),
    Peer("erlen-asgi-sync", "asgi", "bench.apps.erlen_app", "erlen"),
    Peer("erlen-asgi-hook", "asgi", "bench.apps.erlen_async_hook_app", "erlen"),
)

BY_NAME: dict[str, Peer] = {peer.name: peer for peer in PEERS}

# The peers the over-the-wire run loads when none are named: the floors, Flask,
# the Flask-style erlen app (sync and async views), and Falcon and Starlette.
WIRE_PEERS: tuple[str, ...] = (
    "raw-wsgi",
    "flask",
    "falcon-wsgi",
    "erlen-wsgi",
    "raw-asgi",
    "falcon-asgi",
    "starlette",
    "erlen-asgi",
    "erlen-asgi-sync",
)

# The peer each one is compared against, per protocol: same-protocol ratios are the fair ones.
FALCON = {"wsgi": "falcon-wsgi", "asgi": "falcon-asgi"}
RAW = {"wsgi": "raw-wsgi", "asgi": "raw-asgi"}


class PeerUnavailable(Exception):
    """The peer cannot run here: its framework is missing or not written yet."""


@dataclass
class Target:
    """A loaded peer with ready-made request data for every endpoint."""

    peer: Peer
    app: Any
    _requests: dict[str, dict[str, Any]]

    def call(self, endpoint: Endpoint) -> drivers.Exchange:
        """Send one request for ``endpoint``; return status, headers and body."""
        request = self._requests[endpoint.name]
        if self.peer.protocol == "wsgi":
            return drivers.call_wsgi(self.app, request)
        return drivers.call_asgi(self.app, request)

    def timer(self, endpoint: Endpoint) -> Callable[[int], float]:
        """A function timing ``n`` requests for ``endpoint``, in seconds."""
        request = self._requests[endpoint.name]
        app = self.app
        if self.peer.protocol == "wsgi":
            return lambda count: drivers.time_wsgi(app, request, count)
        return lambda count: drivers.time_asgi(app, request, count)


def _accepts_asgi(app: Any) -> bool:
    """Whether calling ``app(scope, receive, send)`` gives something to await."""
    probe = drivers.make_scope(Endpoint("probe", "/", 200))

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        pass

    try:
        result = app(probe, receive, send)
    except Exception:
        return False
    if inspect.iscoroutine(result):
        result.close()  # only probing: do not run it
        return True
    return inspect.isawaitable(result)


def wrap_app(peer: Peer, app: Any, endpoints: tuple[Endpoint, ...]) -> Target:
    """A Target for an app object already built (the route experiment builds its own)."""
    make = drivers.make_environ if peer.protocol == "wsgi" else drivers.make_scope
    return Target(peer, app, {endpoint.name: make(endpoint) for endpoint in endpoints})


def load(peer: Peer, endpoints: tuple[Endpoint, ...]) -> Target:
    """Import the peer's app; raise PeerUnavailable with the reason when it cannot run."""
    try:
        module = importlib.import_module(peer.module)
    except Exception as error:  # an app module in progress may fail in any way
        raise PeerUnavailable(
            f"{peer.module} does not import ({type(error).__name__}: {error})"
        ) from error
    app = getattr(module, peer.attribute, None)
    if app is None:
        raise PeerUnavailable(f"{peer.module} has no {peer.attribute!r}")
    if peer.protocol == "asgi" and peer.distribution == "erlen" and not _accepts_asgi(app):
        raise PeerUnavailable("the erlen app does not accept ASGI calls yet")
    return wrap_app(peer, app, endpoints)
