"""erlen: a Flask-compatible web micro-framework, one app for WSGI and ASGI.

``from erlen import Flask, Response, make_response, jsonify`` is all a Flask
app needs to change. Names are imported lazily so that ``import erlen`` stays
cheap and needs nothing outside the standard library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Erlen": "erlen.app",
    "Flask": "erlen.app",
    "make_response": "erlen.app",
    "jsonify": "erlen.json",
    "redirect": "erlen.helpers",
    "abort": "erlen.helpers",
    "url_for": "erlen.helpers",
    "stream_with_context": "erlen.ctx",
    "after_this_request": "erlen.ctx",
    "request": "erlen.ctx",
    "g": "erlen.ctx",
    "current_app": "erlen.ctx",
    "has_request_context": "erlen.ctx",
    "has_app_context": "erlen.ctx",
    "Response": "erlen.response",
    "Request": "erlen.request",
    "Headers": "erlen.http.headers",
    "HTTPException": "erlen.exceptions",
    "ErlenError": "erlen.errors",
    "HeaderValueError": "erlen.errors",
    "StatusCodeError": "erlen.errors",
    "CookieValueError": "erlen.errors",
    "LocationValueError": "erlen.errors",
    "JSONValueError": "erlen.errors",
    "ArgumentTypeError": "erlen.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'erlen' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from erlen.app import Erlen, Flask, make_response
    from erlen.ctx import (
        after_this_request,
        current_app,
        g,
        has_app_context,
        has_request_context,
        request,
        stream_with_context,
    )
    from erlen.errors import (
        ArgumentTypeError,
        CookieValueError,
        ErlenError,
        HeaderValueError,
        JSONValueError,
        LocationValueError,
        StatusCodeError,
    )
    from erlen.exceptions import HTTPException
    from erlen.helpers import abort, redirect, url_for
    from erlen.http.headers import Headers
    from erlen.json import jsonify
    from erlen.request import Request
    from erlen.response import Response
