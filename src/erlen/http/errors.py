"""The HTTP errors that sans-IO code raises, and their common base.

:class:`HTTPException` and the few errors raised below the Request
(``MultiDict`` and the form parsers) live here, at the sans-IO layer;
:mod:`erlen.exceptions` re-exports them with every other HTTP error, so
``erlen.exceptions.BadRequest`` is this very class.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from erlen.http.html import escape_html
from erlen.http.status import HTTP_STATUS_CODES

if TYPE_CHECKING:
    from erlen.response import Response

    WSGIEnvironment = dict[str, Any]
    StartResponse = Any

__all__ = ["BadRequest", "BadRequestKeyError", "HTTPException", "RequestEntityTooLarge"]

# The reason phrases are the status table's: the page title and ``str(error)``
# read the same as under Flask.
_REASONS = HTTP_STATUS_CODES

_CONTENT_TYPE = ("Content-Type", "text/html; charset=utf-8")

# Modules whose page methods never read the environ (see ``_uses_environ``).
_OWN_MODULES = frozenset({__name__, "erlen.exceptions"})


def _get_environ(environ: Any) -> Any:
    # A request object stands in for its environ, as in Werkzeug.
    return getattr(environ, "environ", environ)


class HTTPException(Exception):
    """Base of the HTTP errors: raise in a view, or call as a WSGI app."""

    code: int | None = None
    description: str | None = None
    #: Whether a page method (get_body, get_description, get_headers) comes
    #: from outside erlen's error modules, and so may read the environ it is given.
    _uses_environ = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._uses_environ = any(
            getattr(cls, name).__module__ not in _OWN_MODULES
            for name in ("get_body", "get_description", "get_headers")
        )

    def __init__(self, description: str | None = None, response: Response | None = None) -> None:
        super().__init__()
        if description is not None:
            self.description = description
        self.response = response

    @property
    def name(self) -> str:
        """The reason phrase for ``code`` ('Not Found'), 'Unknown Error' when unknown."""
        return _REASONS.get(self.code, "Unknown Error")  # type: ignore[arg-type]

    def get_description(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> str:
        """The description as an HTML paragraph, escaped, newlines as ``<br>``."""
        description = self.description
        if description is None:
            return "<p></p>"
        return f"<p>{escape_html(description).replace(chr(10), '<br>')}</p>"

    def get_body(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> str:
        """The HTML error page."""
        name = escape_html(self.name)
        return (
            "<!doctype html>\n<html lang=en>\n"
            f"<title>{self.code} {name}</title>\n"
            f"<h1>{name}</h1>\n"
            f"{self.get_description(environ)}\n"
        )

    def get_headers(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        """The response headers as ``(name, value)`` pairs."""
        return [_CONTENT_TYPE]

    def get_response(
        self, environ: WSGIEnvironment | Any | None = None, scope: dict[str, Any] | None = None
    ) -> Response:
        """The response to send: the one given at construction, else the HTML page."""
        if self.response is not None:
            return self.response
        from erlen.response import Response

        if environ is not None and type(self)._uses_environ:
            # PERF: erlen's own pages never read it; a request given in its
            # place (see Erlen.make_response) keeps its environ unbuilt.
            environ = _get_environ(environ)
        if type(self).get_headers is HTTPException.get_headers:
            # PERF: only the HTML Content-Type: the Response's short path builds it.
            return Response(self.get_body(environ, scope), self.code, mimetype="text/html")
        headers = self.get_headers(environ, scope)
        return Response(self.get_body(environ, scope), self.code, headers)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve this error as a WSGI application."""
        response: Any = self.get_response(environ)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def __str__(self) -> str:
        code = "???" if self.code is None else self.code
        return f"{code} {self.name}: {self.description}"

    def __repr__(self) -> str:
        code = "???" if self.code is None else self.code
        return f"<{type(self).__name__} '{code}: {self.name}'>"


class BadRequest(HTTPException):
    """400: the request is malformed or cannot be processed as sent."""

    code = 400
    description = "The server could not make sense of the request it received."


class BadRequestKeyError(BadRequest, KeyError):
    """Both a ``KeyError`` and a 400: a required form or query key is missing."""

    #: When true the page names the missing key; useful while debugging only.
    show_exception = False
    _description: str | None = BadRequest.description

    def __init__(self, arg: object | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if arg is None:
            KeyError.__init__(self)
        else:
            KeyError.__init__(self, arg)

    @property  # type: ignore[override]
    def description(self) -> str | None:
        if self.show_exception:
            return f"{self._description}\nKeyError: {KeyError.__str__(self)}"
        return self._description

    @description.setter
    def description(self, value: str | None) -> None:
        self._description = value


class RequestEntityTooLarge(HTTPException):
    """413: the request body exceeds the configured limit."""

    code = 413
    description = "The request body is larger than this server accepts."
