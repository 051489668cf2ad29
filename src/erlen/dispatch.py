"""The request pipeline, written once for both protocols.

Everything between a routed request and its response lives here: before-request
hooks, the view, return-value conversion, after-request hooks, error handlers
and teardown. The sync form is Flask's overridable methods (``Erlen`` inherits
:class:`Pipeline`); the async form beside it serves an ``async def`` view under
ASGI and shares every rule with the sync one (handler lookup, return values,
propagation, logging). The WSGI and ASGI adapters call into this module and
re-implement none of its steps.

Where sync work runs under ASGI (see :meth:`Pipeline._runs_on_loop`): a request
whose view is ``async def`` runs on the event loop, its sync hooks called
directly; every other request that runs user code runs all of it in one worker
thread, where ``async def`` hooks are sent back to the loop. So a request makes
at most one thread hop.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

from erlen.ctx import Context, _cv_context, current_context
from erlen.exceptions import (
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
    RequestRedirect,
    default_exceptions,
    foreign_handler_key,
    handler_mro,
    is_http_exception,
)
from erlen.http.forwarded import proxy_fix_counts
from erlen.http.headers import Headers
from erlen.response import Response, is_async_body
from erlen.syncasync import _coroutine_flags, call_on_loop, is_async, run_coroutine_sync, run_sync

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
    """

    __slots__ = ("flat", "overrides", "proxy_fix", "teardown", "wsgi_middleware")

    def __init__(
        self,
        *,
        flat: bool,
        overrides: bool,
        teardown: bool,
        wsgi_middleware: bool,
        proxy_fix: tuple[int, int, int, int, int] | None = None,
    ) -> None:
        self.flat = flat
        self.overrides = overrides
        self.teardown = teardown
        self.wsgi_middleware = wsgi_middleware
        self.proxy_fix = proxy_fix

    def __repr__(self) -> str:
        flags = [name for name in self.__slots__ if getattr(self, name)]
        return f"<DispatchPlan {' '.join(flags) or 'plain'}>"


def _overridden(app: Any, names: tuple[str, ...]) -> bool:
    cls = type(app)
    return any(
        name in app.__dict__ or getattr(cls, name) is not getattr(Pipeline, name) for name in names
    )


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
        view_functions: dict[str, Callable[..., Any]]
        before_request_funcs: dict[HookKey, list[Callable[[], Any]]]
        after_request_funcs: dict[HookKey, list[Callable[[Any], Any]]]
        teardown_request_funcs: dict[HookKey, list[Callable[[BaseException | None], Any]]]
        teardown_appcontext_funcs: list[Callable[[BaseException | None], Any]]
        error_handler_spec: dict[HookKey, dict[int | None, dict[type[BaseException], Any]]]
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
        hooks = bool(self.before_request_funcs or self.after_request_funcs)
        proxy_fix = self.config.get("PROXY_FIX")
        plan = DispatchPlan(
            flat=not (overrides or hooks or self._force_general_dispatch),
            overrides=overrides,
            teardown=bool(self.teardown_request_funcs or self.teardown_appcontext_funcs),
            wsgi_middleware=self._wsgi_app_replaced(),
            proxy_fix=None if proxy_fix is None else proxy_fix_counts(proxy_fix),
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
        try:
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as exception:
            rv = self.handle_user_exception(exception)
        return self.finalize_request(rv)

    def preprocess_request(self) -> Any:
        """Run the ``before_request`` functions; the first non-None result wins."""
        functions = self.before_request_funcs.get(None)
        if functions:
            for function in functions:
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
        methods = self.url_map.allowed_methods(request.path)
        response = self.response_class()
        response.headers["Allow"] = ", ".join(sorted(methods))
        return response

    def finalize_request(self, rv: Any, from_error_handler: bool = False) -> Response:
        """Make the response and run the after-request functions on it."""
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
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
        functions = self.after_request_funcs.get(None)
        if functions:
            for function in reversed(functions):
                response = self.ensure_sync(function)(response)
        return response

    # -- errors ---------------------------------------------------------------------

    def _find_error_handler(self, error: BaseException) -> ErrorHandler | None:
        exception_class, code = exception_class_and_code(type(error))
        spec = self.error_handler_spec[None]
        for key in (code, None) if code is not None else (None,):
            handlers = spec.get(key)
            if not handlers:
                continue
            for klass in handler_mro(exception_class):
                handler = handlers.get(klass)
                if handler is not None:
                    return cast(ErrorHandler, handler)
        return None

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
        """An unhandled error: re-raised when propagating, else logged and answered with 500."""
        server_error: Any = self._server_error(error)
        handler = self._find_error_handler(server_error)
        if handler is not None:
            server_error = self.ensure_sync(handler)(server_error)
        return self.finalize_request(server_error, from_error_handler=True)

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
        """Run the ``teardown_request`` functions of the current request (last added first)."""
        functions = self.teardown_request_funcs.get(None)
        if functions:
            for function in reversed(functions):
                self.ensure_sync(function)(exc)

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        """Run the ``teardown_appcontext`` functions (last added first)."""
        for function in reversed(self.teardown_appcontext_funcs):
            self.ensure_sync(function)(exc)

    def _teardown(self, context: Context, error: BaseException | None) -> None:
        """End ``context``: teardown functions, then the request's resources."""
        if self.teardown_request_funcs or self.teardown_appcontext_funcs:
            token = _cv_context.set(context)
            try:
                if context.has_request:
                    self.do_teardown_request(error)
                self.do_teardown_appcontext(error)
            finally:
                _cv_context.reset(token)
        _release_request(context)

    async def _teardown_async(self, context: Context, error: BaseException | None) -> None:
        """:meth:`_teardown` from async code: async functions awaited, sync ones called."""
        if not (self.teardown_request_funcs or self.teardown_appcontext_funcs):
            _release_request(context)
            return
        if _overridden(self, ("do_teardown_request", "do_teardown_appcontext", "ensure_sync")):
            # Overridden sync methods may block or reach async functions
            # through ensure_sync: they get a worker thread.
            await run_sync(self._teardown, context, error)
            return
        token = _cv_context.set(context)
        try:
            if context.has_request:
                for function in reversed(self.teardown_request_funcs.get(None, ())):
                    await call_on_loop(function, error)
            for function in reversed(self.teardown_appcontext_funcs):
                await call_on_loop(function, error)
        finally:
            _cv_context.reset(token)
            _release_request(context)

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
            if context.after_request_functions:
                try:
                    response = self.process_response(response)
                except Exception:
                    response.close()
                    raise
            return response, None
        except Exception as exception:
            return self.handle_exception(exception), exception

    def _runs_on_loop(self, context: Context) -> Callable[..., Any] | None:
        """The ``async def`` view of an ASGI request whose steps run on the event loop.

        ``None``: the request runs its steps with the sync methods (in one worker
        thread when it runs any user code): its view is sync, it matched no view,
        or a dispatch method is overridden.
        """
        plan = self._plan or self._make_plan()
        if plan.overrides:
            return None
        pending = context.pending_request
        if pending is not None:
            rule, method = pending[1], pending[3]
        else:
            request = context._request
            assert request is not None
            if request.routing_exception is not None:
                return None
            rule, method = request.url_rule, request._method
        if rule.provide_automatic_options and method == "OPTIONS":
            return None
        view = self.view_functions.get(rule.endpoint)
        # PERF: is_async's cache read inline.
        if view is not None and (_coroutine_flags.get(view) or is_async(view)):
            return view
        return None

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
        self,
        context: Context,
        view: Callable[..., Any],
        receive_body: Callable[[], Awaitable[None]] | None = None,
    ) -> tuple[Response, Exception | None]:
        """:meth:`_serve_sync` for an ``async def`` view (see :meth:`_runs_on_loop`).

        The same steps and rules as the sync methods; async hooks and handlers
        are awaited, sync ones called directly on the loop. ``receive_body``
        (the adapter's) is awaited first, its HTTP errors handled as the view's.
        """
        plan = self._plan or self._make_plan()
        try:
            if plan.flat:
                pending = context.pending_request
                view_args: Any = (
                    pending[2] if pending is not None else context._request.view_args  # type: ignore[union-attr]
                )
                try:
                    if receive_body is not None:
                        await receive_body()
                    rv = await view(**view_args)
                except Exception as exception:
                    rv = await self._handle_user_exception_async(exception)
                    if rv is exception:
                        exception.__traceback__ = None
                if context.after_request_functions:
                    return await self._finalize_async(rv), None
                return self.make_response(rv), None
            try:
                if receive_body is not None:
                    await receive_body()
                rv = None
                for hook in self.before_request_funcs.get(None, ()):
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
            for function in reversed(self.after_request_funcs.get(None, ())):
                response = await call_on_loop(function, response)
        except Exception:
            if not from_error_handler:
                response.close()  # the view's body (a generator, a file) is released
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response

    async def _handle_exception_async(self, error: Exception) -> Response:
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


def _release_request(context: Context) -> None:
    # The request only if it was made (reading context.request would make it):
    # the environ -> request reference is broken and uploaded files closed,
    # so both are freed by reference counting, not by the cyclic collector.
    request = context._request
    if request is not None:
        request._release_environ()
        request.close()


def exception_class_and_code(
    exception_or_code: type[BaseException] | int,
) -> tuple[type[BaseException], int | None]:
    """The exception class and HTTP status code a handler is registered (or looked up) for."""
    exception_class: type[BaseException]
    if isinstance(exception_or_code, int):
        try:
            exception_class = default_exceptions[exception_or_code]
        except KeyError:
            raise ValueError(
                f"'{exception_or_code}' is not a recognized HTTP error code. Use a"
                " subclass of HTTPException with that code instead."
            ) from None
    else:
        exception_class = exception_or_code
    if isinstance(exception_class, BaseException):
        raise TypeError(
            f"{exception_class!r} is an instance, not a class. Handlers can only be"
            " registered for Exception classes or HTTP error codes."
        )
    if not isinstance(exception_class, type) or not issubclass(exception_class, Exception):
        raise ValueError(
            f"'{getattr(exception_class, '__name__', exception_class)}' is not a subclass"
            " of Exception. Handlers can only be registered for Exception classes or HTTP"
            " error codes."
        )
    if issubclass(exception_class, HTTPException):
        return exception_class, exception_class.code
    return foreign_handler_key(exception_class)
