"""A small, realistic erlen app: a JSON notes API with a cookie login.

Shows what a Flask user writes every day — JSON in and out, a login cookie,
errors as JSON, a download, a streamed report, an async view — and runs on
WSGI and ASGI servers alike::

    erlen run --app examples.notes_app:app          # granian (WSGI or ASGI as the app needs)
    gunicorn examples.notes_app:app                 # WSGI
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from typing import Any

from erlen import Flask, Response, abort, jsonify, make_response, redirect, request, url_for

app = Flask(__name__)

# Demo data. A real deployment keeps users and sessions in a shared store
# (a database, Redis): nothing here must live only in one worker's memory for
# correctness, which is why the session token is checked statelessly below.
USERS = {"alice": "wonderland"}
NOTES: dict[int, dict[str, Any]] = {
    1: {"id": 1, "title": "Buy milk", "done": False},
    2: {"id": 2, "title": "Write erlen", "done": True},
}
SECRET = secrets.token_hex(16)


def _token_for(username: str) -> str:
    signature = hmac.new(SECRET.encode(), username.encode(), "sha256").hexdigest()
    return f"{username}.{signature}"


def _current_user() -> str | None:
    token = request.cookies.get("session", "")
    username, _, _signature = token.partition(".")
    if username and hmac.compare_digest(token, _token_for(username)):
        return username
    return None


@app.errorhandler(404)
def not_found(error: Exception) -> tuple[Response, int]:
    return jsonify(error="not found"), 404


@app.get("/")
def home() -> Response:
    return redirect(url_for("list_notes"))


@app.post("/login")
def login() -> Any:
    payload = request.get_json(silent=True) or request.form
    username = payload.get("username", "")
    if USERS.get(username) != payload.get("password"):
        return {"error": "invalid credentials"}, 401
    response = make_response({"status": "logged in", "user": username})
    response.set_cookie(
        "session", _token_for(username), max_age=3600, httponly=True, samesite="Lax"
    )
    return response


@app.route("/logout", methods=["GET", "POST"])
def logout() -> Response:
    response = make_response({"status": "logged out"})
    response.delete_cookie("session")
    return response


@app.get("/me")
def me() -> Any:
    user = _current_user()
    if user is None:
        return {"error": "not logged in"}, 401
    return {"user": user}


@app.get("/notes")
def list_notes() -> Response:
    return jsonify(notes=list(NOTES.values()), count=len(NOTES))


@app.get("/notes/<int:note_id>")
def get_note(note_id: int) -> Any:
    note = NOTES.get(note_id)
    if note is None:
        abort(404)
    return note


@app.post("/notes")
def create_note() -> Any:
    if _current_user() is None:
        return {"error": "not logged in"}, 401
    data = request.get_json()
    note_id = max(NOTES, default=0) + 1
    NOTES[note_id] = {"id": note_id, "title": str(data.get("title", "")), "done": False}
    return NOTES[note_id], 201, {"Location": url_for("get_note", note_id=note_id)}


@app.get("/notes.csv")
def export_notes() -> Response:
    lines = ["id,title,done"] + [f"{n['id']},{n['title']},{n['done']}" for n in NOTES.values()]
    response = Response("\n".join(lines) + "\n", mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=notes.csv"
    return response


@app.get("/report")
def report() -> Response:
    def generate():
        yield "<!doctype html><title>Report</title><ul>"
        for note in NOTES.values():
            yield f"<li>{note['title']}</li>"
        yield "</ul>"

    return Response(generate())


@app.get("/slow-count")
async def slow_count() -> Any:
    await asyncio.sleep(0.01)
    return {"count": len(NOTES)}
