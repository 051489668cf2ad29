"""The endpoints every peer serves, and what a correct answer to each looks like.

One table drives the correctness check, the in-process timing and the wire
run, so every framework is measured on exactly the same requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The user dict from the spec's jsonify example, byte for byte.
USER: dict[str, Any] = {"id": 123, "username": "alice", "email": "[email protected]"}
DATA: dict[str, Any] = {"users": ["alice", "bob"], "count": 2}
LOGIN: dict[str, Any] = {"status": "logged in"}
STREAM_BODY = b"".join(f"Line {i}\n".encode() for i in range(10))

# The template endpoint: bench/templates/page.html (extends base.html) with a
# loop over these users; one name needs escaping.
PAGE_TITLE = "Users"
PAGE_USERS: list[dict[str, str]] = [
    {"name": "<b>alice</b>" if i == 0 else f"user{i}", "email": f"user{i}@example.com"}
    for i in range(20)
]


def _page_body() -> bytes:
    """What page.html renders to, written out by hand (so the check does not trust Jinja)."""
    items = "".join(
        f'<li class="{"odd" if i % 2 == 0 else "even"}">{i + 1}. '
        f"{user['name'].replace('<', '&lt;').replace('>', '&gt;')} &lt;{user['email']}&gt;</li>\n"
        for i, user in enumerate(PAGE_USERS)
    )
    return (
        '<!doctype html>\n<html lang="en">\n<head><title>Users</title></head>\n<body>\n\n'
        f"<h1>Users</h1>\n<ul>\n{items}</ul>\n\n</body>\n</html>"
    ).encode()


TEMPLATE_BODY = _page_body()


@dataclass(frozen=True)
class Endpoint:
    """One request and the checks its response must pass."""

    name: str
    path: str
    status: int
    method: str = "GET"
    mimetype: str | None = None
    body: bytes | None = None
    json: Any = None
    # header name (lower case) -> exact value
    headers: dict[str, str] = field(default_factory=dict)
    # every fragment must appear (case-insensitively) in one Set-Cookie line
    set_cookie: tuple[str, ...] = ()
    # that Set-Cookie line must expire the cookie (Max-Age <= 0 or Expires in the past)
    cookie_expired: bool = False
    # path the Location header must point to (absolute URLs are allowed)
    location: str | None = None


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("index", "/", 200, mimetype="text/html", body=b"Hello, World!"),
    Endpoint("created", "/created", 201, mimetype="text/html", body=b"Resource created"),
    Endpoint(
        "custom_headers",
        "/custom-headers",
        200,
        mimetype="text/html",
        body=b"OK",
        headers={"x-custom": "value"},
    ),
    Endpoint(
        "cookie",
        "/cookie",
        200,
        mimetype="text/html",
        body=b"Cookie set",
        set_cookie=("username=alice", "path=/"),
    ),
    Endpoint(
        "raw",
        "/raw",
        200,
        mimetype="text/plain",
        body=b"Custom response",
        headers={"x-custom": "value"},
    ),
    Endpoint("api_user", "/api/user", 200, mimetype="application/json", json=USER),
    Endpoint("stream", "/stream", 200, mimetype="text/plain", body=STREAM_BODY),
    Endpoint(
        "login",
        "/login",
        200,
        method="POST",
        mimetype="application/json",
        json=LOGIN,
        set_cookie=(
            "session_id=secure-token-here",
            "max-age=3600",
            "httponly",
            "secure",
            "samesite=lax",
        ),
    ),
    Endpoint(
        "logout",
        "/logout",
        200,
        mimetype="text/html",
        body=b"Logged out",
        set_cookie=("session_id=",),
        cookie_expired=True,
    ),
    Endpoint(
        "api_data",
        "/api/data",
        200,
        mimetype="application/json",
        json=DATA,
        headers={"x-total-count": "2", "cache-control": "no-cache"},
    ),
    Endpoint("redirect_temp", "/redirect-temp", 302, body=b"", location="/new-location"),
    Endpoint(
        "download",
        "/download",
        200,
        mimetype="application/octet-stream",
        body=b"File content here",
        headers={"content-disposition": "attachment; filename=file.txt"},
    ),
    Endpoint("user_by_id", "/users/42", 200, mimetype="text/html", body=b"User 42"),
    Endpoint("template", "/template", 200, mimetype="text/html", body=TEMPLATE_BODY),
    Endpoint("not_found", "/no-such-page", 404),
)

BY_NAME: dict[str, Endpoint] = {endpoint.name: endpoint for endpoint in ENDPOINTS}

# The endpoints the over-the-wire run loads with wrk: plain text, JSON, a path parameter.
WIRE_ENDPOINTS: tuple[str, ...] = ("index", "api_user", "user_by_id")
