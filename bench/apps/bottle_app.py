"""The benchmark app on Bottle: decorated functions on a ``Bottle()`` instance."""

from __future__ import annotations

import json
from collections.abc import Iterator

from bottle import Bottle, HTTPResponse, response  # type: ignore[import-untyped]

from bench.apps.jinja_page import render_page

app = Bottle()


@app.get("/")  # type: ignore[untyped-decorator]
def index() -> str:
    return "Hello, World!"


@app.get("/created")  # type: ignore[untyped-decorator]
def created() -> str:
    response.status = 201
    return "Resource created"


@app.get("/custom-headers")  # type: ignore[untyped-decorator]
def custom_headers() -> str:
    response.set_header("X-Custom", "value")
    return "OK"


@app.get("/cookie")  # type: ignore[untyped-decorator]
def set_cookie() -> str:
    response.set_cookie("username", "alice", path="/")
    return "Cookie set"


@app.get("/raw")  # type: ignore[untyped-decorator]
def raw_response() -> HTTPResponse:
    return HTTPResponse(
        "Custom response", status=200, headers={"X-Custom": "value"}, content_type="text/plain"
    )


@app.get("/api/user")  # type: ignore[untyped-decorator]
def get_user() -> dict[str, object]:
    # Bottle serializes a returned dict to JSON itself.
    return {"id": 123, "username": "alice", "email": "[email protected]"}


@app.get("/stream")  # type: ignore[untyped-decorator]
def stream() -> Iterator[str]:
    response.content_type = "text/plain"
    for i in range(10):
        yield f"Line {i}\n"


@app.post("/login")  # type: ignore[untyped-decorator]
def login() -> dict[str, object]:
    response.set_cookie(
        "session_id",
        "secure-token-here",
        max_age=3600,
        path="/",
        httponly=True,
        secure=True,
        samesite="Lax",
    )
    return {"status": "logged in"}


@app.get("/logout")  # type: ignore[untyped-decorator]
def logout() -> str:
    response.delete_cookie("session_id", path="/")
    return "Logged out"


@app.get("/api/data")  # type: ignore[untyped-decorator]
def api_data() -> str:
    response.content_type = "application/json"
    response.set_header("X-Total-Count", "2")
    response.set_header("Cache-Control", "no-cache")
    return json.dumps({"users": ["alice", "bob"], "count": 2})


@app.get("/redirect-temp")  # type: ignore[untyped-decorator]
def redirect_temp() -> HTTPResponse:
    return HTTPResponse("", status=302, Location="/new-location")


@app.get("/download")  # type: ignore[untyped-decorator]
def download() -> str:
    response.content_type = "application/octet-stream"
    response.set_header("Content-Disposition", "attachment; filename=file.txt")
    return "File content here"


@app.get("/users/<id:int>")  # type: ignore[untyped-decorator]
def user_by_id(id: int) -> str:
    return f"User {id}"


@app.get("/template")  # type: ignore[untyped-decorator]
def template() -> str:
    return render_page()
