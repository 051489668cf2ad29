"""Serving an ASGI scope: ``asgi_app`` hands each scope type to its handler, and
``_serve_http`` runs one HTTP request (sync steps in one worker thread, ``async def``
views on the loop) and sends its response.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from erlen import _signal_gate
from erlen.asgi.lifespan import _serve_lifespan
from erlen.asgi.protocol import ASGIProtocolError, Receive, Scope, Send
from erlen.asgi.scope import _make_request
from erlen.asgi.send import _buffered_headers, _headers_as_sent, _NotStarted, send_response
from erlen.asgi.through_wsgi import _serve_through_wsgi
from erlen.ctx import Context, _ContextManager, reset_context, set_context
from erlen.dispatch import release_request
from erlen.syncasync import run_sync
from erlen.wrappers import Request

if TYPE_CHECKING:
    from erlen.app import Erlen
    from erlen.response import Response


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


async def _serve_http(app: Erlen, scope: Scope, receive: Receive, send: Send) -> None:
    if not app._got_first_request:  # registrations are over (see Erlen.wsgi_app)
        app._got_first_request = True
    plan = app._plan or app._make_plan()
    if plan.wsgi_middleware:
        # ``app.wsgi_app`` was wrapped (ProxyFix, say): ASGI requests go
        # through the wrapper too, so it is never silently skipped.
        await _serve_through_wsgi(app, scope, receive, send)
        return
    context, body = _make_request(app, scope, receive, plan)
    context.depth = 1
    preserve = scope.get(PRESERVE_CONTEXT)
    if preserve is not None:
        _preserve_context(app, context, preserve)
    token: contextvars.Token[Context] | None = set_context(context)
    error: BaseException | None = None
    ended = False
    # Where the request's steps ran, so teardown runs there too; an
    # ``async def`` view's request is on the loop from its first await.
    on_loop = True
    if _signal_gate.active is not None:
        _signal_gate.active.send_appcontext_pushed(app)
    try:
        # The body is in before any view runs, received the same way for both
        # kinds (bounded, spooled): sync accessors such as get_json() must not
        # block the loop, and a slow upload holds no worker thread.
        receive_body = (
            None
            if body.complete
            else functools.partial(body.receive_before_dispatch, cast(Request, context.request))
        )
        served = await app._serve_on_loop(context, receive_body, plan)
        if served is not None:
            # An ``async def`` view: every step ran on the loop, no thread hop.
            response, error = served
            encoded = None
        elif app._runs_no_user_code(context):
            # A 404, 405 or automatic OPTIONS answer nothing of the app's
            # takes part in: made here, with no thread hop.
            on_loop = False
            response, error = app._serve_sync(context)
            encoded = None
        else:
            # Sync user code: all of it (hooks, view, handlers, teardown) in
            # one worker thread, once the body is in.
            on_loop = False
            if receive_body is not None:
                await receive_body()
            response, error, encoded, ended = await run_sync(_serve_in_worker, app, context)
        source: Any = response.response
        if encoded is None and (
            type(source) is list
            and len(source) == 1
            and type(source[0]) is bytes
            and not response._on_close
        ):
            # PERF: _buffered_headers, inlined (has_no_body's status test).
            code = response._status_code
            if code >= 200 and code != 204 and code != 304:
                encoded = _headers_as_sent(response)
        if encoded is not None:
            # PERF: send_response's first case, for the usual body (one bytes
            # item) and headers that need no send rule (see _buffered_headers).
            # The request's context is left before handing the messages over:
            # a server may snapshot the context meanwhile (uvicorn's
            # keep-alive timer does) and so keep the request, its response
            # and everything they hold alive until the connection's next
            # request, which feeds the garbage collector for nothing.
            reset_context(token)  # type: ignore[arg-type]
            token = None
            # PERF: _method_of, inlined.
            pending = context.pending_request
            method = pending[3] if pending is not None else context._request._method  # type: ignore[union-attr]
            await send(
                {"type": "http.response.start", "status": response._status_code, "headers": encoded}
            )
            await send(
                {"type": "http.response.body", "body": b"" if method == "HEAD" else source[0]}
            )
            return
        method = _method_of(context)
        try:
            await send_response(response, context, send, receive, scope, method)
        except _NotStarted as failure:
            # The response could not be turned into headers (a bad Location,
            # a header the server cannot encode): it is closed and a 500 sent.
            error = failure.__cause__
            assert isinstance(error, Exception)
            response = await app._handle_exception_async(error)
            await send_response(response, context, send, receive, scope, method)
    except BaseException as exception:
        error = error or exception
        raise
    finally:
        if not ended:
            context.depth -= 1
            if context.depth == 0:
                if not plan.teardown:
                    if context._request is not None:  # PERF: release_request's test
                        release_request(context)
                elif isinstance(error, GeneratorExit):
                    # The coroutine was dropped unfinished (a test client's,
                    # collected): nothing may be awaited any more.
                    release_request(context)
                elif not on_loop:
                    # A sync request's teardown functions, after its stream.
                    await run_sync(app._teardown, context, error)
                else:
                    await app._teardown_async(context, error)
        if token is not None:
            try:
                reset_context(token)
            except ValueError:
                pass  # closed from another context: the dropped coroutine again


#: Scope key of a test client's ``with client:`` block: called with a context
#: manager of the request's context so the block can keep it active afterwards.
PRESERVE_CONTEXT = "erlen.preserve_context"


def _preserve_context(app: Erlen, context: Context, preserve: Callable[[Any], Any]) -> None:
    preserve(_ContextManager(app, context))


def _method_of(context: Context) -> str:
    pending = context.pending_request
    if pending is not None:
        return pending[3]  # type: ignore[no-any-return]
    request = context._request
    assert request is not None
    return request._method


def _serve_in_worker(
    app: Erlen, context: Context
) -> tuple[Response, Exception | None, list[tuple[bytes, bytes]] | None, bool]:
    """A request's sync steps, in the worker thread: dispatch, then teardown.

    A buffered response ends its request here: its headers are encoded first
    (an error there meets the app's 500 handler inside the request, as on
    WSGI), then teardown runs, before the body is sent. A streamed one keeps
    the request until the stream is sent. The last item says whether the
    request ended.
    """
    error: BaseException | None = None
    ended = False
    try:
        response, error = app._serve_sync(context)
        source: Any = response.response
        if not (
            type(source) is list
            and len(source) == 1
            and type(source[0]) is bytes
            and not response._on_close
        ):
            return response, error, None, False
        encoded = _buffered_headers(response)
        ended = encoded is not None
        return response, error, encoded, ended
    except BaseException as exception:
        error = error or exception
        ended = True
        raise
    finally:
        if ended:
            context.depth -= 1
            if context.depth == 0:
                app._teardown(context, error)
