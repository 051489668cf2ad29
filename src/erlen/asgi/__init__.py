"""The ASGI 3 adapter: the only package that knows ASGI.

A request is routed from the scope's method and path; when something reads
it, it becomes the same ``Request`` over the same PEP 3333-keyed ``environ``
the WSGI side gets (built then), so the app's dispatch is shared by both
protocols. Sync views and hooks run in a thread pool (one hop for the whole
sync dispatch); ``async def`` views run on the loop. The request body is read
from ``receive`` only when something asks for it.

- :mod:`~erlen.asgi.serve`: ``asgi_app``, each scope type to its handler;
- :mod:`~erlen.asgi.transport`: what the app's pipeline (``Pipeline._serve_async``,
  which serves an HTTP request) needs of ASGI: the context made from the scope,
  the body's receiver, the response as messages;
- :mod:`~erlen.asgi.scope`: the request made from the scope, ``build_environ``;
- :mod:`~erlen.asgi.body_input`: ``ASGIInput``, the request body received and spooled;
- :mod:`~erlen.asgi.send`: ``send_response``, the headers encoded, async bodies streamed;
- :mod:`~erlen.asgi.sync_streams`: sync bodies streamed from a worker thread;
- :mod:`~erlen.asgi.disconnect`: the watch for a client that hung up mid-stream;
- :mod:`~erlen.asgi.through_wsgi`: requests served through WSGI middleware;
- :mod:`~erlen.asgi.lifespan`: the ``lifespan`` scope;
- :mod:`~erlen.asgi.protocol`: the ASGI types and ``ASGIProtocolError``.

Settings a test or an app changes are read in the submodule that uses them
(``erlen.asgi.body_input.SPOOL_MEMORY``, ``erlen.asgi.disconnect.WATCH_AFTER``,
``erlen.asgi.sync_streams.STREAM_WINDOW``): set them there.
"""

from __future__ import annotations

from erlen.asgi import transport as transport
from erlen.asgi.body_input import SPOOL_MEMORY, ASGIInput
from erlen.asgi.disconnect import WATCH_AFTER
from erlen.asgi.protocol import ASGIProtocolError, Message, Receive, Scope, Send
from erlen.asgi.scope import build_environ
from erlen.asgi.send import send_response
from erlen.asgi.serve import PRESERVE_CONTEXT, _serve_http as _serve_http, asgi_app
from erlen.asgi.sync_streams import STREAM_WINDOW
from erlen.exceptions import ClientDisconnected as ClientDisconnected

__all__ = [
    "PRESERVE_CONTEXT",
    "SPOOL_MEMORY",
    "STREAM_WINDOW",
    "WATCH_AFTER",
    "ASGIInput",
    "ASGIProtocolError",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "asgi_app",
    "build_environ",
    "send_response",
]
