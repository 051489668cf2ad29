"""Where the current context is kept, and what the layers below the app read of it.

The Request, the Response, ``erlen.json``, ``send_file`` and ``sse`` read a few
of the current app's settings (body limits, ``MAX_COOKIE_SIZE``, the JSON
provider, the response class...). They sit below the app, so they see it only
through :class:`CurrentApp`, a protocol of exactly what they read. The
contextvar itself lives here too: :mod:`erlen.ctx` sets it as before (one
contextvar, nothing more per request) and types it with its own ``Context``.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from erlen.json import JSONProvider
    from erlen.response import Response
    from erlen.wrappers import Request

__all__ = ["CurrentApp", "CurrentContext", "context_var", "current_app_or_none", "current_context"]


class CurrentApp(Protocol):
    """What code below the app reads of the current app (``erlen.Erlen`` has it all)."""

    @property
    def config(self) -> Mapping[str, Any]: ...

    @property
    def debug(self) -> bool: ...

    @property
    def json(self) -> JSONProvider: ...

    @property
    def response_class(self) -> type[Response]: ...

    @property
    def root_path(self) -> str: ...


class CurrentContext(Protocol):
    """What code below the app reads of the current context (``erlen.ctx.Context``)."""

    @property
    def app(self) -> CurrentApp: ...

    @property
    def request(self) -> Request | None: ...


#: The active context; :mod:`erlen.ctx` alone sets it.
context_var: ContextVar[CurrentContext] = ContextVar("erlen.context")


def current_context() -> CurrentContext:
    """The active context; a ``RuntimeError`` naming the cause when there is none."""
    try:
        return context_var.get()
    except LookupError:
        raise RuntimeError(
            "Working outside of application context: no app or request is active."
            " Use 'with app.app_context():' or 'with app.test_request_context():'."
        ) from None


def current_app_or_none() -> CurrentApp | None:
    """The app handling the current request, or ``None`` outside any context."""
    context = context_var.get(None)
    return None if context is None else context.app
