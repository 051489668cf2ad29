"""The request pipeline, written once for both protocols.

Everything between a routed request and its response lives here: before-request
hooks, the view, return-value conversion, after-request hooks, error handlers
and teardown. The sync form is Flask's overridable methods (``Erlen`` inherits
:class:`Pipeline`); the async form beside it serves an ``async def`` view under
ASGI and shares every rule with the sync one (handler lookup, return values,
propagation, logging). The WSGI and ASGI adapters call into this module and
re-implement none of its steps.

Where sync work runs under ASGI (see :meth:`Pipeline._serve_async`): a request
whose view is ``async def`` runs on the event loop, its sync hooks called
directly; every other request that runs user code runs all of it in one worker
thread, where ``async def`` hooks are sent back to the loop. So a request makes
at most one thread hop.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TypeVar, cast

from erlen import _signal_gate
from erlen.ctx import Context, _cv_context, current_context, reset_context, set_context
from erlen.debug import render_traceback_page
from erlen.exceptions import (
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
    RequestRedirect,
    exception_class_and_code,
    handler_mro,
    is_http_exception,
)
from erlen.http.forwarded import proxy_fix_counts
from erlen.http.headers import Headers
from erlen.response import Response, is_async_body
from erlen.scaffold import app_then_blueprints, blueprints_then_app, find_error_handler
from erlen.sessions import save_opened_session
from erlen.syncasync import (
    cached_is_async,
    call_on_loop,
    is_async,
    run_coroutine_sync,
    run_sync,
)
from erlen.wrappers import _split_blueprint_path

if TYPE_CHECKING:
    from erlen.config import Config
    from erlen.json import JSONProvider
    from erlen.routing import Map
    from erlen.wrappers import Request

T = TypeVar("T")
ErrorHandler = Callable[[Any], Any]
HookKey = str | None

#: Flask's overridable dispatch steps. A class (or instance) that replaces one
#: of them is dispatched through the sync methods only, so the override is
#: called on both protocols.
DISPATCH_STEPS = (
    "full_dispatch_request",
    "preprocess_request",
    "dispatch_request",
    "finalize_request",
    "make_response",
    "process_response",
    "make_default_options_response",
    "handle_user_exception",
    "handle_http_exception",
    "handle_exception",
    "trap_http_exception",
    "log_exception",
    "raise_routing_exception",
    "do_teardown_request",
    "do_teardown_appcontext",
    "ensure_sync",
    "async_to_sync",
)

_EXCEPTIONS_MODULE = HTTPException.__module__

#: Set to "1" by ``erlen run --debug`` (and ``app.run(debug=True)``): a debug app
#: then answers an unhandled error with a traceback page instead of raising it.
TRACEBACK_PAGE_VARIABLE = "ERLEN_TRACEBACK_PAGE"

_INVALID_TUPLE = (
    "The view function did not return a valid response tuple. The tuple must have the"
    " form (body, status, headers), (body, status), or (body, headers)."
)
_INVALID_TYPE = (
    "The view function did not return a valid response. The return type must be a"
    " string, dict, list, tuple with headers or status, Response instance, or WSGI"
    " callable, but it was a {type_name}."
)


# -- the plan -----------------------------------------------------------------------


class DispatchPlan:
    """How one app's requests are dispatched: chosen at its first request.

    ``flat``: no step is overridden and no before- or after-request hook is
    registered, so the view's result goes straight to a response (PERF: the
    adapters' short paths). ``overrides``: a Flask dispatch method is
    replaced, so only the sync methods run (on ASGI in one worker thread).
    ``teardown``: a teardown function is registered. ``wsgi_middleware``:
    ``app.wsgi_app`` was replaced, so ASGI requests go through it too.
    ``proxy_fix``: the ``PROXY_FIX`` counts of trusted proxies, or None.
    ``route_with_request``: routing needs the request object (the host is
    matched, or checked against ``TRUSTED_HOSTS``), so it is made at once.
    """

    __slots__ = (
        "flat",
        "overrides",
        "proxy_fix",
        "route_with_request",
        "teardown",
        "wsgi_middleware",
    )

    def __init__(
        self,
        *,
        flat: bool,
        overrides: bool,
        teardown: bool,
        wsgi_middleware: bool,
        proxy_fix: tuple[int, int, int, int, int] | None = None,
        route_with_request: bool = False,
    ) -> None:
        self.flat = flat
        self.overrides = overrides
        self.teardown = teardown
        self.wsgi_middleware = wsgi_middleware
        self.proxy_fix = proxy_fix
        self.route_with_request = route_with_request

    def __repr__(self) -> str:
        flags = [name for name in self.__slots__ if getattr(self, name)]
        return f"<DispatchPlan {' '.join(flags) or 'plain'}>"


def _overridden(app: Any, names: tuple[str, ...]) -> bool:
    """Whether the app's class or the app itself replaces one of ``names``."""
    # An instance attribute is not a bound method of Pipeline's function. Not
    # ``name in app.__dict__``: see Erlen._cli for why the dict is never read.
    return any(
        getattr(getattr(app, name), "__func__", None) is not getattr(Pipeline, name)
        for name in names
    )


def _keyed_by_blueprint(registry: dict[Any, Any]) -> bool:
    """Whether a registry holds entries of some blueprint (a key other than None)."""
    return len(registry) > 1 or (bool(registry) and None not in registry)


def _current_blueprints() -> list[str]:
    """The current request's blueprint chain, innermost first, without making a
    request that was routed but not made yet."""
    context = _cv_context.get(None)
    if context is None:
        return []
    request = context._request
    if request is not None:
        rule = request.url_rule
    elif context.pending_request is not None:
        rule = context.pending_request[1]
    else:
        return []
    endpoint = None if rule is None else rule.endpoint
    if not endpoint or "." not in endpoint:
        return []
    return _split_blueprint_path(endpoint.rpartition(".")[0])


# -- what the pipeline needs of an async transport ----------------------------------


class LoopTransport(Protocol):
    """What :meth:`Pipeline._serve_async` needs of a protocol served on an event
    loop (``erlen.asgi`` is the one): the pipeline passes the protocol's own
    values (``scope``, ``receive``, ``send``) through without reading them."""

    @property
    def NotStarted(self) -> type[Exception]:
        """Raised by :meth:`send_response` when the response could not be started
        (nothing was sent); its ``__cause__`` is the error."""
        ...

    def begin(
        self, app: Any, plan: DispatchPlan, scope: Any, receive: Any
    ) -> tuple[Context, Callable[[], Awaitable[None]] | None]:
        """The request's context, routed, and the awaitable receiver of its body
        (``None`` when the body is in already)."""
        ...

    def serve_through_wsgi(self, app: Any, scope: Any, receive: Any, send: Any) -> Awaitable[None]:
        """Serve the request through the app's (wrapped) WSGI entry point."""
        ...

    def encode_buffered(self, response: Response) -> Any:
        """The encoded headers of a response sent as it is in one body message
        (one bytes item, a status with a body, headers no send rule changes);
        ``None`` for the general path (:meth:`send_response`)."""
        ...

    def buffered_messages(self, status: int, encoded: Any, body: bytes) -> tuple[Any, Any]:
        """The two messages that send such a response."""
        ...

    def send_response(
        self, response: Response, context: Context, send: Any, receive: Any, scope: Any, method: str
    ) -> Awaitable[None]:
        """Send any response (the general path); closes it once."""
        ...


def _method_of(context: Context) -> str:
    pending = context.pending_request
    if pending is not None:
        return pending[3]  # type: ignore[no-any-return]
    request = context._request
    assert request is not None
    return request._method


# -- the pipeline ---------------------------------------------------------------------


class Pipeline:
    """Flask's dispatch methods (the sync form) and their async form, side by side.

    Mixed into the application class, which provides the registries read here
    (``view_functions``, the hook and handler dicts, ``config``, ``url_map``).
    """

    if TYPE_CHECKING:
        config: Config
        json: JSONProvider
        url_map: Map
        response_class: type[Response]
        request_class: type[Request]
        view_functions: dict[str, Callable[..., Any]]
        before_request_funcs: dict[HookKey, list[Callable[[], Any]]]
        after_request_funcs: dict[HookKey, list[Callable[[Any], Any]]]
        teardown_request_funcs: dict[HookKey, list[Callable[[BaseException | None], Any]]]
        teardown_appcontext_funcs: list[Callable[[BaseException | None], Any]]
        error_handler_spec: dict[HookKey, dict[int | None, dict[type[BaseException], Any]]]
        url_value_preprocessors: dict[HookKey, list[Callable[[str | None, Any], None]]]
        _got_first_request: bool

        def _domain_of(self, request: Request) -> str: ...

        _sync_views: dict[str, tuple[Callable[..., Any], Callable[..., Any]]]

        @property
        def debug(self) -> bool: ...

        @property
        def testing(self) -> bool: ...

        @property
        def logger(self) -> logging.Logger: ...

    #: The plan of the app's requests; made at the first request (see :meth:`_make_plan`).
    _plan: DispatchPlan | None = None
    #: Set by the test suite to run every request through the general path.
    _force_general_dispatch = False

    def _make_plan(self) -> DispatchPlan:
        """Choose the dispatch plan once: registrations are over at the first request."""
        overrides = _overridden(self, DISPATCH_STEPS)
        hooks = bool(
            self.before_request_funcs or self.after_request_funcs or self.url_value_preprocessors
        )
        proxy_fix = self.config.get("PROXY_FIX")
        # Signals with receivers are sent from the general path's steps.
        signals = _signal_gate.active is not None
        if not signals:
            _signal_gate.planned_without_signals.add(self)
        plan = DispatchPlan(
            flat=not (overrides or hooks or self._force_general_dispatch or signals),
            overrides=overrides,
            teardown=bool(self.teardown_request_funcs or self.teardown_appcontext_funcs or signals),
            wsgi_middleware=self._wsgi_app_replaced(),
            proxy_fix=None if proxy_fix is None else proxy_fix_counts(proxy_fix),
            route_with_request=bool(
                self.url_map._routes_on_host
                or self.config.get("TRUSTED_HOSTS") is not None
                or self.request_class.trusted_hosts
            ),
        )
        self._plan = plan
        return plan

    def _wsgi_app_replaced(self) -> bool:
        """Whether the app's WSGI entry point was wrapped (the app class answers)."""
        return False

    def _reset_plan(self) -> None:
        """Forget the plan (a registration changed what requests need)."""
        self._plan = None

    # -- the sync form (Flask's methods) ---------------------------------------------

    def full_dispatch_request(self, context: Context | None = None) -> Response:
        """Run the before-request hooks, the view, and turn the result into a response."""
        if _signal_gate.active is not None:
            _signal_gate.active.send_request_started(self)
        try:
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as exception:
            rv = self.handle_user_exception(exception)
        return self.finalize_request(rv)

    def preprocess_request(self) -> Any:
        """Run the URL value preprocessors, then the ``before_request`` functions (the app's,
        then each blueprint's, outermost first); the first non-None result wins."""
        self._run_url_value_preprocessors()
        for function in self._before_request_functions():
            rv = self.ensure_sync(function)()
            if rv is not None:
                return rv
        return None

    def dispatch_request(self) -> Any:
        """Call the view matched for the current request (or raise the routing error)."""
        request = current_context().request
        assert request is not None
        if request.routing_exception is not None:
            self.raise_routing_exception(request)
        rule = request.url_rule
        assert rule is not None
        if rule.provide_automatic_options and request.method == "OPTIONS":
            return self.make_default_options_response()
        return self._sync_view(rule.endpoint)(**(request.view_args or {}))

    def _sync_view(self, endpoint: str) -> Callable[..., Any]:
        """The endpoint's view, callable from sync code (cached per view function)."""
        view = self.view_functions[endpoint]
        cached = self._sync_views.get(endpoint)
        if cached is None or cached[0] is not view:
            cached = (view, self.ensure_sync(view))
            self._sync_views[endpoint] = cached
        return cached[1]

    def raise_routing_exception(self, request: Request) -> NoReturn:
        """Raise the error routing stored on the request (404, 405, or a redirect)."""
        raise cast(HTTPException, request.routing_exception)

    def make_default_options_response(self) -> Response:
        """The automatic ``OPTIONS`` answer: an empty response with ``Allow``."""
        request = current_context().request
        assert request is not None
        methods = self.url_map.allowed_methods(request.path, self._domain_of(request))
        response = self.response_class()
        response.headers["Allow"] = ", ".join(sorted(methods))
        return response

    def finalize_request(self, rv: Any, from_error_handler: bool = False) -> Response:
        """Make the response and run the after-request functions on it."""
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
            if _signal_gate.active is not None:
                _signal_gate.active.send_request_finished(self, response)
        except Exception:
            if not from_error_handler:
                response.close()  # the view's body (a generator, a file) is released
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response

    def process_response(self, response: Response) -> Response:
        """Run ``after_this_request`` then ``after_request`` functions (last registered first)."""
        context = current_context()
        for function in context.after_request_functions:
            response = self.ensure_sync(function)(response)
        for function in self._after_request_functions():
            response = self.ensure_sync(function)(response)
        save_opened_session(self, context, response)
        return response

    # -- errors ---------------------------------------------------------------------

    def _find_error_handler(
        self, error: BaseException, blueprints: list[str] | None = None
    ) -> ErrorHandler | None:
        spec = self.error_handler_spec
        if len(spec) == 1 and not spec.get(None):
            return None  # PERF: no handler registered anywhere
        exception_class, code = exception_class_and_code(type(error))
        if blueprints is None:
            # PERF: the request's blueprints matter only when some registered handlers.
            blueprints = _current_blueprints() if _keyed_by_blueprint(spec) else []
        return find_error_handler(spec, exception_class, code, blueprints)

    def trap_http_exception(self, error: Exception) -> bool:
        """Whether an HTTP exception should propagate like any other error (config traps)."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if (
            trap_bad_request is None
            and self.debug
            and BadRequestKeyError in handler_mro(type(error))
        ):
            return True
        if trap_bad_request:
            return BadRequest in handler_mro(type(error))
        return False

    def handle_http_exception(self, error: HTTPException) -> Any:
        """Give an HTTP error to its registered handler, or return it as the response."""
        if error.code is None or isinstance(error, RequestRedirect):
            return error
        handler = self._find_error_handler(error)
        if handler is None:
            return error
        return self.ensure_sync(handler)(error)

    def handle_user_exception(self, error: Exception) -> Any:
        """Handle an error raised by a hook or view; re-raise it when nothing handles it."""
        if is_http_exception(error) and not self.trap_http_exception(error):
            return self.handle_http_exception(error)
        handler = self._find_error_handler(error)
        if handler is None:
            raise error
        return self.ensure_sync(handler)(error)

    def handle_exception(self, error: Exception) -> Response:
        """An unhandled error: re-raised when propagating, else logged and answered with 500.

        In debug mode (not testing, ``PROPAGATE_EXCEPTIONS`` unset) the answer is a
        read-only traceback page, where Flask would hand the error to its debugger.
        """
        if _signal_gate.active is not None:
            _signal_gate.active.send_got_request_exception(self, error)
        if self._shows_traceback_page():
            return self._traceback_page(error)
        server_error: Any = self._server_error(error)
        handler = self._find_error_handler(server_error)
        if handler is not None:
            server_error = self.ensure_sync(handler)(server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def _shows_traceback_page(self) -> bool:
        """Debug mode under ``erlen run --debug`` (not testing, propagation left to its
        default): where Flask's development server shows its debugger."""
        return (
            self.debug
            and not self.testing
            and self.config["PROPAGATE_EXCEPTIONS"] is None
            and os.environ.get(TRACEBACK_PAGE_VARIABLE) == "1"
        )

    def _traceback_page(self, error: Exception) -> Response:
        """The debug-mode 500: the error logged, and a page of its traceback (no console).

        As where Flask propagates the error, neither error handlers nor
        after-request functions run for it.
        """
        self.log_exception(error)
        request = current_context().request
        method, path = ("", "") if request is None else (request.method, request.full_path)
        page = render_traceback_page(error, method, path)
        return self.response_class(page, status=500, mimetype="text/html")

    def _server_error(self, error: Exception) -> InternalServerError:
        """Re-raise ``error`` when exceptions propagate; else log it and wrap it in a 500."""
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing or self.debug
        if propagate:
            raise error
        self.log_exception(error)
        return InternalServerError(original_exception=error)

    def log_exception(self, error: BaseException) -> None:
        """Log an unhandled error with the request's path and method."""
        request = current_context().request
        where = f"{request.path} [{request.method}]" if request is not None else "<no request>"
        self.logger.error(
            f"Exception on {where}", exc_info=(type(error), error, error.__traceback__)
        )

    # -- teardown -------------------------------------------------------------------

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        """Run the ``teardown_request`` functions of the current request (its blueprints'
        first, innermost first, then the app's; last added first)."""
        for function in self._teardown_request_functions():
            self.ensure_sync(function)(exc)

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        """Run the ``teardown_appcontext`` functions (last added first)."""
        for function in reversed(self.teardown_appcontext_funcs):
            self.ensure_sync(function)(exc)

    def _teardown(self, context: Context, error: BaseException | None) -> None:
        """End ``context``: teardown functions, then the request's resources."""
        signals = _signal_gate.active
        if self.teardown_request_funcs or self.teardown_appcontext_funcs or signals is not None:
            token = _cv_context.set(context)
            try:
                if context.has_request:
                    self.do_teardown_request(error)
                    if signals is not None:
                        signals.send_request_tearing_down(self, error)
                self.do_teardown_appcontext(error)
                if signals is not None:
                    signals.send_appcontext_tearing_down(self, error)
            finally:
                _cv_context.reset(token)
                if signals is not None:
                    signals.send_appcontext_popped(self)
        release_request(context)

    async def _teardown_async(self, context: Context, error: BaseException | None) -> None:
        """:meth:`_teardown` from async code: async functions awaited, sync ones called."""
        signals = _signal_gate.active
        if not (self.teardown_request_funcs or self.teardown_appcontext_funcs or signals):
            release_request(context)
            return
        if signals is not None or (self._plan or self._make_plan()).overrides:
            # Overridden sync methods may block or reach async functions
            # through ensure_sync: they get a worker thread.
            await run_sync(self._teardown, context, error)
            return
        token = _cv_context.set(context)
        try:
            if context.has_request:
                for function in self._teardown_request_functions():
                    await call_on_loop(function, error)
            for function in reversed(self.teardown_appcontext_funcs):
                await call_on_loop(function, error)
        finally:
            _cv_context.reset(token)
            release_request(context)

    # -- blueprint lookups ------------------------------------------------------------
    # Registrations in Flask's order for the current request: dicts keyed by
    # blueprint name (None: the app), merged from the request's blueprint chain.

    def _run_url_value_preprocessors(self) -> None:
        registry = self.url_value_preprocessors
        if not registry:
            return
        request = current_context().request
        assert request is not None
        for function in app_then_blueprints(registry, _current_blueprints()):
            function(request.endpoint, request.view_args)

    def _before_request_functions(self) -> list[Callable[[], Any]]:
        registry = self.before_request_funcs
        if not _keyed_by_blueprint(registry):
            return registry.get(None, [])  # PERF: no blueprint hooks
        return app_then_blueprints(registry, _current_blueprints())

    def _after_request_functions(self) -> list[Callable[[Any], Any]]:
        return blueprints_then_app(
            self.after_request_funcs,
            _current_blueprints() if _keyed_by_blueprint(self.after_request_funcs) else (),
        )

    def _teardown_request_functions(self) -> list[Callable[[BaseException | None], Any]]:
        return blueprints_then_app(
            self.teardown_request_funcs,
            _current_blueprints() if _keyed_by_blueprint(self.teardown_request_funcs) else (),
        )

    # -- serving: what the adapters call ------------------------------------------------

    def _serve_sync(self, context: Context) -> tuple[Response, Exception | None]:
        """Dispatch ``context``'s request with the sync methods: the response and the
        unhandled error it answers, if any (teardown is told of it)."""
        plan = self._plan or self._make_plan()
        if plan.flat:
            return self._dispatch_flat(context)
        try:
            return self.full_dispatch_request(context), None
        except Exception as error:
            return self.handle_exception(error), error

    def _dispatch_flat(self, context: Context) -> tuple[Response, Exception | None]:
        """:meth:`_serve_sync` for a flat plan: the same steps as the general path,
        with no hooks to run and no method overridden.

        PERF: the layers of full_dispatch_request flattened into one frame; the
        request object is not made unless something reads it.
        """
        try:
            pending = context.pending_request
            if pending is not None:
                # Routed, and the request object not made (see Context).
                rule, view_args, method = pending[1], pending[2], pending[3]
                routing_error = None
            else:
                request = context._request
                assert request is not None
                rule, view_args, method = request.url_rule, request.view_args, request._method
                routing_error = request.routing_exception
            if routing_error is not None:
                # Handled without raising it: no traceback, so no frame cycle.
                rv = self.handle_user_exception(routing_error)
            else:
                try:
                    if rule.provide_automatic_options and method == "OPTIONS":
                        rv = self.make_default_options_response()
                    else:
                        endpoint = rule.endpoint
                        cached = self._sync_views.get(endpoint)
                        if cached is None or cached[0] is not self.view_functions[endpoint]:
                            call = self._sync_view(endpoint)
                        else:
                            call = cached[1]
                        rv = call(**view_args)
                except Exception as exception:
                    rv = self.handle_user_exception(exception)
                    if rv is exception:
                        # It becomes the response: its traceback (which holds
                        # this frame, which holds it) is dropped.
                        exception.__traceback__ = None
            response = self.make_response(rv)
            if context.after_request_functions or context._session is not None:
                try:
                    response = self.process_response(response)
                except Exception:
                    response.close()
                    raise
            return response, None
        except Exception as exception:
            return self.handle_exception(exception), exception

    def _runs_no_user_code(self, context: Context) -> bool:
        """Whether dispatching ``context`` calls nothing of the app's (a flat plan and
        a routing error no handler takes, or the automatic OPTIONS answer)."""
        plan = self._plan or self._make_plan()
        if not plan.flat:
            return False
        request = context._request
        if request is None:
            rule, method = context.pending_request[1], context.pending_request[3]  # type: ignore[index]
            return bool(rule.provide_automatic_options and method == "OPTIONS")
        error = request.routing_exception
        if error is None:
            return bool(request.url_rule.provide_automatic_options and request._method == "OPTIONS")
        return self._find_error_handler(error) is None

    # -- the async form ---------------------------------------------------------------

    async def _serve_async(
        self, transport: LoopTransport, scope: Any, receive: Any, send: Any
    ) -> None:
        """Serve one request on the event loop, from start to end: the async form of
        the WSGI entry point (context, dispatch, response, teardown).

        ``transport`` (the ASGI adapter) makes the request from ``scope`` and
        ``receive`` and turns the response into what ``send`` takes; this
        method decides what runs where. An ``async def`` view runs with every
        step on the loop (no thread hop); a request with sync user code runs all
        of it (hooks, view, handlers, teardown) in one worker thread, once the
        body is in; a 404, 405 or automatic OPTIONS answer that nothing of the
        app's takes part in is made here, with no hop.

        PERF: one coroutine for the whole request. The flat plan's ``async def``
        view is awaited in this frame; the hooks' path is a coroutine of its
        own (:meth:`_serve_hooks_on_loop`).
        """
        if not self._got_first_request:  # registrations are over (see Erlen.wsgi_app)
            self._got_first_request = True
        plan = self._plan or self._make_plan()
        if plan.wsgi_middleware:
            # ``app.wsgi_app`` was wrapped (ProxyFix, say): requests go through
            # the wrapper too, so it is never silently skipped.
            await transport.serve_through_wsgi(self, scope, receive, send)
            return
        context, receive_body = transport.begin(self, plan, scope, receive)
        context.depth = 1
        token: contextvars.Token[Context] | None = set_context(context)
        error: BaseException | None = None
        ended = False
        # Where the request's steps ran, so teardown runs there too; an
        # ``async def`` view's request is on the loop from its first await.
        on_loop = True
        if _signal_gate.active is not None:
            _signal_gate.active.send_appcontext_pushed(self)
        try:
            encoded = None
            # The view, when it is ``async def`` and runs on the loop: not with
            # overridden methods, a routing error or the automatic OPTIONS answer.
            view = None
            if not plan.overrides:
                pending = context.pending_request
                if pending is not None:
                    rule, view_args, method = pending[1], pending[2], pending[3]
                else:
                    request = context._request
                    assert request is not None
                    rule, view_args, method = request.url_rule, request.view_args, request._method
                    if request.routing_exception is not None:
                        rule = None
                if rule is not None and not (
                    rule.provide_automatic_options and method == "OPTIONS"
                ):
                    view = self.view_functions.get(rule.endpoint)
                    # PERF: is_async's cache read inline.
                    if view is not None and not (cached_is_async(view) or is_async(view)):
                        view = None
            if view is not None:
                if plan.flat:
                    # The steps of _serve_hooks_on_loop with no hook to run.
                    try:
                        try:
                            if receive_body is not None:
                                await receive_body()
                            rv = await view(**view_args)
                        except Exception as exception:
                            rv = await self._handle_user_exception_async(exception)
                            if rv is exception:
                                # It becomes the response: its traceback (which
                                # holds this frame, which holds it) is dropped.
                                exception.__traceback__ = None
                        if context.after_request_functions or context._session is not None:
                            response = await self._finalize_async(rv)
                        else:
                            response = self.make_response(rv)
                    except Exception as exception:
                        response = await self._handle_exception_async(exception)
                        error = exception
                else:
                    response, error = await self._serve_hooks_on_loop(context, view, receive_body)
            elif self._runs_no_user_code(context):
                on_loop = False
                response, error = self._serve_sync(context)
            else:
                on_loop = False
                if receive_body is not None:
                    await receive_body()
                response, error, encoded, ended = await run_sync(
                    self._serve_in_worker, context, transport
                )
            if encoded is None:
                encoded = transport.encode_buffered(response)
            if encoded is not None:
                # The usual body (one bytes item) with headers that need no send
                # rule. The request's context is left before handing the messages
                # over: a server may snapshot the context meanwhile (uvicorn's
                # keep-alive timer does) and so keep the request, its response
                # and everything they hold alive until the connection's next
                # request, which feeds the garbage collector for nothing.
                reset_context(token)  # type: ignore[arg-type]
                token = None
                # PERF: _method_of, inline.
                pending = context.pending_request
                method = pending[3] if pending is not None else context._request._method  # type: ignore[union-attr]
                body = b"" if method == "HEAD" else response.response[0]  # type: ignore[index]
                start, end = transport.buffered_messages(response._status_code, encoded, body)
                await send(start)
                await send(end)
                return
            method = _method_of(context)
            try:
                await transport.send_response(response, context, send, receive, scope, method)
            except transport.NotStarted as failure:
                # The response could not be turned into headers (a bad Location,
                # a header the server cannot encode): it is closed and a 500 sent.
                error = failure.__cause__
                assert isinstance(error, Exception)
                response = await self._handle_exception_async(error)
                await transport.send_response(response, context, send, receive, scope, method)
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
                        await run_sync(self._teardown, context, error)
                    else:
                        await self._teardown_async(context, error)
            if token is not None:
                try:
                    reset_context(token)
                except ValueError:
                    pass  # closed from another context: the dropped coroutine again

    async def _serve_hooks_on_loop(
        self,
        context: Context,
        view: Callable[..., Any],
        receive_body: Callable[[], Awaitable[None]] | None,
    ) -> tuple[Response, Exception | None]:
        """:meth:`_serve_sync` for an ``async def`` view in an app with hooks, every
        step on the event loop: async hooks and handlers awaited, sync ones called
        directly. ``receive_body`` (the adapter's) is awaited first, its HTTP
        errors handled as the view's."""
        try:
            try:
                if _signal_gate.active is not None:
                    _signal_gate.active.send_request_started(self)
                if receive_body is not None:
                    await receive_body()
                rv = None
                self._run_url_value_preprocessors()
                for hook in self._before_request_functions():
                    rv = await call_on_loop(hook)
                    if rv is not None:
                        break
                if rv is None:
                    request = context.request
                    assert request is not None
                    rv = await view(**(request.view_args or {}))
            except Exception as exception:
                rv = await self._handle_user_exception_async(exception)
            return await self._finalize_async(rv), None
        except Exception as exception:
            return await self._handle_exception_async(exception), exception

    def _serve_in_worker(
        self, context: Context, transport: LoopTransport
    ) -> tuple[Response, Exception | None, Any, bool]:
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
            response, error = self._serve_sync(context)
            encoded = transport.encode_buffered(response)
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
                    self._teardown(context, error)

    async def _handle_user_exception_async(self, error: Exception) -> Any:
        if is_http_exception(error) and not self.trap_http_exception(error):
            if error.code is None or isinstance(error, RequestRedirect):
                return error
            handler = self._find_error_handler(error)
            return error if handler is None else await call_on_loop(handler, error)
        handler = self._find_error_handler(error)
        if handler is None:
            raise error
        return await call_on_loop(handler, error)

    async def _finalize_async(self, rv: Any, from_error_handler: bool = False) -> Response:
        response = self.make_response(rv)
        try:
            for function in current_context().after_request_functions:
                # Per-request closures: checked directly, never cached.
                if inspect.iscoroutinefunction(function):
                    response = await function(response)
                else:
                    response = function(response)
            for function in self._after_request_functions():
                response = await call_on_loop(function, response)
            save_opened_session(self, current_context(), response)
            if _signal_gate.active is not None:
                _signal_gate.active.send_request_finished(self, response)
        except Exception:
            if not from_error_handler:
                response.close()  # the view's body (a generator, a file) is released
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response

    async def _handle_exception_async(self, error: Exception) -> Response:
        if _signal_gate.active is not None:
            _signal_gate.active.send_got_request_exception(self, error)
        if self._shows_traceback_page():
            return self._traceback_page(error)
        server_error: Any = self._server_error(error)
        handler = self._find_error_handler(server_error)
        if handler is not None:
            server_error = await call_on_loop(handler, server_error)
        return await self._finalize_async(server_error, from_error_handler=True)

    # -- return values --------------------------------------------------------------

    def make_response(self, rv: Any) -> Response:
        """Turn a view's return value into a response, with Flask's rules and messages."""
        status: Any = None
        headers: Any = None
        response_class = self.response_class
        # PERF: the common cases (a response or a string) are tested first.
        if type(rv) is response_class:
            return rv
        if type(rv) is str:
            if response_class._plain_text_init:
                return response_class._from_text(rv)
            return response_class(rv)
        if type(rv) is tuple and 2 <= len(rv) <= 3 and type(rv[0]) is str:
            # PERF: ("body", 201) and ("body", 200, {...}): the constructor takes
            # the status and headers, as the general path below does for a str.
            if len(rv) == 3:
                return response_class(rv[0], status=rv[1], headers=rv[2])
            if type(rv[1]) is int:
                if response_class._plain_text_init:
                    return response_class._from_text(rv[0], rv[1])
                return response_class(rv[0], status=rv[1])
        if isinstance(rv, tuple):
            length = len(rv)
            if length == 3:
                rv, status, headers = rv
            elif length == 2:
                if isinstance(rv[1], (Headers, dict, tuple, list)):
                    rv, headers = rv
                else:
                    rv, status = rv
            else:
                raise TypeError(_INVALID_TUPLE)
        if rv is None:
            request = current_context().request
            endpoint = request.endpoint if request is not None else None
            raise TypeError(
                f"The view function for {endpoint!r} did not return a valid response. The"
                " function either returned None or ended without a return statement."
            )
        if not isinstance(rv, response_class):
            if isinstance(rv, (str, bytes, bytearray, Iterator)) or is_async_body(rv):
                rv = response_class(rv, status=status, headers=headers)
                status = headers = None
            elif isinstance(rv, (dict, list)):
                rv = self.json.response(rv)
            elif isinstance(rv, HTTPException):
                if type(rv).get_response.__module__ == _EXCEPTIONS_MODULE:
                    # The request stands in for its environ (as in Werkzeug),
                    # which is then built only if a page method reads it.
                    rv = rv.get_response(current_context().request)
                else:
                    rv = rv.get_response(_request_environ())
                if not isinstance(rv, response_class):
                    rv = response_class.force_type(rv, _request_environ())
            elif isinstance(rv, Response) or callable(rv):
                try:
                    rv = response_class.force_type(rv, _request_environ())
                except TypeError as error:
                    raise TypeError(
                        f"{error}\n" + _INVALID_TYPE.format(type_name=type(rv).__name__)
                    ).with_traceback(sys.exc_info()[2]) from None
            else:
                raise TypeError(_INVALID_TYPE.format(type_name=type(rv).__name__))
        if status is not None:
            if isinstance(status, (str, bytes, bytearray)):
                rv.status = status.decode("latin-1") if not isinstance(status, str) else status
            else:
                rv.status_code = status
        if headers:
            rv.headers.update(headers)
        return cast(Response, rv)

    # -- sync / async -----------------------------------------------------------------

    def ensure_sync(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap an ``async def`` function so sync dispatch can call it."""
        if is_async(function):
            return self.async_to_sync(function)
        return function

    def async_to_sync(self, function: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        """A sync callable that runs ``function`` to completion (see :func:`run_coroutine_sync`)."""

        def run(*args: Any, **kwargs: Any) -> Any:
            return run_coroutine_sync(function(*args, **kwargs))

        return run


def _request_environ() -> dict[str, Any] | None:
    request = current_context().request
    return None if request is None else request.environ


def release_request(context: Context) -> None:
    """Free what a finished request holds: its uploaded files and the environ link."""
    # The request only if it was made (reading context.request would make it):
    # the environ -> request reference is broken and uploaded files closed,
    # so both are freed by reference counting, not by the cyclic collector.
    request = context._request
    if request is not None:
        request._release_environ()
        request.close()
