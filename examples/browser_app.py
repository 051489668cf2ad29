"""A few HTML pages for a real browser: a login form, a redirect, a download, streamed pages.

``tests/test_browser.py`` drives it with Chromium through ``erlen run``::

    erlen run --app examples.browser_app:app

The login stores the user in the session, whose cookie is HttpOnly (scripts
must not see it), flashes a welcome message, and sets a plain ``theme``
cookie (scripts may); ``/whoami`` reports what the server received, the
flashed messages (shown once) and what ``document.cookie`` shows. ``/streamed`` sends its first
part at once and the rest when ``/release`` is called with the same token,
so a test can look at the page in between. ``/greet`` is a Jinja2 template
(``examples/templates/greet.html``): a form that flashes a greeting, and
session data handed to a script through ``tojson``.

``/sse`` opens ``new EventSource('/events')`` (``/sse?source=async`` uses
``/async-events``, the same events from an async generator) and appends each
event to a list as it arrives: its type, ``lastEventId`` and data. The first
connection sends a few events and ends; the browser reconnects with a
``Last-Event-ID`` header, and the second connection answers it, idles behind
keep-alive comments, and sends an ``end`` event that makes the page close
the EventSource.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator
from html import escape

from erlen import (
    Flask,
    Response,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
)
from erlen.sse import ServerSentEvent, event_stream

app = Flask(__name__)
app.secret_key = secrets.token_bytes(16)
app.config["SESSION_COOKIE_SAMESITE"] = "Lax"

USERS = {"alice": "wonderland"}
#: Longest a streamed page waits for its release before finishing anyway.
STREAM_WAIT_SECONDS = 5.0

_releases: dict[str, threading.Event] = {}
_releases_lock = threading.Lock()


def _current_user() -> str | None:
    user: str | None = session.get("user")
    return user


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{escape(title)}</title>"
        f"</head><body>{body}</body></html>"
    )


@app.get("/")
def login_page() -> str:
    return _page(
        "Log in",
        '<form id=login method=post action="/login">'
        "<input name=username id=username> <input name=password id=password type=password>"
        " <button id=submit type=submit>Log in</button></form>"
        '<p><a id=download href="/download">Download the report</a></p>',
    )


@app.post("/login")
def login() -> Response | tuple[str, int]:
    username = request.form.get("username", "")
    if USERS.get(username) != request.form.get("password"):
        return _page("Refused", "<p id=error>invalid credentials</p>"), 401
    session["user"] = username
    flash(f"Welcome, {username}")
    response = redirect("/whoami", 303)
    response.set_cookie("theme", "dark", samesite="Lax")
    return response


@app.post("/logout")
def logout() -> Response:
    session.clear()
    response = redirect("/whoami", 303)
    response.delete_cookie("theme")
    return response


@app.get("/whoami")
def whoami() -> str:
    user = _current_user()
    return _page(
        "Who am I",
        f"<p id=server-saw>{'yes' if user else 'no'}</p>"
        f"<p id=user>{escape(user or '')}</p>"
        f"<p id=flashes>{escape(' | '.join(get_flashed_messages()))}</p>"
        "<p id=script-sees></p>"
        "<script>document.getElementById('script-sees').textContent = document.cookie</script>"
        '<form method=post action="/logout"><button id=logout type=submit>Log out</button></form>',
    )


@app.get("/greet")
def greet_page() -> str:
    """A Jinja2 page: a form, the flashed messages, data handed to a script by tojson."""
    return render_template("greet.html", count=session.get("count", 0))


@app.post("/greet")
def greet_post() -> Response:
    name = request.form.get("name", "")
    session["name"] = name
    session["count"] = session.get("count", 0) + 1
    flash(f"Hello, {name}!")
    return redirect("/greet", 303)


@app.get("/go")
def go() -> Response:
    return redirect("/landing")


@app.get("/landing")
def landing() -> str:
    return _page("Landing", "<h1 id=landed>You followed the redirect</h1>")


@app.get("/download")
def download() -> Response:
    response = Response("id,title\n1,Buy milk\n", mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="report.csv"'
    return response


@app.get("/streamed")
def streamed() -> Response:
    token = request.args.get("token", "")
    with _releases_lock:
        release = _releases.setdefault(token, threading.Event())

    def generate() -> Iterator[str]:
        try:
            yield _page("Streamed", "<ul id=items><li id=first>first part</li>").removesuffix(
                "</body></html>"
            )
            released = release.wait(STREAM_WAIT_SECONDS)
            yield f"<li id=last>{'released' if released else 'timed out'}</li></ul>"
            yield "<p id=done>done</p></body></html>"
        finally:
            with _releases_lock:
                _releases.pop(token, None)

    return Response(generate())


@app.post("/release")
def release() -> dict[str, bool]:
    """Let the streamed page with this token send its second part."""
    with _releases_lock:
        event = _releases.get(request.args.get("token", ""))
    if event is not None:
        event.set()
    return {"released": event is not None}


#: The event source URL each ``/sse?source=...`` page opens.
EVENT_SOURCES = {"sync": "/events", "async": "/async-events"}
#: The reconnection delay the stream asks for, in milliseconds.
RECONNECT_MS = 100
#: How long the second connection idles (behind keep-alive comments) before its events.
IDLE_SECONDS = 0.35
KEEP_ALIVE_SECONDS = 0.1

# textContent, never innerHTML: event data is text, whatever it contains.
_EVENT_PAGE_SCRIPT = """
const list = document.getElementById("events");
const state = document.getElementById("state");
const source = new EventSource(document.body.dataset.source);
function show(event) {
  const item = document.createElement("li");
  item.dataset.type = event.type;
  item.dataset.lastEventId = event.lastEventId;
  item.textContent = event.data;
  list.append(item);
}
source.addEventListener("message", show);
source.addEventListener("tick", show);
source.addEventListener("end", (event) => {
  source.close();
  show(event);
  state.textContent += "closed";
});
source.addEventListener("error", () => { state.textContent += "reconnecting;"; });
"""


@app.get("/sse")
def event_page() -> str | tuple[str, int]:
    url = EVENT_SOURCES.get(request.args.get("source", "sync"))
    if url is None:
        return _page("Unknown source", "<p id=error>unknown source</p>"), 404
    body = (
        f"<h1>Events</h1><ol id=events></ol><p id=state></p><script>{_EVENT_PAGE_SCRIPT}</script>"
    )
    # The URL comes from a fixed table; the page reads it from a data attribute.
    return _page("Events", body).replace("<body>", f'<body data-source="{escape(url)}">', 1)


def _first_connection() -> list[ServerSentEvent]:
    return [
        ServerSentEvent(retry=RECONNECT_MS, comment="hello: clients ignore this"),
        ServerSentEvent(data="first", id=1),
        ServerSentEvent(data="line one\nline two", event="tick", id="2"),
        # No id field: the browser keeps "2" as the last event id.
        ServerSentEvent(data="no id"),
    ]


def _resumed(last_event_id: str) -> list[ServerSentEvent]:
    return [
        ServerSentEvent(data=f"resumed after {last_event_id}", id=3),
        ServerSentEvent(data="bye", event="end"),
    ]


@app.get("/events")
def events() -> Response:
    """The page's events from a sync generator."""
    last_event_id = request.headers.get("Last-Event-ID")

    def source() -> Iterator[ServerSentEvent]:
        if last_event_id is None:
            yield from _first_connection()
            return  # the browser reconnects
        time.sleep(IDLE_SECONDS)
        yield from _resumed(last_event_id)

    return event_stream(source(), keep_alive=KEEP_ALIVE_SECONDS)


@app.get("/async-events")
async def async_events() -> Response:
    """The page's events from an async generator."""
    last_event_id = request.headers.get("Last-Event-ID")

    async def source() -> AsyncIterator[ServerSentEvent]:
        if last_event_id is None:
            for event in _first_connection():
                yield event
            return
        await asyncio.sleep(IDLE_SECONDS)
        for event in _resumed(last_event_id):
            yield event

    return event_stream(source(), keep_alive=KEEP_ALIVE_SECONDS)
