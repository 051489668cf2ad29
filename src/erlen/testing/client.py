"""The test client: builds a request, runs the app over WSGI or ASGI, wraps the response.

:class:`ErlenClient` keeps a cookie jar between requests and follows redirects.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from erlen.errors import ArgumentTypeError, CookieValueError, describe
from erlen.testing.asgi_runner import run_asgi_app
from erlen.testing.cookies import (
    Cookie,
    _clock,
    _format_set_cookie,
    _is_secure_channel,
    _request_host_and_path,
)
from erlen.testing.environ_builder import (
    PRESERVE_CONTEXT_KEY,
    Environ,
    EnvironBuilder,
    HeaderList,
    build_environ,
)
from erlen.testing.response import TestResponse, test_response_class, wrap_response
from erlen.testing.wsgi_runner import run_wsgi_app

if TYPE_CHECKING:
    from erlen.sessions import SessionMixin


class ClientRedirectError(Exception):
    """``follow_redirects`` met the same redirect (location and code) twice."""


_REDIRECT_CODES = frozenset({301, 302, 303, 305, 307, 308})
_BODY_KEEPING_REDIRECTS = frozenset({307, 308})


class ErlenClient:
    """Sends requests to an app through its WSGI (or, with ``asgi=True``, ASGI) entry.

    Keeps cookies between requests (Path, Domain, Expires, Max-Age and Secure
    honoured), follows redirects on request, and as ``with client:`` keeps the
    context of the last request active until the block ends.
    """

    __test__ = False

    def __init__(
        self,
        application: Any,
        response_wrapper: type | None = None,
        use_cookies: bool = True,
        allow_subdomain_redirects: bool = False,
        asgi: bool = False,
    ) -> None:
        self.application = application
        #: Send requests through the app's ASGI entry (``await app(scope, receive, send)``).
        self.asgi = asgi
        if response_wrapper is None:
            response_wrapper = getattr(application, "response_class", None)
        self.response_wrapper = test_response_class(response_wrapper)
        self._cookies: dict[tuple[str, str, str], Cookie] | None = {} if use_cookies else None
        self.allow_subdomain_redirects = allow_subdomain_redirects
        from erlen import __version__

        self.environ_base: dict[str, Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"Erlen/{__version__}",
        }
        self.preserve_context = False
        self._new_contexts: list[Any] = []
        self._context_stack = ExitStack()

    # -- cookies -----------------------------------------------------------

    def _jar(self) -> dict[tuple[str, str, str], Cookie]:
        if self._cookies is None:
            raise ArgumentTypeError("cookies are disabled; create the client with use_cookies=True")
        return self._cookies

    def get_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> Cookie | None:
        """The stored cookie ``(domain, path, key)``, or ``None`` (also once expired)."""
        jar = self._jar()
        cookie = jar.get((domain, path, key))
        if cookie is not None and cookie.is_expired(_clock()):
            del jar[cookie.storage_key]
            return None
        return cookie

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        domain: str = "localhost",
        origin_only: bool = True,
        path: str = "/",
        **kwargs: Any,
    ) -> None:
        """Store a cookie as if a response to ``domain`` had set it."""
        jar = self._jar()
        header = _format_set_cookie(key, value, domain=domain, path=path, **kwargs)
        cookie = Cookie.from_set_cookie(domain, "/", header)
        if cookie is None:  # pragma: no cover - _format_set_cookie validated the key
            raise CookieValueError(f"cookie key {describe(key)} cannot be stored")
        cookie.origin_only = origin_only
        self._store_cookie(jar, cookie)

    def delete_cookie(
        self, key: str, *, domain: str = "localhost", path: str = "/", **kwargs: Any
    ) -> None:
        """Drop the cookie ``(domain, path, key)`` if it is stored."""
        self._jar().pop((domain, path, key), None)

    @staticmethod
    def _store_cookie(jar: dict[tuple[str, str, str], Cookie], cookie: Cookie) -> None:
        if cookie.is_expired(_clock()):
            jar.pop(cookie.storage_key, None)
        else:
            jar[cookie.storage_key] = cookie

    def _add_cookies_to_environ(self, environ: Environ) -> None:
        jar = self._cookies
        if jar is None:
            return
        host, path = _request_host_and_path(environ)
        secure = _is_secure_channel(environ, host)
        now = _clock()
        sent: list[str] = []
        for cookie in list(jar.values()):
            if cookie.is_expired(now):
                del jar[cookie.storage_key]
            elif cookie.matches(host, path, secure):
                sent.append(f"{cookie.key}={cookie.value}")
        if sent:
            environ["HTTP_COOKIE"] = "; ".join(sent)
        else:
            environ.pop("HTTP_COOKIE", None)

    def _update_cookies(self, environ: Mapping[str, Any], headers: HeaderList) -> None:
        jar = self._cookies
        if jar is None:
            return
        host, path = _request_host_and_path(environ)
        for name, value in headers:
            if name.lower() != "set-cookie":
                continue
            cookie = Cookie.from_set_cookie(host, path, value)
            # A Domain the request host is not inside is refused, as browsers do.
            if cookie is not None and cookie.matches_domain(host):
                self._store_cookie(jar, cookie)

    @contextmanager
    def session_transaction(self, *args: Any, **kwargs: Any) -> Iterator[SessionMixin]:
        """Open the session the next request would send, for reading or changing.

        Arguments are those of ``app.test_request_context``. Changes made in the
        ``with`` block are saved into the client's cookie jar at its end, so the
        next request (over WSGI or ASGI) carries them.
        """
        if self._cookies is None:
            raise ArgumentTypeError(
                "cookies are disabled, so there is no session; create the client"
                " with use_cookies=True"
            )
        app = self.application
        environ = build_environ(*args, app=app, **kwargs)
        self._add_cookies_to_environ(environ)
        interface = app.session_interface
        with app.request_context(environ) as context:
            session = interface.open_session(app, context.request)
        if session is None:
            raise RuntimeError(
                f"{type(interface).__name__}.open_session returned None: the session"
                " interface opened no session"
            )
        yield session
        if interface.is_null_session(session):
            return
        response = app.response_class()
        with app.request_context(environ):
            interface.save_session(app, session, response)
        self._update_cookies(
            environ, [("Set-Cookie", value) for value in response.headers.getlist("Set-Cookie")]
        )

    # -- requests ------------------------------------------------------------

    def _copy_environ(self, other: Mapping[str, Any]) -> Environ:
        merged = {**self.environ_base, **other}
        if self.preserve_context:
            merged[PRESERVE_CONTEXT_KEY] = self._new_contexts.append
        return merged

    def _environ_from_args(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Environ:
        first = args[0] if args else None
        if isinstance(first, EnvironBuilder):
            builder = copy.copy(first)
            builder.environ_base = self._copy_environ(first.environ_base or {})
            return builder.get_environ()
        if isinstance(first, dict):
            builder = EnvironBuilder.from_environ(
                first, app=self.application, environ_base=self._copy_environ({})
            )
            return builder.get_environ()
        if first is not None and not isinstance(first, str) and hasattr(first, "environ"):
            return self._copy_environ(first.environ)
        kwargs["environ_base"] = self._copy_environ(kwargs.get("environ_base") or {})
        builder = EnvironBuilder(*args, app=self.application, **kwargs)
        try:
            return builder.get_environ()
        finally:
            builder.close()

    def run_app(self, environ: Environ, buffered: bool) -> tuple[Iterable[bytes], str, HeaderList]:
        """The transport: run the app on ``environ`` over WSGI, or ASGI when ``asgi``."""
        if self.asgi:
            return run_asgi_app(self.application, environ, buffered=buffered)
        return run_wsgi_app(self.application, environ, buffered=buffered)

    def _make_request(self, environ: Environ) -> Any:
        request_class = getattr(self.application, "request_class", None)
        if request_class is None:
            request_class = importlib.import_module("erlen.wrappers").Request
        return request_class(environ)

    def _send(self, environ: Environ, buffered: bool) -> TestResponse:
        self._add_cookies_to_environ(environ)
        request = self._make_request(environ)
        body, status, headers = self.run_app(environ, buffered)
        self._update_cookies(environ, headers)
        response = wrap_response(self.response_wrapper, body, status, headers, request)
        provider = getattr(self.application, "json", None)
        if provider is not None and hasattr(response, "json_module"):
            response.json_module = provider
        return response

    def open(
        self, *args: Any, buffered: bool = False, follow_redirects: bool = False, **kwargs: Any
    ) -> TestResponse:
        """Send a request built from the arguments and return the app's response.

        ``args`` may also be a single environ dict, an :class:`EnvironBuilder`
        or a request object. With ``follow_redirects`` the final response is
        returned and ``response.history`` holds the redirects on the way.
        """
        environ = self._environ_from_args(args, kwargs)
        # Pop contexts kept from an earlier request in this `with` block.
        self._context_stack.close()
        response = self._send(environ, buffered)
        history: list[TestResponse] = []
        seen: set[tuple[str | None, int]] = set()
        if follow_redirects:
            while response.status_code in _REDIRECT_CODES:
                if not buffered:
                    # Run the body to its end so the app's cleanup code runs.
                    response.make_sequence()
                    response.close()
                entry = (response.location, response.status_code)
                if entry in seen:
                    raise ClientRedirectError(
                        f"Loop detected: A {entry[1]} redirect to {entry[0]} was already made."
                    )
                seen.add(entry)
                response.history = tuple(history)
                history.append(response)
                environ = self._redirect_environ(response, environ)
                response = self._send(environ, buffered)
            response.history = tuple(history)
        call_on_close = getattr(response, "call_on_close", None)
        if call_on_close is not None:
            # The request body may be a temporary file: close it with the response.
            call_on_close(environ["wsgi.input"].close)
        for context in self._new_contexts:
            self._context_stack.enter_context(context)
        self._new_contexts.clear()
        return response

    def _redirect_environ(self, response: TestResponse, previous: Environ) -> Environ:
        location = response.location
        if location is None:
            raise RuntimeError(
                f"cannot follow a {response.status_code} redirect that has no Location header"
            )
        scheme, netloc, path, query, _ = urlsplit(location)
        builder = EnvironBuilder.from_environ(previous, path=path, query_string=query)
        target_parts = netloc.partition(":")[0].split(".")
        source_parts = builder.server_name.split(".")
        if target_parts != [""]:
            builder.url_scheme = scheme
            builder.host = netloc
        else:
            target_parts = source_parts
        if target_parts != source_parts:
            if target_parts[-len(source_parts) :] != source_parts:
                raise RuntimeError("Following external redirects is not supported.")
            if not self.allow_subdomain_redirects:
                raise RuntimeError("Following subdomain redirects is not enabled.")
        root_parts = builder.script_root.split("/")
        if path.split("/")[: len(root_parts)] == root_parts:
            builder.path = path[len(builder.script_root) :]
        else:
            builder.path = path
            builder.script_root = ""
        stream = builder.input_stream
        if response.status_code in _BODY_KEEPING_REDIRECTS:
            # 307/308 resend the whole body, even if the app read it already.
            if stream is not None and stream.seekable():
                stream.seek(0)
        else:
            if builder.method != "HEAD":
                builder.method = "GET"
            if stream is not None:
                stream.close()
                builder.input_stream = None
            builder.headers.remove("Content-Type")
            builder.headers.remove("Content-Length")
            builder.headers.remove("Transfer-Encoding")
        builder.environ_base = self._copy_environ({})
        return builder.get_environ()

    def get(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method GET."""
        kwargs["method"] = "GET"
        return self.open(*args, **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method POST."""
        kwargs["method"] = "POST"
        return self.open(*args, **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method PUT."""
        kwargs["method"] = "PUT"
        return self.open(*args, **kwargs)

    def patch(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method PATCH."""
        kwargs["method"] = "PATCH"
        return self.open(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method DELETE."""
        kwargs["method"] = "DELETE"
        return self.open(*args, **kwargs)

    def head(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method HEAD."""
        kwargs["method"] = "HEAD"
        return self.open(*args, **kwargs)

    def options(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method OPTIONS."""
        kwargs["method"] = "OPTIONS"
        return self.open(*args, **kwargs)

    def trace(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method TRACE."""
        kwargs["method"] = "TRACE"
        return self.open(*args, **kwargs)

    def __enter__(self) -> ErlenClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        self._context_stack.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.application!r}>"


FlaskClient = ErlenClient
