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
    "Request": "erlen.wrappers",
    "Headers": "erlen.http.headers",
    "HTTPException": "erlen.exceptions",
    "ErlenError": "erlen.errors",
    "HeaderValueError": "erlen.errors",
    "StatusCodeError": "erlen.errors",
    "CookieValueError": "erlen.errors",
    "LocationValueError": "erlen.errors",
    "JSONValueError": "erlen.errors",
    "ArgumentTypeError": "erlen.errors",
    "AsyncBodyError": "erlen.errors",
    "EventValueError": "erlen.errors",
    "RequestArgumentError": "erlen.errors",
    "SettingValueError": "erlen.errors",
    "ServerSentEvent": "erlen.sse",
    "send_file": "erlen.files",
    "send_from_directory": "erlen.files",
    "event_stream": "erlen.sse",
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
    from erlen.app import Erlen as Erlen, Flask as Flask, make_response as make_response
    from erlen.ctx import (
        after_this_request as after_this_request,
        current_app as current_app,
        g as g,
        has_app_context as has_app_context,
        has_request_context as has_request_context,
        request as request,
        stream_with_context as stream_with_context,
    )
    from erlen.errors import (
        ArgumentTypeError as ArgumentTypeError,
        AsyncBodyError as AsyncBodyError,
        CookieValueError as CookieValueError,
        ErlenError as ErlenError,
        EventValueError as EventValueError,
        HeaderValueError as HeaderValueError,
        JSONValueError as JSONValueError,
        LocationValueError as LocationValueError,
        RequestArgumentError as RequestArgumentError,
        SettingValueError as SettingValueError,
        StatusCodeError as StatusCodeError,
    )
    from erlen.exceptions import HTTPException as HTTPException
    from erlen.files import send_file as send_file, send_from_directory as send_from_directory
    from erlen.helpers import abort as abort, redirect as redirect, url_for as url_for
    from erlen.http.headers import Headers as Headers
    from erlen.json import jsonify as jsonify
    from erlen.response import Response as Response
    from erlen.sse import ServerSentEvent as ServerSentEvent, event_stream as event_stream
    from erlen.wrappers import Request as Request
