"""The context-bound names, where ``flask.globals`` keeps them: ``current_app``,
``g``, ``request``, ``session``, and ``app_ctx``/``request_ctx`` (the active context).

erlen has one context for an app and its request (see :mod:`erlen.ctx`), so
``app_ctx`` and ``request_ctx`` are proxies to that same object; extensions
that read ``request_ctx.request`` or ``app_ctx.g`` get what they expect.
"""

from __future__ import annotations

from typing import cast

from erlen.ctx import Context, _Proxy, current_app, current_context, g, request, session

__all__ = ["app_ctx", "current_app", "g", "request", "request_ctx", "session"]

#: The active context (an app's, or a request's).
app_ctx = cast(Context, _Proxy(current_context))
#: The active request's context (the same object: erlen has one context per request).
request_ctx = cast(Context, _Proxy(current_context))
