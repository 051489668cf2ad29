"""A small, realistic erlen app: a JSON notes API with a session login.

Shows what a Flask user writes every day — JSON in and out, a login session,
errors as JSON, a download, a streamed report, an async view — and runs on
WSGI and ASGI servers alike::

    erlen run --app examples.notes_app:app          # uvicorn (ASGI)
    gunicorn examples.notes_app:app                 # WSGI
"""

from __future__ import annotations

import asyncio
import os
import secrets
from datetime import timedelta
from typing import Any

from erlen import Flask, Response, abort, jsonify, redirect, request, session, url_for

app = Flask(__name__)
# The session is a cookie signed with this key, so any worker holding the same
# key serves any request: set NOTES_SECRET_KEY when running several workers
# (the random fallback differs per process).
app.secret_key = os.environ.get("NOTES_SECRET_KEY") or secrets.token_hex(16)
app.config.update(PERMANENT_SESSION_LIFETIME=timedelta(hours=1), SESSION_COOKIE_SAMESITE="Lax")

# Demo data. A real deployment keeps users and notes in a shared store (a
# database): nothing here must live only in one worker's memory for correctness.
USERS = {"alice": "wonderland"}
NOTES: dict[int, dict[str, Any]] = {
    1: {"id": 1, "title": "Buy milk", "done": False},
    2: {"id": 2, "title": "Write erlen", "done": True},
}


def _current_user() -> str | None:
    user: str | None = session.get("user")
    return user


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
    session.clear()  # a fresh session at login: nothing carried over from before
    session["user"] = username
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME, not with the browser
    return {"status": "logged in", "user": username}


@app.route("/logout", methods=["GET", "POST"])
def logout() -> Any:
    session.clear()
    return {"status": "logged out"}


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
