"""Every Python example in README.md runs, and does what the README says it does.

The examples are read out of README.md itself (each ```python block follows
an ``<!-- example: NAME -->`` marker), so the README cannot drift from what is
tested. Each example is executed, then its app is driven through the test
client over WSGI and over ASGI; where an example is plain Flask code it is also
run through Flask and the two answers are compared.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from erlen import Erlen

README = Path(__file__).resolve().parents[1] / "README.md"
_EXAMPLE = re.compile(r"<!-- example: ([\w-]+) -->\n```python\n(.*?)\n```", re.DOTALL)
_PYTHON_BLOCK = re.compile(r"^```python$", re.MULTILINE)

PROTOCOLS = pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
TESTED = {
    "intro",
    "migrate",
    "strict",
    "protocols",
    "streaming",
    "async-body",
    "sse",
    "files",
    "templates",
    "headers",
    "sessions",
    "testing",
}


def readme_examples() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    return dict(_EXAMPLE.findall(text))


def run_example(name: str, code: str | None = None) -> dict[str, Any]:
    """Execute the README example ``name`` (or ``code``) in a fresh namespace."""
    source = readme_examples()[name] if code is None else code
    # A module name that is not imported anywhere: the app's root path is the cwd.
    namespace: dict[str, Any] = {"__name__": f"readme_example_{name.replace('-', '_')}"}
    exec(compile(source, f"README.md[{name}]", "exec"), namespace)
    return namespace


def app_of(namespace: dict[str, Any]) -> Erlen:
    """The example's ``app``, checked to be an erlen app (so tests can add routes)."""
    app = namespace["app"]
    assert isinstance(app, Erlen)
    return app


def as_flask(code: str) -> str:
    """The example with its erlen import line turned into the Flask one."""
    converted = re.sub(r"^from erlen import ", "from flask import ", code, flags=re.MULTILINE)
    assert converted != code
    return converted


def wire(response: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status, headers and body of a test response, read to its end.

    Names are lower-cased, Date is dropped, and Allow is sorted (erlen sorts
    it on purpose; Werkzeug's order follows the hash seed).
    """
    headers = []
    for name, value in response.headers:
        name = name.lower()
        if name == "allow":
            value = ", ".join(sorted(value.split(", ")))
        if name != "date":
            headers.append((name, value))
    return response.status, headers, response.get_data()


# -- the README itself -------------------------------------------------------------------


def test_every_python_block_is_a_tested_example() -> None:
    text = README.read_text(encoding="utf-8")
    examples = readme_examples()
    assert len(_PYTHON_BLOCK.findall(text)) == len(_EXAMPLE.findall(text)), (
        "a ```python block in README.md has no <!-- example: NAME --> marker"
    )
    assert set(examples) == TESTED


def test_quick_start_keeps_its_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "scripts/demo    # serve the spec's example app" in section
    assert "scripts/test    # run the whole test suite" in section


def test_what_is_here_lists_every_module() -> None:
    text = README.read_text(encoding="utf-8")
    table = text.split("## What is here", 1)[1]
    package = README.parent / "src" / "erlen"
    for path in sorted(package.glob("*.py")) + sorted(package.glob("http/*.py")):
        relative = path.relative_to(package).as_posix()
        if relative in {"__init__.py", "__main__.py", "http/__init__.py"}:
            continue
        if relative.startswith("http/") and relative not in {
            "http/conditional.py",
            "http/header_types.py",
        }:
            continue  # covered by the src/erlen/http/ row
        assert f"`src/erlen/{relative}`" in table, relative
    for init in sorted(package.glob("*/__init__.py")):
        assert f"`src/erlen/{init.parent.name}/`" in table, init.parent.name


# -- intro ---------------------------------------------------------------------------------


@PROTOCOLS
def test_intro(asgi: bool) -> None:
    app = run_example("intro")["app"]
    client = app.test_client(asgi=asgi)
    index = client.get("/")
    assert index.status_code == 200
    assert index.mimetype == "text/html"
    assert index.get_data() == b"Hello, World!"
    assert client.get("/api/user").json == {"id": 123, "username": "alice"}


# -- migrating from Flask ------------------------------------------------------------------


@PROTOCOLS
def test_migrate(asgi: bool) -> None:
    app = run_example("migrate")["app"]
    client = app.test_client(asgi=asgi)

    user = client.get("/users/7")
    assert user.status_code == 200
    assert user.json == {"id": 7, "name": "alice"}
    assert user.headers["Set-Cookie"] == "seen=yes; HttpOnly; Path=/; SameSite=Lax"
    assert user.headers["X-Frame-Options"] == "DENY"

    missing = client.get("/nope")
    assert missing.status_code == 404
    assert missing.json == {"error": "not found"}
    assert missing.headers["X-Frame-Options"] == "DENY"

    admin = client.get("/admin")
    assert admin.status_code == 403
    assert admin.get_data()  # the default error page


MIGRATE_REQUESTS: list[tuple[str, str]] = [
    ("GET", "/users/7"),
    ("GET", "/nope"),
    ("HEAD", "/users/1"),
    ("OPTIONS", "/users/1"),
]


@pytest.mark.parametrize(("method", "path"), MIGRATE_REQUESTS)
def test_migrate_is_byte_identical_to_flask(method: str, path: str) -> None:
    code = readme_examples()["migrate"]
    ours = run_example("migrate")["app"].test_client()
    theirs = run_example("migrate", as_flask(code))["app"].test_client()
    assert wire(ours.open(path, method=method)) == wire(theirs.open(path, method=method))


def test_migrate_error_page_has_flasks_shape_and_our_text() -> None:
    code = readme_examples()["migrate"]
    ours = run_example("migrate")["app"].test_client().get("/admin")
    theirs = run_example("migrate", as_flask(code))["app"].test_client().get("/admin")
    assert (ours.status, ours.mimetype) == (theirs.status, theirs.mimetype)
    assert ours.headers["X-Frame-Options"] == theirs.headers["X-Frame-Options"] == "DENY"
    # Same page up to the description sentence, which is erlen's own wording.
    ours_lines, theirs_lines = ours.get_data().split(b"\n"), theirs.get_data().split(b"\n")
    assert ours_lines[:4] == theirs_lines[:4]
    assert ours_lines[4] != theirs_lines[4]


def test_strict(capsys: pytest.CaptureFixture[str]) -> None:
    run_example("strict")
    printed = capsys.readouterr().out
    assert printed.startswith("header 'X-Note' value 'a\\r\\nSet-Cookie: admin=1' contains CR")


def test_strict_errors_are_value_errors() -> None:
    from erlen import HeaderValueError, Response, StatusCodeError
    from erlen.errors import CookieValueError, LocationValueError

    response = Response("hi")
    cases: list[tuple[type[Exception], Callable[[], object]]] = [
        (HeaderValueError, lambda: response.headers.set("X Bad", "1")),
        (StatusCodeError, lambda: setattr(response, "status", "200\r\nX: y")),
        (CookieValueError, lambda: response.set_cookie("a", "b", path="/;x")),
        (LocationValueError, lambda: setattr(response, "location", "/a\r\nX: y")),
    ]
    for error_class, call in cases:
        with pytest.raises(error_class) as caught:
            call()
        assert isinstance(caught.value, ValueError)


def test_nan_is_refused_where_flask_writes_it() -> None:
    import flask

    from erlen import Flask, JSONValueError, jsonify

    with Flask(__name__).app_context(), pytest.raises(JSONValueError):
        jsonify(value=float("nan"))
    with flask.Flask(__name__).app_context():
        assert flask.jsonify(value=float("nan")).get_data() == b'{"value":NaN}\n'


@PROTOCOLS
def test_allow_is_sorted(asgi: bool) -> None:
    from erlen import Flask

    app = Flask(__name__)
    app.add_url_rule("/thing", "thing", lambda: "ok", methods=["PUT", "DELETE", "GET", "PATCH"])
    response = app.test_client(asgi=asgi).post("/thing")
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"


def test_non_2xx_is_never_304() -> None:
    from werkzeug.wrappers import Response as WerkzeugResponse

    from erlen import Response

    environ = {"REQUEST_METHOD": "GET", "HTTP_IF_NONE_MATCH": '"v1"'}
    results = []
    for response_class in (Response, WerkzeugResponse):
        response = response_class("gone", status=404)
        response.set_etag("v1")
        results.append(response.make_conditional(environ).status_code)
    assert results == [404, 304]


# -- one app, two protocols ----------------------------------------------------------------


@PROTOCOLS
def test_protocols_views(asgi: bool) -> None:
    app = app_of(run_example("protocols"))

    @app.get("/sync-thread")
    def sync_thread() -> str:
        return threading.current_thread().name

    @app.get("/async-thread")
    async def async_thread() -> str:
        return threading.current_thread().name

    client = app.test_client(asgi=asgi)
    assert client.get("/sync").json == {"user": "ada"}
    # The test client runs no lifespan, so the serving hooks have not run.
    assert client.get("/async").json == {"user": "ada", "db": None}
    sync_name = client.get("/sync-thread").get_data(as_text=True)
    async_name = client.get("/async-thread").get_data(as_text=True)
    if asgi:
        assert sync_name.startswith("erlen-sync")  # the thread pool
        assert async_name == threading.current_thread().name  # the loop's thread
    else:
        assert sync_name == async_name == threading.current_thread().name


def test_protocols_lifespan_runs_serving_hooks() -> None:
    namespace = run_example("protocols")
    app, resources = app_of(namespace), namespace["resources"]
    client = app.test_client(asgi=True)
    sent: list[dict[str, Any]] = []
    seen_during_serving: list[Any] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, Any]:
        if sent:  # started: serve one request before shutting down
            answer = await asyncio.to_thread(lambda: client.get("/async").json)
            seen_during_serving.append(answer)
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    assert [message["type"] for message in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert seen_during_serving == [{"user": "ada", "db": "connected"}]
    assert resources["db"] == "closed"


def test_protocols_failing_startup_hook_fails_startup() -> None:
    app = app_of(run_example("protocols"))

    @app.before_serving
    def broken() -> None:
        raise RuntimeError("no database")

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    assert [message["type"] for message in sent] == ["lifespan.startup.failed"]
    assert "no database" in sent[0]["message"]


def test_protocols_websocket_is_refused() -> None:
    app = run_example("protocols")["app"]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "path": "/sync",
        "headers": [],
        "query_string": b"",
    }
    asyncio.run(app(scope, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1008}]


# -- streaming -----------------------------------------------------------------------------


@PROTOCOLS
def test_streaming(asgi: bool) -> None:
    namespace = run_example("streaming")
    client = namespace["app"].test_client(asgi=asgi)
    count = client.get("/count")
    assert "Content-Length" not in count.headers
    assert count.get_data() == b"0\n1\n2\n"
    assert namespace["closed"] == ["count"]
    assert client.get("/ticks").get_data() == b"tick 0\ntick 1\ntick 2\n"
    assert client.get("/greet?name=Ada").get_data() == b"Hello, Ada"


@PROTOCOLS
def test_streaming_cleanup_on_disconnect(asgi: bool) -> None:
    from erlen import Response

    namespace = run_example("streaming")
    app, closed = app_of(namespace), namespace["closed"]

    @app.get("/forever")
    def forever() -> Response:
        # The README's generator, without an end: only a hang-up stops it.
        def generate() -> Iterator[str]:
            try:
                for number in itertools.count():
                    yield f"{number}\n"
            finally:
                closed.append("forever")

        return Response(generate(), mimetype="text/plain")

    @app.get("/forever-async")
    async def forever_async() -> Response:
        async def generate() -> AsyncIterator[str]:
            try:
                for number in itertools.count():
                    await asyncio.sleep(0)
                    yield f"{number}\n"
            finally:
                closed.append("forever-async")

        return Response(generate(), mimetype="text/plain")

    client = app.test_client(asgi=asgi)
    for path in ("/forever", "/forever-async"):
        response = client.get(path, buffered=False)
        try:
            assert next(iter(cast("Iterable[bytes]", response.response))) == b"0\n"
            assert closed == []
        finally:
            response.close()  # the client hangs up after the first chunk
        assert closed == [path[1:]]
        closed.clear()


def test_async_body() -> None:
    from erlen import AsyncBodyError

    namespace = run_example("async-body")
    assert namespace["response"].get_data() == b"0\n1\n2\n"
    assert issubclass(AsyncBodyError, RuntimeError)


# -- Server-Sent Events --------------------------------------------------------------------

NEWS = (
    "id: 0\nevent: news\ndata: story 0\n\n"
    "id: 1\nevent: news\ndata: story 1\n\n"
    "data: line one\ndata: line two\n\n"
)


@PROTOCOLS
def test_sse(asgi: bool) -> None:
    client = run_example("sse")["app"].test_client(asgi=asgi)
    news = client.get("/news")
    assert news.status_code == 200
    assert news.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert news.headers["Cache-Control"] == "no-cache"
    assert news.headers["X-Accel-Buffering"] == "no"
    assert news.get_data(as_text=True) == NEWS

    resumed = client.get("/news", headers={"Last-Event-ID": "0"}).get_data(as_text=True)
    assert resumed == NEWS.split("\n\n", 1)[1]

    prices = client.get("/prices").get_data(as_text=True)
    # The source sleeps 0.05 s between its events and keep_alive is 0.02 s.
    assert prices.count(": keep-alive\n\n") >= 1
    assert prices.replace(": keep-alive\n\n", "") == (
        "event: price\ndata: 101.5\n\nevent: price\nretry: 5000\ndata: 101.7\n\n"
    )
    between = prices.split("data: 101.5\n\n", 1)[1].split("event: price", 1)[0]
    assert between.startswith(": keep-alive\n\n")


def test_sse_fields_are_checked_when_made() -> None:
    from erlen import EventValueError, ServerSentEvent

    with pytest.raises(EventValueError):
        ServerSentEvent(data="x", event="a\nb")
    with pytest.raises(EventValueError):
        ServerSentEvent(data="x", id="a\rb")
    assert ServerSentEvent(data="a\r\nb").serialize() == "data: a\ndata: b\n\n"


# -- templates -----------------------------------------------------------------------------


@PROTOCOLS
def test_templates(asgi: bool) -> None:
    namespace = run_example("templates")
    client = namespace["app"].test_client(asgi=asgi)
    cart = client.get("/cart")
    assert cart.mimetype == "text/html"
    assert cart.get_data(as_text=True) == (
        "<h1>Shop: cart</h1>\n"
        '<script>const item = {"id": "\\u003c/script\\u003e"};</script>\n'
        "<p>&lt;tea&gt;: 3.50 EUR</p>\n<p>cake: 4.20 EUR</p>\n"
    )
    assert client.get("/big").get_data() == b"0 1 2 "
    # Plain Flask code: the same bytes through Flask.
    flask_namespace = run_example(
        "templates", readme_examples()["templates"].replace("from erlen", "from flask")
    )
    theirs = flask_namespace["app"].test_client()
    assert theirs.get("/cart").get_data() == cart.get_data()


# -- files ---------------------------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The files the README's files example serves; the app's root is this directory."""
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.css").write_bytes(b"body{}")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "q1.txt").write_bytes(b"0123456789abcdefghij")
    (tmp_path / "secret.txt").write_bytes(b"top secret")
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@PROTOCOLS
def test_files(site: Path, asgi: bool) -> None:
    client = run_example("files")["app"].test_client(asgi=asgi)

    static = client.get("/static/app.css")
    assert (static.status_code, static.mimetype, static.get_data()) == (200, "text/css", b"body{}")

    report = client.get("/reports/q1.txt")
    assert report.get_data() == b"0123456789abcdefghij"
    assert report.headers["Accept-Ranges"] == "bytes"
    assert "Last-Modified" in report.headers
    etag = report.headers["ETag"]

    cached = client.get("/reports/q1.txt", headers={"If-None-Match": etag})
    assert (cached.status_code, cached.get_data()) == (304, b"")

    part = client.get("/reports/q1.txt", headers={"Range": "bytes=0-3"})
    assert (part.status_code, part.get_data()) == (206, b"0123")
    assert part.headers["Content-Range"] == "bytes 0-3/20"

    parts = client.get("/reports/q1.txt", headers={"Range": "bytes=0-1,5-6"})
    assert parts.status_code == 206
    assert parts.mimetype == "multipart/byteranges"
    body = parts.get_data()
    assert b"Content-Range: bytes 0-1/20\r\n\r\n01\r\n" in body
    assert b"Content-Range: bytes 5-6/20\r\n\r\n56\r\n" in body

    unsatisfiable = client.get("/reports/q1.txt", headers={"Range": "bytes=50-60"})
    assert unsatisfiable.status_code == 416
    unsatisfiable.close()

    for escape in (
        "/reports/../secret.txt",
        "/reports/..%2Fsecret.txt",
        "/reports/%2e%2e/secret.txt",
    ):
        answer = client.get(escape)
        assert answer.status_code == 404, escape
        assert b"top secret" not in answer.get_data()

    download = client.get("/download")
    assert download.headers["Content-Disposition"] == 'attachment; filename="Q1 report.txt"'
    assert download.get_data() == b"0123456789abcdefghij"

    items = client.get("/items")
    assert items.json == {"items": [1, 2, 3]}
    fresh = client.get("/items", headers={"If-None-Match": items.headers["ETag"]})
    assert (fresh.status_code, fresh.get_data()) == (304, b"")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Range": "bytes=0-3"},
        {"Range": "bytes=-5"},
        {"If-Range": '"other"', "Range": "bytes=0-3"},
    ],
    ids=["whole", "range", "suffix", "stale-if-range"],
)
@pytest.mark.parametrize("path", ["/reports/q1.txt", "/download", "/items", "/static/app.css"])
def test_files_match_flask(site: Path, path: str, headers: dict[str, str]) -> None:
    code = readme_examples()["files"]
    ours = run_example("files")["app"].test_client()
    theirs = run_example("files", as_flask(code))["app"].test_client()
    ours_wire, theirs_wire = (
        wire(ours.get(path, headers=headers)),
        wire(theirs.get(path, headers=headers)),
    )
    # Expires is now + max_age, computed a moment apart.
    assert _without(ours_wire, "expires") == _without(theirs_wire, "expires")


def _without(
    answer: tuple[str, list[tuple[str, str]], bytes], name: str
) -> tuple[str, list[tuple[str, str]], bytes]:
    status, headers, body = answer
    return status, [pair for pair in headers if pair[0] != name], body


# -- header properties ---------------------------------------------------------------------


def test_headers() -> None:
    namespace = run_example("headers")
    assert "Expires" not in namespace["response"].headers


def test_headers_match_flask() -> None:
    code = readme_examples()["headers"]
    # Up to the first assert: the part that builds the headers.
    building = code.split("\nassert ", 1)[0]
    ours = run_example("headers", building)["response"]
    theirs = run_example("headers", as_flask(building))["response"]
    assert list(ours.headers.items()) == list(theirs.headers.items())


def test_header_property_edits_are_validated() -> None:
    from erlen import HeaderValueError, Response

    response = Response()
    response.cache_control.max_age = 60
    with pytest.raises(HeaderValueError):
        response.vary.add("Cookie\r\nX-Evil: 1")
    assert response.headers.get("Vary") is None
    assert response.headers["Cache-Control"] == "max-age=60"


# -- testing -------------------------------------------------------------------------------


@PROTOCOLS
def test_testing(asgi: bool) -> None:
    namespace = run_example("testing")
    namespace["test_login"](asgi)


@PROTOCOLS
def test_testing_with_client_keeps_the_request_context(asgi: bool) -> None:
    from erlen import request

    app = run_example("testing")["app"]
    with app.test_client(asgi=asgi) as client:
        client.get("/profile?tab=1")
        assert request.args["tab"] == "1"


# -- sessions ------------------------------------------------------------------------------


@PROTOCOLS
def test_sessions(asgi: bool) -> None:
    client = app_of(run_example("sessions")).test_client(asgi=asgi)
    response = client.post("/login", data={"user": "ada"})
    assert response.status_code == 302
    assert response.headers["Vary"] == "Cookie"
    assert "; HttpOnly; Path=/" in response.headers["Set-Cookie"]
    assert client.get("/").json == {"user": "ada", "messages": ["Welcome, ada"]}
    assert client.get("/").json == {"user": "ada", "messages": []}
    client.post("/logout")
    assert client.get("/").json == {"user": None, "messages": []}


def test_sessions_cookie_is_read_by_flask() -> None:
    code = readme_examples()["sessions"]
    ours = app_of(run_example("sessions")).test_client()
    theirs = run_example("sessions", as_flask(code))["app"].test_client()
    ours.post("/login", data={"user": "ada"})
    theirs.set_cookie("session", ours.get_cookie("session").value)
    assert theirs.get("/").json == {"user": "ada", "messages": ["Welcome, ada"]}
