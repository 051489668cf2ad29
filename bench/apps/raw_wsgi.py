"""The floor for WSGI: a bare callable dispatching on a dict, no framework at all."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from bench.apps.jinja_page import render_page

Headers = list[tuple[str, str]]
Result = tuple[str, Headers, Iterable[bytes]]
StartResponse = Callable[..., Any]

HTML = ("Content-Type", "text/html; charset=utf-8")
TEXT = ("Content-Type", "text/plain; charset=utf-8")
JSON = ("Content-Type", "application/json")


def _text(status: str, content_type: tuple[str, str], body: str, *extra: tuple[str, str]) -> Result:
    data = body.encode()
    return status, [content_type, ("Content-Length", str(len(data))), *extra], [data]


def _json(obj: Any, *extra: tuple[str, str]) -> Result:
    data = json.dumps(obj, separators=(",", ":")).encode()
    return "200 OK", [JSON, ("Content-Length", str(len(data))), *extra], [data]


def index(environ: dict[str, Any]) -> Result:
    return _text("200 OK", HTML, "Hello, World!")


def created(environ: dict[str, Any]) -> Result:
    return _text("201 Created", HTML, "Resource created")


def custom_headers(environ: dict[str, Any]) -> Result:
    return _text("200 OK", HTML, "OK", ("X-Custom", "value"))


def cookie(environ: dict[str, Any]) -> Result:
    return _text("200 OK", HTML, "Cookie set", ("Set-Cookie", "username=alice; Path=/"))


def raw(environ: dict[str, Any]) -> Result:
    return _text("200 OK", TEXT, "Custom response", ("X-Custom", "value"))


def api_user(environ: dict[str, Any]) -> Result:
    return _json({"id": 123, "username": "alice", "email": "[email protected]"})


def _lines() -> Iterator[bytes]:
    for i in range(10):
        yield f"Line {i}\n".encode()


def stream(environ: dict[str, Any]) -> Result:
    return "200 OK", [TEXT], _lines()


def login(environ: dict[str, Any]) -> Result:
    cookie = "session_id=secure-token-here; Max-Age=3600; Secure; HttpOnly; Path=/; SameSite=Lax"
    return _json({"status": "logged in"}, ("Set-Cookie", cookie))


def logout(environ: dict[str, Any]) -> Result:
    cookie = "session_id=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"
    return _text("200 OK", HTML, "Logged out", ("Set-Cookie", cookie))


def api_data(environ: dict[str, Any]) -> Result:
    return _json(
        {"users": ["alice", "bob"], "count": 2},
        ("X-Total-Count", "2"),
        ("Cache-Control", "no-cache"),
    )


def redirect_temp(environ: dict[str, Any]) -> Result:
    headers = [HTML, ("Content-Length", "0"), ("Location", "/new-location")]
    return "302 Found", headers, [b""]


def download(environ: dict[str, Any]) -> Result:
    disposition = ("Content-Disposition", "attachment; filename=file.txt")
    return _text(
        "200 OK", ("Content-Type", "application/octet-stream"), "File content here", disposition
    )


def template(environ: dict[str, Any]) -> Result:
    return _text("200 OK", HTML, render_page())


def not_found(environ: dict[str, Any]) -> Result:
    return _text("404 Not Found", TEXT, "Not Found")


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


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Answer from the route table; ``/users/<int>`` is the one dynamic path."""
    method = environ["REQUEST_METHOD"]
    path = environ["PATH_INFO"]
    handler = ROUTES.get((method, path))
    if handler is not None:
        status, headers, body = handler(environ)
    elif method == "GET" and path.startswith("/users/") and path[7:].isdigit():
        status, headers, body = _text("200 OK", HTML, f"User {int(path[7:])}")
    else:
        status, headers, body = not_found(environ)
    start_response(status, headers)
    return body
