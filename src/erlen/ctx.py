"""Context-local state: the current app, request and ``g``, kept in contextvars.

A contextvar follows a request across ``await`` and into the thread that runs
a sync view under ASGI (the adapter copies the context), so ``request`` means
the same thing on both protocols.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar, cast

from erlen import _current, _signal_gate
from erlen.http.body import ClosesOnce

if TYPE_CHECKING:
    from erlen.app import Erlen
    from erlen.response import Response
    from erlen.sessions import SessionMixin
    from erlen.wrappers import Request

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class _AppGlobals:
    """The ``g`` namespace: plain attributes with a few dict-like helpers."""

    if TYPE_CHECKING:
        # Any attribute may be stored on ``g``; tell type checkers so.
        def __getattr__(self, name: str) -> Any: ...

        def __setattr__(self, name: str, value: Any) -> None: ...

    def get(self, name: str, default: Any = None) -> Any:
        return self.__dict__.get(name, default)

    def pop(self, name: str, *default: Any) -> Any:
        return self.__dict__.pop(name, *default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        return self.__dict__.setdefault(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        return f"<erlen.g of {_cv_context.get().app.import_name!r}>"


# PERF: shared empty list until after_this_request adds the first function.
_NO_FUNCTIONS: list[Any] = []


class Context:
    """What one request (or one ``app.app_context()`` block) can see.

    The request object may be made on first use: the protocol adapters route
    a request from its method and path alone and store what making the
    :class:`~erlen.wrappers.Request` needs in ``pending_request`` (PERF: many
    views never read ``request``).
    """

    __slots__ = (
        "_flashes",  # set by get_flashed_messages only (PERF: not in __init__)
        "_g",
        "_request",
        "_session",
        "after_request_functions",
        "app",
        "depth",
        "pending_request",
    )

    #: What get_flashed_messages took from the session in this request.
    _flashes: list[Any]

    def __init__(self, app: Erlen, request: Request | None = None) -> None:
        self.app = app
        self._request = request
        #: ``(make, rule, view_args, method, path, source, body)`` of a request
        #: routed without its object; ``make(app, method, path, source, body)``.
        self.pending_request: tuple[Any, ...] | None = None
        # PERF: most requests never touch ``g``; it is made on first use.
        self._g: _AppGlobals | None = None
        # The session, opened on first use of ``erlen.session`` (see erlen.sessions);
        # the pipeline saves it only when it is not None.
        self._session: SessionMixin | None = None
        self.after_request_functions: list[Callable[[Response], Response]] = _NO_FUNCTIONS
        # How many holders keep the context alive (the dispatch, a
        # stream_with_context body, a ``with`` block): teardown runs at zero.
        self.depth = 0

    @property
    def request(self) -> Request | None:
        """The request of this context (made now if it was routed without one)."""
        request = self._request
        if request is None and self.pending_request is not None:
            make, rule, view_args, method, path, source, body = self.pending_request
            self.pending_request = None
            request = make(self.app, method, path, source, body)
            request.url_rule = rule
            request.view_args = view_args
            self._request = request
        return request

    @request.setter
    def request(self, value: Request | None) -> None:
        self._request = value
        self.pending_request = None

    @property
    def has_request(self) -> bool:
        """Whether this is a request's context (the request made yet or not)."""
        return self._request is not None or self.pending_request is not None

    @property
    def environ(self) -> dict[str, Any]:
        """The environ of this context's request (the send rules read it lazily)."""
        request = self.request
        if request is None:
            raise RuntimeError("this context has no request")
        return request.environ

    @property
    def g(self) -> _AppGlobals:
        """This context's ``g`` namespace."""
        if self._g is None:
            self._g = _AppGlobals()
        return self._g


# The contextvar and its two readers live in erlen._current, where the layers
# below the app read them; here they are typed with this module's Context.
_cv_context = cast("ContextVar[Context]", _current.context_var)
current_context = cast("Callable[[], Context]", _current.current_context)
current_app_or_none = cast("Callable[[], Erlen | None]", _current.current_app_or_none)
# PERF: the contextvar's methods bound once. On CPython 3.11, ``name.method()``
# on an imported name is compiled as an attribute load (not a method call),
# which is not specialized and makes a bound method per call.
set_context = _cv_context.set
reset_context = _cv_context.reset

if TYPE_CHECKING:

    def _gives_what_the_lower_layers_read(context: Context) -> _current.CurrentContext:
        return context  # mypy checks Context (and Erlen) against the protocols


def has_request_context() -> bool:
    """True inside a request (a view, a hook, a test request context)."""
    context = _cv_context.get(None)
    return context is not None and context.request is not None


def has_app_context() -> bool:
    """True inside an app context (which every request context also is)."""
    return _cv_context.get(None) is not None


def _get_request() -> Request:
    context = _cv_context.get(None)
    if context is None or context.request is None:
        raise RuntimeError(
            "Working outside of request context: 'request' is only available while"
            " a request is handled. Use 'with app.test_request_context():' in tests."
        )
    return context.request


class _Proxy:
    """Forwards every operation to the object returned by ``resolve``."""

    __slots__ = ("_resolve",)

    def __init__(self, resolve: Callable[[], Any]) -> None:
        object.__setattr__(self, "_resolve", resolve)

    def _get_current_object(self) -> Any:
        return self._resolve()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resolve(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._resolve(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._resolve(), name)

    def __repr__(self) -> str:
        try:
            return repr(self._resolve())
        except RuntimeError:
            return "<unbound erlen proxy>"

    def __bool__(self) -> bool:
        try:
            return bool(self._resolve())
        except RuntimeError:
            return False

    def __eq__(self, other: object) -> bool:
        return bool(self._resolve() == other)

    def __ne__(self, other: object) -> bool:
        return bool(self._resolve() != other)

    __hash__ = None  # type: ignore[assignment]

    def __contains__(self, item: object) -> bool:
        return item in self._resolve()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._resolve())

    def __getitem__(self, key: Any) -> Any:
        return self._resolve()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._resolve()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._resolve()[key]

    def __len__(self) -> int:
        return len(self._resolve())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._resolve()(*args, **kwargs)


def _get_session() -> SessionMixin:
    context = _cv_context.get(None)
    if context is None:
        raise RuntimeError(
            "Working outside of request context: 'session' is only available while"
            " a request is handled. Use 'with app.test_request_context():' in tests."
        )
    session = context._session
    if session is None:
        from erlen.sessions import open_session

        session = context._session = open_session(context)
    # Any use of the proxy counts as reading the session (Flask 3.1.3): the
    # response then varies by Cookie (CVE-2023-30861, CVE-2026-27205).
    session.accessed = True
    return session


request = cast("Request", _Proxy(_get_request))
current_app = cast("Erlen", _Proxy(lambda: current_context().app))
g = cast(_AppGlobals, _Proxy(lambda: current_context().g))
session = cast("SessionMixin", _Proxy(_get_session))


def after_this_request(function: Callable[[Response], Response]) -> Callable[[Response], Response]:
    """Run ``function`` on this request's response, after the view returns."""
    context = _cv_context.get(None)
    if context is None or context.request is None:
        raise RuntimeError("'after_this_request' can only be used while a request is handled.")
    if context.after_request_functions is _NO_FUNCTIONS:
        context.after_request_functions = []
    context.after_request_functions.append(function)
    return function


class _ContextStream(ClosesOnce, Iterator[Any]):
    """Runs each step of a body iterator inside the request's context.

    The request ends (teardown) when the stream is exhausted or closed, not when
    the view returns, so a streamed body can still read ``request`` and ``g``.
    """

    __slots__ = ("_context", "_error", "_iterator", "_source")

    def __init__(self, context: Context, source: Iterable[Any]) -> None:
        self._context = context
        self._source = source
        self._iterator = iter(source)
        self._closed = False
        # The error the body raised, for teardown (dropped once told).
        self._error: BaseException | None = None
        context.depth += 1

    def __iter__(self) -> _ContextStream:
        return self

    def __next__(self) -> Any:
        token = _cv_context.set(self._context)
        try:
            return next(self._iterator)
        except StopIteration:
            self.close()
            raise
        except BaseException as error:
            self._error = error
            self.close()
            raise
        finally:
            _cv_context.reset(token)

    def _release(self) -> None:
        error, self._error = self._error, None
        token = _cv_context.set(self._context)
        try:
            close = getattr(self._iterator, "close", None)
            if close is not None:
                close()
        finally:
            _cv_context.reset(token)
            self._context.depth -= 1
            if self._context.depth == 0:
                self._context.app._teardown(self._context, error)


class _AsyncContextStream(AsyncIterator[Any]):
    """The async twin of :class:`_ContextStream`, for async generator bodies."""

    __slots__ = ("_closed", "_context", "_iterator")

    def __init__(self, context: Context, source: AsyncIterable[Any]) -> None:
        self._context = context
        self._iterator = source.__aiter__()
        self._closed = False
        context.depth += 1

    def __aiter__(self) -> _AsyncContextStream:
        return self

    async def __anext__(self) -> Any:
        token = _cv_context.set(self._context)
        try:
            return await self._iterator.__anext__()
        except StopAsyncIteration:
            await self.aclose()
            raise
        except BaseException as error:
            await self.aclose(error)
            raise
        finally:
            _cv_context.reset(token)

    async def aclose(self, error: BaseException | None = None) -> None:
        if self._closed:
            return
        self._closed = True
        token = _cv_context.set(self._context)
        try:
            aclose = getattr(self._iterator, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            _cv_context.reset(token)
            self._context.depth -= 1
            if self._context.depth == 0:
                # Awaited on the loop that drives the body: a sync teardown
                # call could not run async teardown functions from here.
                await self._context.app._teardown_async(self._context, error)


def stream_with_context(
    generator_or_function: Iterable[Any] | AsyncIterable[Any] | Callable[..., Any],
) -> Any:
    """Keep the request context active while a streamed body is produced.

    Accepts an iterable or async iterable (usually a generator), or decorates a
    generator function (sync or async).
    """
    if not isinstance(generator_or_function, (Iterable, AsyncIterable)):
        function = generator_or_function

        def decorated(*args: Any, **kwargs: Any) -> Iterator[Any]:
            return stream_with_context(function(*args, **kwargs))  # type: ignore[no-any-return]

        return decorated
    context = _cv_context.get(None)
    if context is None or context.request is None:
        raise RuntimeError(
            "'stream_with_context' can only be used when a request context is active,"
            " such as in a view function."
        )
    if isinstance(generator_or_function, AsyncIterable):
        return _AsyncContextStream(context, generator_or_function)
    return _ContextStream(context, generator_or_function)


class _ContextManager:
    """Pushes a context on enter and runs teardown on exit (``with app.app_context():``)."""

    __slots__ = ("_app", "_context", "_tokens")

    def __init__(self, app: Erlen, context: Context) -> None:
        self._app = app
        self._context = context
        self._tokens: list[Any] = []

    def push(self) -> None:
        self._context.depth += 1
        self._tokens.append(_cv_context.set(self._context))
        if _signal_gate.active is not None:
            _signal_gate.active.send_appcontext_pushed(self._app)

    def pop(self, exc: BaseException | None = None) -> None:
        self._context.depth -= 1
        if self._context.depth == 0:
            self._app._teardown(self._context, exc)
        _cv_context.reset(self._tokens.pop())

    def __enter__(self) -> Context:
        self.push()
        return self._context

    def __exit__(self, exc_type: Any, exc_value: BaseException | None, tb: Any) -> None:
        self.pop(exc_value)


def copy_current_request_context(function: F) -> F:
    """Decorate ``function`` so it runs in the current request's context when called
    later (from a thread, say), as Flask's decorator does.

    As in Flask, the function sees the same ``request`` and ``session`` and a
    fresh ``g``, and the teardown functions run when it returns.
    """
    context = _cv_context.get(None)
    if context is None or context.request is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a request context is"
            " active, such as in a view function."
        )

    request = context.request
    session = context._session

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # As Flask's copy of the request context: the same request and session,
        # a fresh ``g``, and teardown when the function is done.
        copy = Context(context.app, request)
        copy._session = session
        with _ContextManager(context.app, copy):
            return function(*args, **kwargs)

    return cast(F, wrapper)
