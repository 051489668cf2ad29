"""The floor for ASGI: a bare coroutine dispatching on a dict, no framework at all."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from bench.apps.jinja_page import render_page

Headers = list[tuple[bytes, bytes]]
Result = tuple[int, Headers, "bytes | AsyncIterator[bytes]"]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

HTML = (b"content-type", b"text/html; charset=utf-8")
TEXT = (b"content-type", b"text/plain; charset=utf-8")
JSON = (b"content-type", b"application/json")


def _text(
    status: int, content_type: tuple[bytes, bytes], body: str, *extra: tuple[bytes, bytes]
) -> Result:
    data = body.encode()
    return status, [content_type, (b"content-length", str(len(data)).encode()), *extra], data


def _json(obj: Any, *extra: tuple[bytes, bytes]) -> Result:
    data = json.dumps(obj, separators=(",", ":")).encode()
    return 200, [JSON, (b"content-length", str(len(data)).encode()), *extra], data


def index(scope: dict[str, Any]) -> Result:
    return _text(200, HTML, "Hello, World!")


def created(scope: dict[str, Any]) -> Result:
    return _text(201, HTML, "Resource created")


def custom_headers(scope: dict[str, Any]) -> Result:
    return _text(200, HTML, "OK", (b"x-custom", b"value"))


def cookie(scope: dict[str, Any]) -> Result:
    return _text(200, HTML, "Cookie set", (b"set-cookie", b"username=alice; Path=/"))


def raw(scope: dict[str, Any]) -> Result:
    return _text(200, TEXT, "Custom response", (b"x-custom", b"value"))


def api_user(scope: dict[str, Any]) -> Result:
    return _json({"id": 123, "username": "alice", "email": "[email protected]"})


async def _lines() -> AsyncIterator[bytes]:
    for i in range(10):
        yield f"Line {i}\n".encode()


def stream(scope: dict[str, Any]) -> Result:
    return 200, [TEXT], _lines()


def login(scope: dict[str, Any]) -> Result:
    cookie = b"session_id=secure-token-here; Max-Age=3600; Secure; HttpOnly; Path=/; SameSite=Lax"
    return _json({"status": "logged in"}, (b"set-cookie", cookie))


def logout(scope: dict[str, Any]) -> Result:
    cookie = b"session_id=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"
    return _text(200, HTML, "Logged out", (b"set-cookie", cookie))


def api_data(scope: dict[str, Any]) -> Result:
    return _json(
        {"users": ["alice", "bob"], "count": 2},
        (b"x-total-count", b"2"),
        (b"cache-control", b"no-cache"),
    )


def redirect_temp(scope: dict[str, Any]) -> Result:
    return 302, [HTML, (b"content-length", b"0"), (b"location", b"/new-location")], b""


def download(scope: dict[str, Any]) -> Result:
    disposition = (b"content-disposition", b"attachment; filename=file.txt")
    return _text(
        200, (b"content-type", b"application/octet-stream"), "File content here", disposition
    )


def template(scope: dict[str, Any]) -> Result:
    return _text(200, HTML, render_page())


def not_found(scope: dict[str, Any]) -> Result:
    return _text(404, TEXT, "Not Found")


ROUTES: dict[tuple[str, str], Callable[[dict[str, Any]], Result]] = {
    ("GET", "/"): index,
    ("GET", "/created"): created,
    ("GET", "/custom-headers"): custom_headers,
    ("GET", "/cookie"): cookie,
    ("GET", "/raw"): raw,
    ("GET", "/api/user"): api_user,
    ("GET", "/stream"): stream,
    ("POST", "/login"): login,
    ("GET", "/logout"): logout,
    ("GET", "/api/data"): api_data,
    ("GET", "/redirect-temp"): redirect_temp,
    ("GET", "/download"): download,
    ("GET", "/template"): template,
}


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Answer HTTP from the route table; accept lifespan so servers start cleanly."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    method = scope["method"]
    path = scope["path"]
    handler = ROUTES.get((method, path))
    if handler is not None:
        status, headers, body = handler(scope)
    elif method == "GET" and path.startswith("/users/") and path[7:].isdigit():
        status, headers, body = _text(200, HTML, f"User {int(path[7:])}")
    else:
        status, headers, body = not_found(scope)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    if isinstance(body, bytes):
        await send({"type": "http.response.body", "body": body})
        return
    async for chunk in body:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
