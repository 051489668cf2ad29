"""Sending a response over ASGI: the header rules and their encoding to bytes, buffered
bodies in one message, whole files through ``http.response.pathsend``, async bodies
streamed on the loop.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from erlen.asgi.disconnect import _watched
from erlen.asgi.protocol import Receive, Scope, Send
from erlen.asgi.sync_streams import _stream_sync_body
from erlen.ctx import Context
from erlen.http.body import has_no_body
from erlen.http.urls import iri_to_uri
from erlen.response import _as_body_item, is_async_body
from erlen.wrappers import Request
from erlen.wsgi import ResponseBody, app_iter as _wsgi_app_iter, wsgi_header_list

if TYPE_CHECKING:
    from erlen.response import Response


class _NotStarted(Exception):
    """Building the response's headers failed before anything was sent."""


# Most distinct header names kept in a per-name cache.
_ENVIRON_KEYS_LIMIT = 1024


# header name -> lower-cased bytes, as ASGI wants them; bounded.
_NAME_BYTES: dict[str, bytes] = {}
# (name, value) -> encoded pair, for the pairs that repeat across responses
# (Content-Type values, short lengths); cleared when full.
_PAIR_BYTES: dict[tuple[str, str], tuple[bytes, bytes]] = {}


def _encode_pair(pair: tuple[str, str]) -> tuple[bytes, bytes]:
    name, value = pair
    raw = _NAME_BYTES.get(name)
    if raw is None:
        raw = name.lower().encode("latin-1")
        if len(_NAME_BYTES) < _ENVIRON_KEYS_LIMIT:
            _NAME_BYTES[name] = raw
    raw_pair = (raw, value.encode("latin-1"))
    if len(value) <= 64:
        if len(_PAIR_BYTES) >= _ENVIRON_KEYS_LIMIT:
            _PAIR_BYTES.clear()
        _PAIR_BYTES[pair] = raw_pair
    return raw_pair


def _encode_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    encoded = []
    for pair in headers:
        raw_pair = _PAIR_BYTES.get(pair)
        if raw_pair is None:
            raw_pair = _encode_pair(pair)
        encoded.append(raw_pair)
    return encoded


# Encoded names of the URI headers the send rules rewrite, and the one
# spelling each is sent with (see wsgi_header_list).
_URI_HEADER_NAMES = {b"location": "Location", b"content-location": "Content-Location"}


def _encode_as_sent(
    pairs: list[tuple[str, str]], autocorrect: bool
) -> list[tuple[bytes, bytes]] | None:
    """The encoded pairs when the send rules would leave them as they are.

    That is: a Content-Length, and each URI header (Location,
    Content-Location) at most once, spelled as sent, already a URI, with no
    autocorrection. For a body-carrying status: one pass instead of
    wsgi_header_list's copy and scan followed by the encoding. None: take the
    general path.
    """
    encoded = []
    has_length = False
    seen_uri = False
    for pair in pairs:
        raw_pair = _PAIR_BYTES.get(pair)
        if raw_pair is None:
            raw_pair = _encode_pair(pair)
        name = raw_pair[0]
        if name == b"content-length":
            has_length = True
        elif name in _URI_HEADER_NAMES:
            text = pair[1]
            if (
                autocorrect
                or seen_uri  # a second one (a repeat, or both kinds): rare
                or pair[0] != _URI_HEADER_NAMES[name]
                or iri_to_uri(text) != text
            ):
                return None
            seen_uri = True
        encoded.append(raw_pair)
    return encoded if has_length else None


def _headers_as_sent(response: Response) -> list[tuple[bytes, bytes]] | None:
    """The encoded headers of a body-carrying response when no send rule changes them.

    The constructor's pending list always qualifies (see Response.headers);
    a Headers object when :func:`_encode_as_sent` says so. None: the general
    rules (:func:`~erlen.wsgi.wsgi_header_list`) apply.
    """
    headers: Any = response._headers
    if type(headers) is list:
        return _encode_headers(headers)
    try:
        return _encode_as_sent(headers._list, response.autocorrect_location_header)
    except ValueError:
        # An IRI in a Location is not Latin-1 yet (UnicodeEncodeError), or
        # not convertible: the general rules convert it or report it.
        return None


def buffered_headers(response: Response) -> list[tuple[bytes, bytes]] | None:
    """The encoded headers of a response sent as it is in one body message: a
    body of one bytes item with nothing to run on close, a status that has a
    body, and headers no send rule changes (:func:`_headers_as_sent`). None:
    :func:`send_response` sends it.
    """
    source: Any = response.response
    if not (
        type(source) is list
        and len(source) == 1
        and type(source[0]) is bytes
        and not response._on_close
    ):
        return None
    # PERF: has_no_body's status test, inline.
    code = response._status_code
    if code < 200 or code == 204 or code == 304:
        return None
    return _headers_as_sent(response)


async def send_response(
    response: Response,
    request: Request | Context | dict[str, Any],
    send: Send,
    receive: Receive,
    scope: Scope | None = None,
    method: str | None = None,
) -> None:
    """Send a response: headers, then the body as it is produced; always closed once.

    ``request`` is the request being answered, its context (with ``method``;
    the request is then made only if a header rule needs its URL), or a PEP
    3333 environ.
    """
    source: Any = response.response
    if type(request) is dict:
        method = request["REQUEST_METHOD"]
        scope = scope or request.get("asgi.scope")
    elif method is None:
        method = cast(Request, request)._method
    if (
        type(source) is list
        and len(source) == 1
        and type(source[0]) is bytes
        and not response._on_close
        and not response.direct_passthrough
    ):
        # PERF: the usual buffered body: one message for the headers, one for
        # the body, with the header rules (Location, Content-Length, HEAD, 204
        # and 304) applied as on WSGI.
        code = response._status_code
        try:
            encoded = None if has_no_body(code) else _headers_as_sent(response)
            if encoded is None:
                encoded = _encode_headers(wsgi_header_list(response, request))
        except Exception as error:
            response.close()
            raise _NotStarted() from error
        body = source[0]
        if has_no_body(code, method):
            body = b""
        await send({"type": "http.response.start", "status": code, "headers": encoded})
        await send({"type": "http.response.body", "body": body})
        return
    if (
        getattr(source, "is_whole_file", False)
        and source.path is not None
        and "http.response.pathsend" in ((scope or {}).get("extensions") or {})
    ):
        await _send_path(response, method, send)
        return
    if is_async_body(source):
        await _send_async_body(response, method, request, send, receive)
        return
    try:
        headers = wsgi_header_list(response, request)
        app_iter = _wsgi_app_iter(response, {"REQUEST_METHOD": method})
        start = {
            "type": "http.response.start",
            "status": response._status_code,
            "headers": _encode_headers(headers),
        }
    except Exception as error:
        response.close()
        raise _NotStarted() from error
    if isinstance(app_iter, (list, tuple)) or not response.is_streamed:
        # PERF: a buffered body goes out in one message, with no thread hop.
        try:
            body = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        await send(start)
        await send({"type": "http.response.body", "body": body})
        return
    await _stream_sync_body(app_iter, start, send, receive)


async def _send_path(response: Response, method: str, send: Send) -> None:
    """A whole file through the server's ``http.response.pathsend`` extension."""
    path: str = getattr(response.response, "path")  # noqa: B009 -- a FileBody
    app_iter, status, headers = response.get_wsgi_response({"REQUEST_METHOD": method})
    code = int(status[:3])
    try:
        await send(
            {"type": "http.response.start", "status": code, "headers": _encode_headers(headers)}
        )
        if has_no_body(code, method):
            await send({"type": "http.response.body", "body": b""})
        else:
            await send({"type": "http.response.pathsend", "path": path})
    finally:
        # The body wrapper closes the response (and runs call_on_close) once;
        # without one, the response is closed directly. Never both.
        if isinstance(app_iter, ResponseBody):
            app_iter.close()
        else:
            response.close()


_ASYNC_GENERATOR = types.AsyncGeneratorType


async def _send_async_body(
    response: Response, method: str, request: Any, send: Send, receive: Receive
) -> None:
    """Stream an async body on the loop, stopping when the client disconnects.

    A disconnect watcher cancels this task at its current ``await`` (inside the
    loop below, never in the cleanup), since servers may drop sends silently
    after a disconnect and the body would otherwise run on forever. The
    watcher starts only once the body has been streaming for one to two
    :data:`WATCH_AFTER` periods (see :class:`_LongStreams`): most bodies are
    over by then, and a set entry is far cheaper than a task per stream.
    """
    source: Any = response.response
    try:
        headers = _encode_headers(wsgi_header_list(response, request))
    except Exception as error:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()
        response.close()
        raise _NotStarted() from error
    status = response._status_code
    send_body = not has_no_body(status, method)
    watch, hang_up = _watched(receive)
    try:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if send_body:
            async for item in source:
                # PERF: str and bytes items are told apart by their exact type.
                if type(item) is str:
                    chunk = item.encode()
                elif type(item) is not bytes:
                    chunk = _as_body_item(item)
                else:
                    chunk = item
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    except asyncio.CancelledError:
        if not hang_up.absorbs_cancellation():
            raise
    finally:
        watch.discard(hang_up)
        # PERF: an async generator that ran to its end has nothing to close.
        if type(source) is not _ASYNC_GENERATOR or source.ag_frame is not None:
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()
        response.close()
