"""The benchmark app on Flask: the spec's examples, as Flask's docs write them."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask, Response, jsonify, make_response, render_template

app = Flask(__name__, template_folder="../templates")

# The template endpoint's data (bench/endpoints.py checks the page it renders to).
USERS = [
    {"name": "<b>alice</b>" if i == 0 else f"user{i}", "email": f"user{i}@example.com"}
    for i in range(20)
]


@app.route("/")
def index() -> str:
    return "Hello, World!"


@app.route("/created")
def created() -> tuple[str, int]:
    return "Resource created", 201


@app.route("/custom-headers")
def custom_headers() -> tuple[str, int, dict[str, str]]:
    return "OK", 200, {"X-Custom": "value"}


@app.route("/cookie")
def set_cookie() -> Response:
    response = make_response("Cookie set")
    response.set_cookie("username", "alice")
    return response


@app.route("/raw")
def raw_response() -> Response:
    return Response(
        "Custom response", status=200, headers={"X-Custom": "value"}, mimetype="text/plain"
    )


@app.route("/api/user")
def get_user() -> Response:
    return jsonify({"id": 123, "username": "alice", "email": "[email protected]"})


@app.route("/stream")
def stream() -> Response:
    def generate() -> Iterator[str]:
        for i in range(10):
            yield f"Line {i}\n"

    return Response(generate(), mimetype="text/plain")


@app.route("/login", methods=["POST"])
def login() -> Response:
    response = make_response(jsonify({"status": "logged in"}))
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
def logout() -> Response:
    response = make_response("Logged out")
    response.delete_cookie("session_id")
    return response


@app.route("/api/data")
def api_data() -> Response:
    response = jsonify({"users": ["alice", "bob"], "count": 2})
    response.headers["X-Total-Count"] = "2"
    response.headers["Cache-Control"] = "no-cache"
    return response


@app.route("/redirect-temp")
def redirect_temp() -> Response:
    response = Response("", status=302)
    response.headers["Location"] = "/new-location"
    return response


@app.route("/download")
def download() -> Response:
    response = Response("File content here", mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = "attachment; filename=file.txt"
    return response


@app.route("/users/<int:id>")
def user_by_id(id: int) -> str:
    return f"User {id}"


@app.route("/template")
def template() -> str:
    return render_template("page.html", title="Users", users=USERS)
