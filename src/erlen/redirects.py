"""The redirect response: its HTML page and its ``Location`` header.

Below the app (Werkzeug keeps its ``redirect`` in ``werkzeug.utils``): routing's
:class:`~erlen.exceptions.RequestRedirect` and the app's ``redirect`` both
build their response here, with the response class they are given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from erlen.errors import ArgumentTypeError, LocationValueError, describe
from erlen.http.html import escape_html

if TYPE_CHECKING:
    from erlen.response import Response

__all__ = ["redirect_response"]

_REDIRECT_PAGE = (
    "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
    "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: "
    '<a href="{0}">{0}</a>. If not, click the link.\n'
)


def _encode_location(location: str) -> str:
    """Percent-encode backslashes and control characters; everything else is kept."""
    if location.isprintable() and "\\" not in location:
        return location
    return "".join(
        f"%{ord(char):02X}" if char == "\\" or ord(char) < 0x20 or ord(char) == 0x7F else char
        for char in location
    )


# Schemes whose link runs or renders content in the page that holds it.
_SCRIPT_SCHEMES = ("javascript", "vbscript", "data")
# What the WHATWG URL parser ignores before reading a scheme: leading C0
# controls and spaces, and tabs and newlines anywhere.
_URL_IGNORED = str.maketrans("", "", "\t\n\r")


def _script_scheme(location: str) -> str | None:
    """The scripting scheme a browser would read ``location`` as having, if any."""
    text = location.lstrip("".join(map(chr, range(0x21)))).translate(_URL_IGNORED)
    scheme, colon, _ = text.partition(":")
    if colon and scheme.lower() in _SCRIPT_SCHEMES:
        return scheme.lower()
    return None


def redirect_response(location: str, code: int, Response: type[Response]) -> Response:
    """A ``Response`` redirecting to ``location``: the HTML page and ``Location`` header.

    Backslashes and control characters in ``location`` are percent-encoded;
    a scripting scheme (``javascript:``...) raises ``LocationValueError``.
    """
    if not isinstance(location, str):
        raise ArgumentTypeError(f"redirect location must be str, got {describe(location)}")
    scheme = _script_scheme(location)
    if scheme is not None:
        raise LocationValueError(
            f"redirect location {describe(location)} uses the {scheme!r} scheme, which"
            " would run script in the client; redirect to an http(s) or relative URL"
        )
    location = _encode_location(location)
    response = Response(_REDIRECT_PAGE.format(escape_html(location)), code, mimetype="text/html")
    response.headers["Location"] = location
    return response
