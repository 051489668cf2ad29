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
    "ServerSentEvent": "erlen.sse",
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
    from erlen.app import Erlen as Erlen
    from erlen.app import Flask as Flask
    from erlen.app import make_response as make_response
    from erlen.ctx import (
        after_this_request as after_this_request,
    )
    from erlen.ctx import (
        current_app as current_app,
    )
    from erlen.ctx import (
        g as g,
    )
    from erlen.ctx import (
        has_app_context as has_app_context,
    )
    from erlen.ctx import (
        has_request_context as has_request_context,
    )
    from erlen.ctx import (
        request as request,
    )
    from erlen.ctx import (
        stream_with_context as stream_with_context,
    )
    from erlen.errors import (
        ArgumentTypeError as ArgumentTypeError,
    )
    from erlen.errors import (
        AsyncBodyError as AsyncBodyError,
    )
    from erlen.errors import (
        CookieValueError as CookieValueError,
    )
    from erlen.errors import (
        ErlenError as ErlenError,
    )
    from erlen.errors import (
        EventValueError as EventValueError,
    )
    from erlen.errors import (
        HeaderValueError as HeaderValueError,
    )
    from erlen.errors import (
        JSONValueError as JSONValueError,
    )
    from erlen.errors import (
        LocationValueError as LocationValueError,
    )
    from erlen.errors import (
        RequestArgumentError as RequestArgumentError,
    )
    from erlen.errors import (
        StatusCodeError as StatusCodeError,
    )
    from erlen.exceptions import HTTPException as HTTPException
    from erlen.helpers import abort as abort
    from erlen.helpers import redirect as redirect
    from erlen.helpers import url_for as url_for
    from erlen.http.headers import Headers as Headers
    from erlen.json import jsonify as jsonify
    from erlen.response import Response as Response
    from erlen.sse import ServerSentEvent as ServerSentEvent
    from erlen.sse import event_stream as event_stream
    from erlen.wrappers import Request as Request
