"""The benchmark app on Quart: the Flask app with async views, as Quart's docs write them."""

from __future__ import annotations

from collections.abc import AsyncIterator

from quart import Quart, Response, jsonify, make_response, render_template
from quart.typing import ResponseReturnValue

app = Quart(__name__, template_folder="../templates")

# The template endpoint's data (bench/endpoints.py checks the page it renders to).
USERS = [
    {"name": "<b>alice</b>" if i == 0 else f"user{i}", "email": f"user{i}@example.com"}
    for i in range(20)
]


@app.route("/")
async def index() -> str:
    return "Hello, World!"


@app.route("/created")
async def created() -> tuple[str, int]:
    return "Resource created", 201


@app.route("/custom-headers")
async def custom_headers() -> tuple[str, int, dict[str, str]]:
    return "OK", 200, {"X-Custom": "value"}


@app.route("/cookie")
async def set_cookie() -> ResponseReturnValue:
    response = await make_response("Cookie set")
    response.set_cookie("username", "alice")
    return response


@app.route("/raw")
async def raw_response() -> Response:
    return Response(
        "Custom response", status=200, headers={"X-Custom": "value"}, mimetype="text/plain"
    )


@app.route("/api/user")
async def get_user() -> Response:
    return jsonify({"id": 123, "username": "alice", "email": "[email protected]"})


@app.route("/stream")
async def stream() -> Response:
    async def generate() -> AsyncIterator[str]:
        for i in range(10):
            yield f"Line {i}\n"

    return Response(generate(), mimetype="text/plain")


@app.route("/login", methods=["POST"])
async def login() -> ResponseReturnValue:
    response = await make_response(jsonify({"status": "logged in"}))
    response.set_cookie(
        "session_id",
        "secure-token-here",
        max_age=3600,
        httponly=True,
        secure=True,
        samesite="Lax",
    )
    return response


@app.route("/logout")
async def logout() -> ResponseReturnValue:
    response = await make_response("Logged out")
    response.delete_cookie("session_id")
    return response


@app.route("/api/data")
async def api_data() -> Response:
    response = jsonify({"users": ["alice", "bob"], "count": 2})
    response.headers["X-Total-Count"] = "2"
    response.headers["Cache-Control"] = "no-cache"
    return response


@app.route("/redirect-temp")
async def redirect_temp() -> Response:
    response = Response("", status=302)
    response.headers["Location"] = "/new-location"
    return response


@app.route("/download")
async def download() -> Response:
    response = Response("File content here", mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = "attachment; filename=file.txt"
    return response


@app.route("/users/<int:id>")
async def user_by_id(id: int) -> str:
    return f"User {id}"


@app.route("/template")
async def template() -> str:
    return await render_template("page.html", title="Users", users=USERS)
