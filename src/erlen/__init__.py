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
    "Blueprint": "erlen.blueprints",
    "Config": "erlen.config",
    "jsonify": "erlen.json",
    "redirect": "erlen.helpers",
    "abort": "erlen.helpers",
    "url_for": "erlen.helpers",
    "stream_with_context": "erlen.ctx",
    "copy_current_request_context": "erlen.ctx",
    "after_this_request": "erlen.ctx",
    "request": "erlen.ctx",
    "g": "erlen.ctx",
    "session": "erlen.ctx",
    "flash": "erlen.helpers",
    "get_flashed_messages": "erlen.helpers",
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
    "render_template": "erlen.templating",
    "render_template_string": "erlen.templating",
    "stream_template": "erlen.templating",
    "stream_template_string": "erlen.templating",
    "get_template_attribute": "erlen.templating",
    "escape": "markupsafe",
    "Markup": "markupsafe",
    "template_rendered": "erlen.signals",
    "before_render_template": "erlen.signals",
    "request_started": "erlen.signals",
    "request_finished": "erlen.signals",
    "request_tearing_down": "erlen.signals",
    "got_request_exception": "erlen.signals",
    "appcontext_tearing_down": "erlen.signals",
    "appcontext_pushed": "erlen.signals",
    "appcontext_popped": "erlen.signals",
    "message_flashed": "erlen.signals",
}

__all__ = sorted(_EXPORTS)

# Names Flask exports that erlen does not provide yet (checked after _EXPORTS,
# so a name added there wins): importing one says so plainly.
_FLASK_NAMES_NOT_YET: frozenset[str] = frozenset()


class _NotYetSupported(ImportError):
    """A Flask name erlen lacks. An ImportError (not AttributeError) so that
    ``from erlen import name`` shows this message rather than a bare "cannot
    import name"."""


# This module's namespace, taken before ``erlen.globals`` (a submodule named
# like the builtin) can shadow ``globals`` here.
_NAMESPACE = globals()


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        if name in _FLASK_NAMES_NOT_YET:
            raise _NotYetSupported(
                f"erlen does not support flask.{name} yet (see the README's"
                " 'Migrating from Flask' section for what is missing)",
                name=name,
            )
        raise AttributeError(f"module 'erlen' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    _NAMESPACE[name] = value
    return value


if TYPE_CHECKING:
    from markupsafe import Markup as Markup, escape as escape

    from erlen.app import Erlen as Erlen, Flask as Flask, make_response as make_response
    from erlen.blueprints import Blueprint as Blueprint
    from erlen.config import Config as Config
    from erlen.ctx import (
        after_this_request as after_this_request,
        current_app as current_app,
        g as g,
        has_app_context as has_app_context,
        has_request_context as has_request_context,
        request as request,
        session as session,
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
    from erlen.helpers import (
        abort as abort,
        flash as flash,
        get_flashed_messages as get_flashed_messages,
        redirect as redirect,
        url_for as url_for,
    )
    from erlen.http.headers import Headers as Headers
    from erlen.json import jsonify as jsonify
    from erlen.response import Response as Response
    from erlen.signals import (
        appcontext_popped as appcontext_popped,
        appcontext_pushed as appcontext_pushed,
        appcontext_tearing_down as appcontext_tearing_down,
        before_render_template as before_render_template,
        got_request_exception as got_request_exception,
        message_flashed as message_flashed,
        request_finished as request_finished,
        request_started as request_started,
        request_tearing_down as request_tearing_down,
        template_rendered as template_rendered,
    )
    from erlen.sse import ServerSentEvent as ServerSentEvent, event_stream as event_stream
    from erlen.templating import (
        get_template_attribute as get_template_attribute,
        render_template as render_template,
        render_template_string as render_template_string,
        stream_template as stream_template,
        stream_template_string as stream_template_string,
    )
    from erlen.wrappers import Request as Request
