"""Helpers for the security suite: serve one response over WSGI and ASGI, check the wire.

A "clean" header block is one a strict HTTP/1.1 parser accepts and no lenient
one can split: names are tokens, values and the status line hold only HTAB,
visible ASCII, space and Latin-1 letters (0xA0-0xFF). C0 controls, DEL, the
C1 block (0x85 NEL among them) and anything outside Latin-1 (U+2028, U+2029,
which cannot even be encoded) are "raw" and fail the check.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import erlen
from tests.support import WireResult, call_asgi, call_wsgi

#: Characters some stack reads as a line break, or that truncate/poison a header.
LINE_BREAKERS = {
    "CR": "\r",
    "LF": "\n",
    "NUL": "\x00",
    "VT": "\x0b",
    "FF": "\x0c",
    "FS": "\x1c",
    "NEL": "\x85",
    "LS": "\u2028",
    "PS": "\u2029",
}
#: The three that every write refuses today.
SPLITTERS = ("CR", "LF", "NUL")

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]|[^\x00-\xff]")


def unsafe_chars(text: str) -> list[str]:
    """The characters of ``text`` that must never reach a status line or header."""
    return _UNSAFE.findall(text)


def assert_clean_wire(result: WireResult) -> None:
    """The status line and every header of ``result`` are safe to put on a socket."""
    assert not unsafe_chars(result.status), result.status
    for name, value in result.headers:
        assert _TOKEN.fullmatch(name), (name, value)
        assert not unsafe_chars(value), (name, value)


def app_returning(make: Callable[[], Any], **config: Any) -> erlen.Flask:
    """An erlen app whose ``/`` view returns ``make()`` (built fresh per request)."""
    app = erlen.Flask("security")
    app.config.update(config)
    app.add_url_rule("/", "index", lambda: make(), methods=["GET", "POST"])
    return app


def serve_both(
    app: Any, path: str = "/", method: str = "GET", **kwargs: Any
) -> dict[str, WireResult]:
    """Send the same request over WSGI and ASGI; any exception propagates."""
    return {
        "wsgi": call_wsgi(app, path, method, **kwargs),
        "asgi": call_asgi(app, path, method, **kwargs),
    }


def served_or_refused(make: Callable[[], Any]) -> None:
    """``make()`` either raises an erlen error at the call, or what it builds is sent clean.

    Sending must not raise either: an error at send time escapes the app
    (a bare 500 from the server) instead of being raised where the mistake is.
    """
    try:
        make()
    except erlen.ErlenError as error:
        assert isinstance(error, (ValueError, TypeError))
        return
    for result in serve_both(app_returning(make)).values():
        assert_clean_wire(result)


async def drive_asgi(
    app: Any,
    scope: dict[str, Any],
    messages: list[Any],
    *,
    then_disconnect: bool = True,
    timeout: float = 5.0,
) -> list[dict[str, Any]]:
    """Run ``app`` on ``scope``; ``receive`` hands out ``messages`` then (optionally)
    ``http.disconnect``. Raises ``TimeoutError`` instead of hanging."""
    queue = list(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> Any:
        if queue:
            return queue.pop(0)
        if then_disconnect:
            return {"type": "http.disconnect"}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), timeout)
    return sent


def http_scope(path: str = "/", method: str = "GET", **overrides: Any) -> dict[str, Any]:
    """A valid ASGI 3 http scope; ``overrides`` replace keys (``None`` drops a key)."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    for key, value in overrides.items():
        if value is None:
            scope.pop(key, None)
        else:
            scope[key] = value
    return scope


def status_of(sent: list[dict[str, Any]]) -> int:
    """The status an ASGI app sent (asserting it started exactly once)."""
    starts = [m for m in sent if m.get("type") == "http.response.start"]
    assert len(starts) == 1, sent
    return int(starts[0]["status"])
