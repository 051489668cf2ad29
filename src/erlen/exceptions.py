"""HTTP errors as exceptions: raise one in a view and the client gets its page.

Every class mirrors the one of the same name in ``werkzeug.exceptions`` (same
``code``, reason ``name``, headers and HTML page shape), so Flask code that
imports, raises or catches them works unchanged. The default description
sentences are erlen's own. Each exception is also a WSGI app.
"""

from __future__ import annotations

import datetime as _datetime
import sys
from collections.abc import Iterable
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeGuard

from erlen.errors import HeaderValueError, LocationValueError, describe
from erlen.http.errors import BadRequest, BadRequestKeyError, HTTPException, RequestEntityTooLarge

if TYPE_CHECKING:
    from erlen.response import Response

    WSGIEnvironment = dict[str, Any]
    StartResponse = Any

__all__ = [
    "Aborter",
    "BadGateway",
    "BadHost",
    "BadRequest",
    "BadRequestKeyError",
    "ClientDisconnected",
    "Conflict",
    "ExpectationFailed",
    "FailedDependency",
    "Forbidden",
    "GatewayTimeout",
    "Gone",
    "HTTPException",
    "HTTPVersionNotSupported",
    "ImATeapot",
    "InternalServerError",
    "LengthRequired",
    "Locked",
    "MethodNotAllowed",
    "MisdirectedRequest",
    "NotAcceptable",
    "NotFound",
    "NotImplemented",
    "PreconditionFailed",
    "PreconditionRequired",
    "RequestEntityTooLarge",
    "RequestHeaderFieldsTooLarge",
    "RequestRedirect",
    "RequestTimeout",
    "RequestURITooLarge",
    "RequestedRangeNotSatisfiable",
    "SecurityError",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnavailableForLegalReasons",
    "UnprocessableEntity",
    "UnsupportedMediaType",
    "abort",
    "default_exceptions",
]

_UNSAFE = ("\r", "\n", "\0")


def _header_text(field: str, value: object) -> str:
    """``str(value)``, refused when it would split or end the header line."""
    text = str(value)
    for char in _UNSAFE:
        if char in text:
            raise HeaderValueError(f"{field} must not contain CR, LF or NUL: {describe(value)}")
    return text


class ClientDisconnected(BadRequest):
    """The client went away while its request was being read."""


class SecurityError(BadRequest):
    """A 400 raised when the request trips a security check."""


class BadHost(BadRequest):
    """A 400 raised when the Host header is malformed."""


class Unauthorized(HTTPException):
    """401: authentication is needed; ``www_authenticate`` sets WWW-Authenticate."""

    code = 401
    description = (
        "Access to this URL requires valid credentials, and none were accepted."
        " Check the user name and password, or sign in and try again."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        www_authenticate: Any = None,
    ) -> None:
        super().__init__(description, response)
        if www_authenticate is not None and (
            isinstance(www_authenticate, str) or not isinstance(www_authenticate, Iterable)
        ):
            www_authenticate = (www_authenticate,)
        if www_authenticate:
            for item in www_authenticate:
                _header_text("WWW-Authenticate", item)
        self.www_authenticate = www_authenticate

    def get_headers(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        headers = super().get_headers(environ, scope)
        if self.www_authenticate:
            headers.extend(
                ("WWW-Authenticate", _header_text("WWW-Authenticate", item))
                for item in self.www_authenticate
            )
        return headers


class Forbidden(HTTPException):
    """403: the client is known but may not access this resource."""

    code = 403
    description = "You are not allowed to access this resource."


class NotFound(HTTPException):
    """404: nothing exists at this URL."""

    code = 404
    description = "Nothing was found at this URL. If you typed the address, check it for mistakes."


class MethodNotAllowed(HTTPException):
    """405: the URL exists but not for this method; ``valid_methods`` sets Allow."""

    code = 405
    description = "This URL does not accept the request method that was used."

    def __init__(
        self,
        valid_methods: Iterable[str] | None = None,
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description=description, response=response)
        if valid_methods is not None:
            valid_methods = list(valid_methods)
            for method in valid_methods:
                _header_text("Allow", method)
        self.valid_methods = valid_methods

    def get_headers(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        headers = super().get_headers(environ, scope)
        if self.valid_methods:
            headers.append(("Allow", _header_text("Allow", ", ".join(self.valid_methods))))
        return headers


class NotAcceptable(HTTPException):
    """406: no representation matches the request's Accept headers."""

    code = 406
    description = "The resource cannot be returned in any format the request accepts."


class RequestTimeout(HTTPException):
    """408: the client took too long to send its request."""

    code = 408
    description = "The request was not completed in time, so the server stopped waiting."


class Conflict(HTTPException):
    """409: the request conflicts with the resource's current state."""

    code = 409
    description = "The request conflicts with the current state of the resource."


class Gone(HTTPException):
    """410: the resource existed once and was removed for good."""

    code = 410
    description = "This resource has been removed permanently and has no new address."


class LengthRequired(HTTPException):
    """411: a request body was sent without a Content-Length."""

    code = 411
    description = "This request must state the length of its body in Content-Length."


class PreconditionFailed(HTTPException):
    """412: an If-Match / If-Unmodified-Since condition did not hold."""

    code = 412
    description = "A condition given in the request headers did not hold."


class RequestURITooLarge(HTTPException):
    """414: the URL is longer than the server accepts."""

    code = 414
    description = "The requested URL is longer than this server accepts."


class UnsupportedMediaType(HTTPException):
    """415: the request body's media type is not supported."""

    code = 415
    description = "The media type of the request body is not supported here."


class RequestedRangeNotSatisfiable(HTTPException):
    """416: the Range asked for lies outside the resource; ``length`` sets Content-Range."""

    code = 416
    description = "The requested range lies outside the resource."

    def __init__(
        self,
        length: int | None = None,
        units: str = "bytes",
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description=description, response=response)
        _header_text("Content-Range units", units)
        self.length = length
        self.units = units

    def get_headers(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        headers = super().get_headers(environ, scope)
        if self.length is not None:
            value = f"{self.units} */{self.length}"
            headers.append(("Content-Range", _header_text("Content-Range", value)))
        return headers


class ExpectationFailed(HTTPException):
    """417: the server cannot satisfy the request's Expect header."""

    code = 417
    description = "The expectation stated in the Expect header cannot be met."


class ImATeapot(HTTPException):
    """418: the server is a teapot (RFC 2324)."""

    code = 418
    description = "This server only brews tea."


class MisdirectedRequest(HTTPException):
    """421: this server cannot answer for the requested host."""

    code = 421
    description = "This server cannot produce a response for the requested host."


class UnprocessableEntity(HTTPException):
    """422: the request is well formed but its content is invalid."""

    code = 422
    description = "The request was understood, but its content could not be processed."


class Locked(HTTPException):
    """423: the resource is locked."""

    code = 423
    description = "The resource is locked."


class FailedDependency(HTTPException):
    """424: the action depended on another action that failed."""

    code = 424
    description = "The action could not run because an action it depends on failed."


class PreconditionRequired(HTTPException):
    """428: the request must be conditional (If-Match / If-Unmodified-Since)."""

    code = 428
    description = "This request must be conditional: send If-Match or If-Unmodified-Since."


class _RetryAfter(HTTPException):
    """An error that may tell the client when to retry (``retry_after``)."""

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        retry_after: _datetime.datetime | int | None = None,
    ) -> None:
        super().__init__(description, response)
        if retry_after and not isinstance(retry_after, _datetime.datetime):
            _header_text("Retry-After", retry_after)
        self.retry_after = retry_after

    def get_headers(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        headers = super().get_headers(environ, scope)
        retry_after = self.retry_after
        if retry_after:
            if isinstance(retry_after, _datetime.datetime):
                if retry_after.tzinfo is None:
                    retry_after = retry_after.replace(tzinfo=_datetime.timezone.utc)
                else:
                    retry_after = retry_after.astimezone(_datetime.timezone.utc)
                value = format_datetime(retry_after, usegmt=True)
            else:
                value = _header_text("Retry-After", retry_after)
            headers.append(("Retry-After", value))
        return headers


class TooManyRequests(_RetryAfter):
    """429: the client sent too many requests; ``retry_after`` sets Retry-After."""

    code = 429
    description = "Too many requests were sent in too short a time. Wait, then try again."


class RequestHeaderFieldsTooLarge(HTTPException):
    """431: a header, or all headers together, are too large."""

    code = 431
    description = "The request headers are larger than this server accepts."


class UnavailableForLegalReasons(HTTPException):
    """451: access is denied because of a legal demand."""

    code = 451
    description = "This resource cannot be served for legal reasons."


class InternalServerError(HTTPException):
    """500: the application failed; ``original_exception`` holds the cause."""

    code = 500
    description = (
        "Something went wrong inside the application and the request could not be completed."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        original_exception: BaseException | None = None,
    ) -> None:
        self.original_exception = original_exception
        super().__init__(description=description, response=response)


class NotImplemented(HTTPException):  # shadows the builtin, as Werkzeug does
    """501: the server does not support the requested action."""

    code = 501
    description = "The server does not support the requested action."


class BadGateway(HTTPException):
    """502: an upstream server sent an invalid response."""

    code = 502
    description = "An upstream server sent a response that could not be used."


class ServiceUnavailable(_RetryAfter):
    """503: the service is down for now; ``retry_after`` sets Retry-After."""

    code = 503
    description = "The service is unavailable for now, for maintenance or overload. Try later."


class GatewayTimeout(HTTPException):
    """504: an upstream server did not answer in time."""

    code = 504
    description = "An upstream server did not answer in time."


class HTTPVersionNotSupported(HTTPException):
    """505: the request's HTTP version is not supported."""

    code = 505
    description = "The HTTP version of the request is not supported."


class RequestRedirect(HTTPException):
    """308 raised by routing: the same resource lives at ``new_url``."""

    code = 308

    def __init__(self, new_url: str) -> None:
        _check_location(new_url)
        super().__init__(new_url)
        self.new_url = new_url

    def get_response(
        self, environ: WSGIEnvironment | Any | None = None, scope: dict[str, Any] | None = None
    ) -> Response:
        """A 308 response with ``Location: new_url`` and a short HTML page.

        Built as :func:`erlen.redirect` builds it, as Werkzeug builds it with its
        ``redirect``: the same page, and Location after Content-Length.
        """
        from erlen.redirects import redirect_response
        from erlen.response import Response

        return redirect_response(_check_location(self.new_url), self.code, Response)


def _check_location(location: str) -> str:
    for char in _UNSAFE:
        if char in location:
            raise LocationValueError(
                f"redirect new_url must not contain CR, LF or NUL: {describe(location)}"
            )
    return location


# code -> the class abort() raises for it (the base class where several share a code)
default_exceptions: dict[int, type[HTTPException]] = {
    int(cls.code or 0): cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        NotAcceptable,
        RequestTimeout,
        Conflict,
        Gone,
        LengthRequired,
        PreconditionFailed,
        RequestEntityTooLarge,
        RequestURITooLarge,
        UnsupportedMediaType,
        RequestedRangeNotSatisfiable,
        ExpectationFailed,
        ImATeapot,
        MisdirectedRequest,
        UnprocessableEntity,
        Locked,
        FailedDependency,
        PreconditionRequired,
        TooManyRequests,
        RequestHeaderFieldsTooLarge,
        UnavailableForLegalReasons,
        InternalServerError,
        NotImplemented,
        BadGateway,
        ServiceUnavailable,
        GatewayTimeout,
        HTTPVersionNotSupported,
    )
}


class Aborter:
    """Raises the exception registered for a code; a response is raised wrapped."""

    def __init__(
        self,
        mapping: dict[int, type[HTTPException]] | None = None,
        extra: dict[int, type[HTTPException]] | None = None,
    ) -> None:
        self.mapping = dict(default_exceptions if mapping is None else mapping)
        if extra is not None:
            self.mapping.update(extra)

    def __call__(self, code: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
        # an int subclass (http.HTTPStatus) looks up like its int value
        exception_class = self.mapping.get(code) if isinstance(code, int) else None
        if exception_class is not None:
            raise exception_class(*args, **kwargs)
        if _is_response(code):
            raise HTTPException(response=code)  # type: ignore[arg-type]
        raise LookupError(f"no exception for {code!r}")


def _is_response(value: object) -> bool:
    from erlen.response import Response

    return isinstance(value, Response)


_aborter = Aborter()


def abort(status: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
    """Raise the HTTPException for ``status``, or one wrapping a given Response.

    Extra arguments go to the exception (``abort(404, 'No such user')``); an
    unknown code raises ``LookupError``.
    """
    _aborter(status, *args, **kwargs)


# -- Werkzeug's exceptions, raised by an app that imports them -----------------
#
# erlen never imports Werkzeug. When the app has (it is then in sys.modules),
# its HTTP exceptions are read as erlen's: a Werkzeug class stands for the
# erlen class of the same name when handlers are registered and looked up, so
# a handler for erlen's NotFound, for 404 or for Werkzeug's NotFound catches
# both. These run only on the error path.

_WERKZEUG_EXCEPTIONS = "werkzeug.exceptions"


def _werkzeug_base() -> type[Exception] | None:
    module = sys.modules.get(_WERKZEUG_EXCEPTIONS)
    return None if module is None else getattr(module, "HTTPException", None)


def is_http_exception(error: object) -> TypeGuard[HTTPException]:
    """True for an HTTP exception of erlen's, or of Werkzeug's when the app imported it."""
    # Typed as erlen's: Werkzeug's has the same attributes and methods.
    if isinstance(error, HTTPException):
        return True
    base = _werkzeug_base()
    return base is not None and isinstance(error, base)


def _erlen_counterpart(cls: type) -> type:
    """erlen's class of the same name for a class of ``werkzeug.exceptions``, else ``cls``."""
    if cls.__module__ == _WERKZEUG_EXCEPTIONS:
        found = globals().get(cls.__name__)
        if isinstance(found, type) and issubclass(found, HTTPException):
            return found
    return cls


def foreign_handler_key(
    exception_class: type[BaseException],
) -> tuple[type[BaseException], int | None]:
    """``(class, code)`` under which handlers for a class not derived from erlen's
    HTTPException are registered and found: Werkzeug's classes as erlen's."""
    base = _werkzeug_base()
    if base is None or not issubclass(exception_class, base):
        return exception_class, None
    return _erlen_counterpart(exception_class), getattr(exception_class, "code", None)


def handler_mro(exception_class: type[BaseException]) -> tuple[type, ...]:
    """The classes whose handlers apply to ``exception_class``, most specific first."""
    mro = exception_class.__mro__
    if _WERKZEUG_EXCEPTIONS not in sys.modules:
        return mro
    return tuple(_erlen_counterpart(cls) for cls in mro)


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
