"""The app's entry points: ``wsgi_app``, ``asgi_app`` and ``__call__``, which hand a
request to the adapters (the only part of the app that knows a protocol).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from erlen import _signal_gate, asgi as _asgi
from erlen.ctx import _ContextManager, reset_context, set_context
from erlen.dispatch import release_request
from erlen.response import Response
from erlen.wsgi import respond as _wsgi_respond

if TYPE_CHECKING:
    from erlen.ctx import Context
    from erlen.dispatch import DispatchPlan, LoopTransport

_RESPONSE_CALL = Response.__call__


class EntryPoints:
    """The WSGI and ASGI callables of the app, mixed into :class:`~erlen.app.Erlen`.

    The app provides the pipeline called here (see :class:`~erlen.dispatch.Pipeline`)
    and the routing (see :class:`~erlen.app.request_routing.RequestRouting`); the
    adapters are handed the app itself.
    """

    if TYPE_CHECKING:
        _got_first_request: bool
        _plan: DispatchPlan | None

        def _make_context(self, environ: dict[str, Any]) -> Context: ...
        def _serve_sync(self, context: Context) -> tuple[Response, Exception | None]: ...
        def _dispatch_flat(self, context: Context) -> tuple[Response, Exception | None]: ...
        def handle_exception(self, error: Exception) -> Response: ...
        def _teardown(self, context: Context, error: BaseException | None) -> None: ...
        async def _serve_async(
            self, transport: LoopTransport, scope: Any, receive: Any, send: Any
        ) -> None: ...

    def wsgi_app(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """The WSGI application; ``app(environ, start_response)`` calls this."""
        # Registrations are over: the setup methods refuse from now on (as Flask's do).
        if not self._got_first_request:  # PERF: read, not written, per request
            self._got_first_request = True
        context = self._make_context(environ)
        context.depth = 1
        token = set_context(context)
        error: BaseException | None = None
        plan = self._plan
        assert plan is not None  # made by _make_context
        if _signal_gate.active is not None:
            _signal_gate.active.send_appcontext_pushed(self)
        try:
            # PERF: _serve_sync's choice, read here to save its frame.
            if plan.flat:
                response, error = self._dispatch_flat(context)
            else:
                response, error = self._serve_sync(context)
            try:
                if type(response).__call__ is _RESPONSE_CALL:
                    return _wsgi_respond(response, environ, start_response)
                return response(environ, start_response)
            except Exception as exception:
                # The headers could not be built (a bad Location, say): release
                # the body and answer 500 instead of leaving the server half-told.
                response.close()
                error = exception
                return self.handle_exception(exception)(environ, start_response)
        except BaseException as exception:
            error = error or exception
            raise
        finally:
            preserve = environ.get("werkzeug.debug.preserve_context")
            if preserve is not None:
                # ``with client:`` keeps the request's context after it ends.
                preserve(_ContextManager(self, context))  # type: ignore[arg-type]  # self is the app
            context.depth -= 1
            if context.depth == 0:
                if plan.teardown:
                    self._teardown(context, error)
                elif context._request is not None:
                    release_request(context)  # PERF: _teardown's first case, inline
            reset_context(token)

    def asgi_app(self, scope: Any, receive: Any, send: Any) -> Awaitable[None]:
        """The ASGI 3 application; ``await app(scope, receive, send)`` calls this."""
        # PERF: an http scope goes straight to its handler's coroutine.
        if scope.get("type") == "http":
            return self._serve_async(_asgi.transport, scope, receive, send)
        return _asgi.asgi_app(self, scope, receive, send)  # type: ignore[arg-type]

    def __call__(
        self, environ_or_scope: Any, start_response_or_receive: Any, send: Any = None
    ) -> Any:
        """WSGI with two arguments, ASGI 3 (returning a coroutine) with three."""
        if send is None:
            return self.wsgi_app(environ_or_scope, start_response_or_receive)
        return self.asgi_app(environ_or_scope, start_response_or_receive, send)

    def _wsgi_app_replaced(self) -> bool:
        """Whether ``wsgi_app`` is not this class's own (WSGI middleware wraps it)."""
        # Not ``"wsgi_app" in self.__dict__``: see Erlen._cli for why.
        return getattr(self.wsgi_app, "__func__", None) is not EntryPoints.wsgi_app


# ASGI servers (uvicorn, hypercorn) tell ASGI 3 apps by a coroutine-function
# ``__call__``; mark ours so ``uvicorn module:app`` works, while WSGI servers
# simply call it with two arguments.
if hasattr(inspect, "markcoroutinefunction"):
    inspect.markcoroutinefunction(EntryPoints.__call__)
    inspect.markcoroutinefunction(EntryPoints.asgi_app)
_coroutine_marker = getattr(asyncio.coroutines, "_is_coroutine", None)
if _coroutine_marker is not None:
    EntryPoints.__call__._is_coroutine = _coroutine_marker  # type: ignore[attr-defined]
    EntryPoints.asgi_app._is_coroutine = _coroutine_marker  # type: ignore[attr-defined]
