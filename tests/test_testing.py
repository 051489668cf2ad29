"""The test client, checked against Flask's FlaskClient and Werkzeug's EnvironBuilder.

Each differential case runs the same Flask app through Flask's client and
through erlen's, and compares what the app saw and what the client returned.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import flask
import pytest
from hypothesis import given, settings, strategies as st
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.http import dump_cookie
from werkzeug.test import Cookie as WerkzeugCookie, EnvironBuilder as WerkzeugEnvironBuilder

import erlen.testing as testing
from erlen.errors import ArgumentTypeError, CookieValueError, HeaderValueError
from erlen.testing import (
    ClientRedirectError,
    Cookie,
    EnvironBuilder,
    ErlenClient,
    RequestArgumentError,
    TestResponse,
    build_environ,
    run_wsgi_app,
)

# ---------------------------------------------------------------------------
# The app both clients drive


def make_app(framework: Any = flask, **config: Any) -> flask.Flask:
    app: flask.Flask = framework.Flask(__name__)
    app.config.update(config)

    @app.route("/")
    def index() -> str:
        return "Hello, World!"

    @app.route("/created")
    def created() -> Any:
        return "Resource created", 201

    @app.route("/custom-headers")
    def custom_headers() -> Any:
        return "OK", 200, [("X-Custom", "value"), ("X-Multi", "a"), ("X-Multi", "b")]

    @app.route("/json")
    def json_view() -> Any:
        return framework.jsonify(users=["alice", "bob"], count=2)

    @app.route("/raw")
    def raw() -> Any:
        return framework.Response("Custom", headers={"X-Custom": "v"}, mimetype="text/plain")

    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])
    def echo() -> Any:
        request = framework.request
        environ = {
            key: value
            for key, value in request.environ.items()
            if isinstance(value, (str, bool, int, tuple)) and key != "HTTP_USER_AGENT"
        }
        if request.mimetype == "multipart/form-data":
            # The boundary is random, and its length sets the body length.
            environ["CONTENT_TYPE"] = "multipart/form-data; boundary=<B>"
            environ.pop("CONTENT_LENGTH")
        return {
            "method": request.method,
            "environ": environ,
            "args": list(request.args.items(multi=True)),
            "form": list(request.form.items(multi=True)),
            "files": [
                (name, f.filename, f.content_type, f.read().decode("latin1"))
                for name, f in request.files.items(multi=True)
            ],
            "json": request.get_json(silent=True),
            "body": request.get_data(as_text=True) if not request.form else "",
            "cookies": list(request.cookies.items(multi=True)),
        }

    @app.route("/login", methods=["POST"])
    def login() -> Any:
        response = framework.make_response(framework.jsonify(status="logged in"))
        response.set_cookie("session_id", "token-1", max_age=3600, httponly=True, samesite="Lax")
        response.set_cookie("theme", "dark mode;x", path="/settings")
        return response

    @app.route("/logout")
    def logout() -> Any:
        response = framework.make_response("Logged out")
        response.delete_cookie("session_id")
        return response

    @app.route("/settings/page")
    def settings_page() -> Any:
        return {"cookies": dict(framework.request.cookies)}

    @app.route("/cookie/domain")
    def cookie_domain() -> Any:
        response = framework.make_response("d")
        response.set_cookie("wide", "1", domain="localhost")
        response.set_cookie("narrow", "2")
        return response

    @app.route("/cookie/expires-epoch")
    def cookie_expires_epoch() -> Any:
        response = framework.make_response("e")
        response.set_cookie("narrow", "", expires=0)
        return response

    @app.route("/cookie/future")
    def cookie_future() -> Any:
        response = framework.make_response("f")
        response.set_cookie("later", "v", expires=datetime(2099, 1, 1, tzinfo=timezone.utc))
        response.set_cookie("quoted", 'a"b\\c\u00e9')
        return response

    @app.route("/cookie/relative/deep")
    def cookie_relative() -> Any:
        response = framework.make_response("r")
        response.headers.add("Set-Cookie", "nopath=1")
        return response

    @app.route("/cookie/relative/read")
    def cookie_relative_read() -> Any:
        return framework.request.headers.get("Cookie", "")

    for code in (301, 302, 303, 305, 307, 308):

        def redirect_view(code: int = code) -> Any:
            return framework.redirect(f"/echo?code={code}", code)

        app.add_url_rule(
            f"/redirect/{code}", f"redirect_{code}", redirect_view, methods=["GET", "POST", "HEAD"]
        )

    @app.route("/redirect/chain")
    def redirect_chain() -> Any:
        return framework.redirect("/redirect/302")

    @app.route("/redirect/absolute")
    def redirect_absolute() -> Any:
        return framework.redirect("http://localhost/echo?abs=1")

    @app.route("/redirect/loop")
    def redirect_loop() -> Any:
        return framework.redirect("/redirect/loop")

    @app.route("/redirect/external")
    def redirect_external() -> Any:
        return framework.redirect("http://example.org/")

    @app.route("/redirect/subdomain")
    def redirect_subdomain() -> Any:
        return framework.redirect("http://api.localhost/echo")

    @app.route("/redirect/read-then-307", methods=["POST"])
    def read_then_307() -> Any:
        framework.request.get_data()
        return framework.redirect("/echo", 307)

    @app.route("/stream")
    def stream() -> Any:
        def generate() -> Any:
            for i in range(5):
                yield f"Line {i}\n"

        return framework.Response(generate(), mimetype="text/plain")

    @app.route("/empty-stream")
    def empty_stream() -> Any:
        return framework.Response(iter([]), mimetype="text/plain")

    @app.route("/error")
    def error() -> Any:
        framework.abort(418)

    @app.route("/boom")
    def boom() -> Any:
        raise ZeroDivisionError

    @app.route("/download")
    def download() -> Any:
        response = framework.Response("File content here", mimetype="application/octet-stream")
        response.headers["Content-Disposition"] = "attachment; filename=file.txt"
        return response

    @app.route("/no-content")
    def no_content() -> Any:
        return "", 204

    return app


def erlen_client(app: flask.Flask, **kwargs: Any) -> ErlenClient:
    return ErlenClient(app, app.response_class, **kwargs)


def normalize_headers(headers: Any) -> list[tuple[str, str]]:
    # Dates derived from "now" (Max-Age -> Expires) may fall in different seconds.
    return [
        (name, re.sub(r"Expires=[^;]+", "Expires=<date>", value) if name == "Set-Cookie" else value)
        for name, value in headers
    ]


def response_summary(response: Any) -> tuple[Any, ...]:
    return (
        response.status,
        normalize_headers(response.headers.to_wsgi_list()),
        response.get_data(),
        len(response.history),
        [r.status for r in response.history],
    )


def jar_summary(client: Any) -> dict[tuple[str, str, str], tuple[Any, ...]]:
    out = {}
    for storage_key, cookie in client._cookies.items():
        expires = None if cookie.expires is None else round(cookie.expires.timestamp() / 10)
        out[storage_key] = (
            cookie.key,
            cookie.value,
            cookie.decoded_key,
            cookie.decoded_value,
            cookie.max_age,
            cookie.domain,
            cookie.origin_only,
            cookie.path,
            cookie.secure,
            cookie.http_only,
            cookie.same_site,
            expires,
        )
    return out


# A step is (method, args, kwargs); file objects are made fresh for each client.
Step = tuple[str, tuple[Any, ...], Callable[[], dict[str, Any]]]


def step(method: str, path: str, **kwargs: Any) -> Step:
    return (method, (path,), lambda: dict(kwargs))


def upload_step() -> Step:
    return (
        "post",
        ("/echo",),
        lambda: {
            "data": {
                "name": "value",
                "many": ["1", "2"],
                "file": (io.BytesIO(b"file body"), "hello.txt"),
                "typed": (io.BytesIO(b"{}"), "x.bin", "application/json"),
                "unnamed": io.BytesIO(b"anon"),
                "empty": (io.BytesIO(b""), "empty.png"),
            }
        },
    )


SEQUENCES: dict[str, list[Step]] = {
    "plain": [
        step("get", "/"),
        step("get", "/created"),
        step("get", "/custom-headers"),
        step("get", "/json"),
        step("get", "/raw"),
        step("get", "/download"),
        step("get", "/no-content"),
        step("get", "/error"),
        step("get", "/missing"),
        step("post", "/"),
        step("head", "/"),
        step("head", "/stream"),
        step("options", "/echo"),
        step("trace", "/echo"),
    ],
    "echo": [
        step("get", "/echo?a=1&b=2&a=3"),
        step("get", "/echo", query_string={"x": ["1", "2"], "y": "é", "n": None}),
        step("get", "/echo", query_string="raw=1&raw=2"),
        step("get", "/echo/".rstrip("/") + "?q=%20sp", headers={"X-Trace": "1"}),
        step("post", "/echo", data={"a": "1", "b": ["2", "3"]}),
        step("post", "/echo", data="plain text body", content_type="text/plain"),
        step("post", "/echo", data=b"\x00\xffbytes", content_type="application/octet-stream"),
        step("put", "/echo", json={"b": 1, "a": [1, 2, {"z": None}]}),
        step("patch", "/echo", json=[1, "two"]),
        step("delete", "/echo", headers=[("X-A", "1"), ("X-A", "2")]),
        step("get", "/echo", headers=Headers([("Accept", "text/html")])),
        step("get", "/echo", environ_base={"REMOTE_ADDR": "10.0.0.1"}),
        step("get", "/echo", environ_overrides={"wsgi.url_scheme": "https"}),
        step("get", "/echo", base_url="https://example.com:8443/root"),
        step("get", "/echo", subdomain="api"),
        step("get", "/echo", url_scheme="https"),
        step("get", "http://other.test:5000/echo?x=1"),
        step("get", "/echo", auth=("alice", "secret")),
        step("post", "/echo", data={"m": "x"}, content_type="multipart/form-data"),
        step("post", "/echo", data=MultiDict([("k", "1"), ("j", "2"), ("k", "3")])),
        step("get", "/echo", buffered=True),
        upload_step(),
    ],
    "redirects": [
        *[step("get", f"/redirect/{code}", follow_redirects=True) for code in (301, 302, 303)],
        *[step("get", f"/redirect/{code}", follow_redirects=True) for code in (305, 307, 308)],
        *[
            step("post", f"/redirect/{code}", data={"f": "v"}, follow_redirects=True)
            for code in (301, 302, 303, 307, 308)
        ],
        step("post", "/redirect/307", json={"k": 1}, follow_redirects=True),
        step("post", "/redirect/308", data=b"raw", content_type="x/y", follow_redirects=True),
        step("head", "/redirect/302", follow_redirects=True),
        step("head", "/redirect/307", follow_redirects=True),
        step("get", "/redirect/chain", follow_redirects=True),
        step("get", "/redirect/chain", follow_redirects=True, buffered=True),
        step("get", "/redirect/absolute", follow_redirects=True),
        step("get", "/redirect/302"),
        step("get", "/redirect/chain", follow_redirects=True, base_url="http://localhost/app"),
    ],
    "login-logout": [
        step("post", "/login"),
        step("get", "/echo"),
        step("get", "/settings/page"),
        step("get", "/settingsx"),
        step("get", "/logout"),
        step("get", "/echo"),
        step("get", "/settings/page"),
    ],
    "path-and-domain": [
        step("get", "/cookie/domain"),
        step("get", "/echo"),
        step("get", "/echo", subdomain="api"),
        step("get", "/cookie/expires-epoch"),
        step("get", "/echo"),
        step("get", "/cookie/future"),
        step("get", "/echo"),
        step("get", "/cookie/relative/deep"),
        step("get", "/cookie/relative/read"),
        step("get", "/echo"),
    ],
    "stream": [
        step("get", "/stream"),
        step("get", "/stream", buffered=True),
        step("get", "/empty-stream"),
    ],
}


def run_sequence(client: Any, steps: list[Step]) -> list[tuple[Any, ...]]:
    results = []
    for method, args, make_kwargs in steps:
        response = getattr(client, method)(*args, **make_kwargs())
        results.append(response_summary(response))
        response.close()
    return results


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_client_matches_flask_client(name: str) -> None:
    app = make_app()
    steps = SEQUENCES[name]
    flask_client = app.test_client()
    ours = erlen_client(app)
    expected = run_sequence(flask_client, steps)
    actual = run_sequence(ours, steps)
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        assert got == want, (index, steps[index][:2])
    assert jar_summary(ours) == jar_summary(flask_client)


@pytest.mark.parametrize(
    "config",
    [
        {"SERVER_NAME": "example.com"},
        {"APPLICATION_ROOT": "/prefix"},
        {"PREFERRED_URL_SCHEME": "https", "SERVER_NAME": "example.com:8080"},
    ],
)
def test_client_matches_flask_client_under_app_config(config: dict[str, Any]) -> None:
    app = make_app(**config)
    steps = [*SEQUENCES["echo"][:6], *SEQUENCES["login-logout"]]
    flask_client = app.test_client()
    ours = erlen_client(app)
    assert run_sequence(ours, steps) == run_sequence(flask_client, steps)
    assert jar_summary(ours) == jar_summary(flask_client)


def test_client_side_cookie_api_matches_flask_client() -> None:
    app = make_app()
    flask_client = app.test_client()
    ours = erlen_client(app)
    for client in (flask_client, ours):
        client.set_cookie("plain", "v")
        client.set_cookie("spaced", "a b;c")
        client.set_cookie("scoped", "s", path="/settings")
        client.set_cookie("wide", "w", domain="localhost", origin_only=False)
        client.set_cookie("other", "o", domain="example.com")
        client.set_cookie("aged", "x", max_age=60, httponly=True, samesite="strict")
        client.set_cookie("gone", "x")
        client.delete_cookie("gone")
        client.set_cookie("zero", "x", max_age=0)
    assert jar_summary(ours) == jar_summary(flask_client)
    for path in ("/echo", "/settings/page"):
        assert ours.get(path).get_json() == flask_client.get(path).get_json()
    for key, domain, path in [("plain", "localhost", "/"), ("scoped", "localhost", "/settings")]:
        mine = ours.get_cookie(key, domain, path)
        theirs = flask_client.get_cookie(key, domain, path)
        assert mine is not None and theirs is not None
        assert (mine.key, mine.value, mine.path) == (theirs.key, theirs.value, theirs.path)
    assert ours.get_cookie("gone") is None and ours.get_cookie("zero") is None


def test_cookies_disabled_like_flask() -> None:
    app = make_app()
    ours = erlen_client(app, use_cookies=False)
    ours.post("/login")
    assert ours.get("/echo").get_json()["cookies"] == []
    with pytest.raises(TypeError):
        ours.get_cookie("session_id")
    with pytest.raises(ArgumentTypeError):
        ours.set_cookie("a", "b")


# ---------------------------------------------------------------------------
# build_environ against Werkzeug's EnvironBuilder


def _read_all(stream: Any) -> bytes:
    data: bytes = stream.read()
    return data


def normalize_environ(environ: dict[str, Any]) -> dict[str, Any]:
    out = dict(environ)
    out.pop("wsgi.errors")
    body = _read_all(out.pop("wsgi.input"))
    content_type = out.get("CONTENT_TYPE", "")
    match = re.search(r'boundary="([^"]+)"', content_type)
    if match:
        boundary = match.group(1)
        out["CONTENT_TYPE"] = content_type.replace(boundary, "B")
        body = body.replace(boundary.encode(), b"B")
        # Our boundary has a different prefix: the length follows it.
        out["CONTENT_LENGTH"] = str(len(body))
    out["body"] = body
    return out


ENVIRON_CASES: list[Callable[[], dict[str, Any]]] = [
    lambda: {},
    lambda: {"path": "/a/b"},
    lambda: {"path": "/a b/ü"},
    lambda: {"path": "/a%20b%2Fc"},
    lambda: {"path": "/p?x=1&y=%C3%A9"},
    lambda: {"path": "/p?x=ü"},
    lambda: {"path": "/p#frag"},
    lambda: {"path": "//double//slash"},
    lambda: {"path": "/x", "base_url": "http://example.com"},
    lambda: {"path": "/x", "base_url": "https://example.com/root/"},
    lambda: {"path": "/x", "base_url": "http://example.com:8080/a/b"},
    lambda: {"path": "/x", "base_url": "http://ü.example/"},
    lambda: {"path": "/x", "base_url": "http://[::1]:5000/"},
    lambda: {"path": "/x", "base_url": "http://user:pw@host/"},
    lambda: {"query_string": "a=1&b=2"},
    lambda: {"query_string": {"a": "1", "b": ["2", "3"], "c": None}},
    lambda: {"query_string": {"sp ace": "é&=", "t": ("x", "y")}},
    lambda: {"query_string": MultiDict([("a", "1"), ("b", "2"), ("a", "3")])},
    lambda: {"query_string": [("a", "1"), ("b", "2"), ("a", "3")]},
    lambda: {"query_string": {"n": 5}},
    lambda: {"method": "POST"},
    lambda: {"method": "PATCH", "data": "x"},
    lambda: {"data": "text"},
    lambda: {"data": b"\x00\x01"},
    lambda: {"data": "é", "content_type": "text/plain; charset=utf-8"},
    lambda: {"data": io.BytesIO(b"from a file")},
    lambda: {"data": ""},
    lambda: {"data": {}},
    lambda: {"data": {"a": "1", "b": ["2", "3"]}},
    lambda: {"data": {"a": 1, "n": None}},
    lambda: {"data": {"a": "1"}, "content_type": "text/plain"},
    lambda: {"data": {"a": "1"}, "content_type": "multipart/form-data"},
    lambda: {"data": {"a": "x", "n": None}, "content_type": "multipart/form-data"},
    lambda: {"data": {"f": (io.BytesIO(b"abc"), "a.txt")}},
    lambda: {"data": {"f": (io.BytesIO(b"abc"), "a.txt", "text/x-custom")}},
    lambda: {"data": {"f": io.BytesIO(b"no name")}},
    lambda: {"data": {"f": [(io.BytesIO(b"1"), "1.png"), (io.BytesIO(b""), "2.json")]}},
    lambda: {"data": {"z": "first", "f": (io.BytesIO(b"x"), "x.html"), "a": ["1", "2"]}},
    lambda: {"data": MultiDict([("k", "1"), ("f", (io.BytesIO(b"q"), "q")), ("k", "2")])},
    lambda: {"input_stream": io.BytesIO(b"streamed"), "content_type": "a/b"},
    lambda: {"input_stream": io.BytesIO(b"streamed"), "content_length": 3},
    lambda: {"content_length": 12},
    lambda: {"content_length": "12"},
    lambda: {"content_type": "application/json"},
    lambda: {"mimetype": "text/plain"},
    lambda: {"mimetype": "application/xml", "data": "<a/>"},
    lambda: {"mimetype": "image/svg+xml"},
    lambda: {"mimetype": "application/octet-stream"},
    lambda: {"headers": {"X-A": "1", "X-B": ["2", "3"]}},
    lambda: {"headers": [("X-A", "1"), ("x-a", "2"), ("Content-Type", "a/b")]},
    lambda: {"headers": Headers([("Accept", "*/*"), ("Content-Length", "7")])},
    lambda: {"headers": {"Host": "override.test"}},
    lambda: {"headers": {"X-Num": 5}, "content_type": "x/y", "content_length": 0},
    lambda: {"environ_base": {"REMOTE_ADDR": "1.2.3.4", "PATH_INFO": "/lost"}},
    lambda: {"environ_overrides": {"PATH_INFO": "/won", "wsgi.url_scheme": "https"}},
    lambda: {"multithread": True, "multiprocess": True, "run_once": True},
    lambda: {"auth": ("user", "pässword")},
    lambda: {"json": {"a": 1, "b": [True, None]}},
    lambda: {"json": "just a string", "content_type": "application/vnd.api+json"},
    lambda: {"json": [], "headers": {"Content-Type": "text/json"}},
]


@pytest.mark.parametrize("make_kwargs", ENVIRON_CASES)
def test_build_environ_matches_werkzeug(make_kwargs: Callable[[], dict[str, Any]]) -> None:
    theirs = WerkzeugEnvironBuilder(**make_kwargs()).get_environ()
    ours = build_environ(**make_kwargs())
    assert normalize_environ(ours) == normalize_environ(theirs)


APP_ENVIRON_CASES: list[dict[str, Any]] = [
    {},
    {"path": "/x?y=1"},
    {"path": "https://api.test:444/x?y=1"},
    {"subdomain": "api"},
    {"url_scheme": "https"},
    {"base_url": "http://given.test/b"},
    {"json": {"b": 1, "a": 2}},
]


@pytest.mark.parametrize("config", [{}, {"SERVER_NAME": "app.test", "APPLICATION_ROOT": "/r"}])
@pytest.mark.parametrize("kwargs", APP_ENVIRON_CASES)
def test_build_environ_with_app_matches_flask(
    config: dict[str, Any], kwargs: dict[str, Any]
) -> None:
    app = make_app(PREFERRED_URL_SCHEME="http", **config)
    theirs = flask.testing.EnvironBuilder(app, **kwargs).get_environ()
    ours = build_environ(app=app, **kwargs)
    assert normalize_environ(ours) == normalize_environ(theirs)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"path": "/a?b=1", "query_string": "c=2"}, RequestArgumentError),
        ({"base_url": "http://h/?q=1"}, RequestArgumentError),
        ({"base_url": "http://h/#frag"}, RequestArgumentError),
        ({"base_url": "https://example.com:notaport"}, RequestArgumentError),
        ({"base_url": "http://[::1/"}, RequestArgumentError),
        ({"json": {}, "data": "x"}, ArgumentTypeError),
        ({"data": "x", "input_stream": io.BytesIO()}, ArgumentTypeError),
        ({"data": {"f": ("a", "b", "c", "d")}}, ArgumentTypeError),
        ({"subdomain": "x", "base_url": "http://h/"}, ArgumentTypeError),
    ],
)
def test_build_environ_rejects_contradictory_arguments(
    kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        build_environ(**kwargs)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-A": "v\r\nInjected: 1"},
        {"X-A": "v\nx"},
        {"X-A": "v\x00"},
        {"Bad Name": "v"},
        {"X-A\r\n": "v"},
        {"": "v"},
    ],
)
def test_header_injection_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(HeaderValueError):
        build_environ(headers=headers)
    with pytest.raises(HeaderValueError):
        erlen_client(make_app()).get("/", headers=headers)


def test_multipart_names_cannot_break_out_of_their_quotes() -> None:
    environ = build_environ(
        method="POST", data={'a"\r\nX-Evil: 1': (io.BytesIO(b"x"), 'f"\r\n.txt')}
    )
    body = environ["wsgi.input"].read()
    assert b"X-Evil" in body
    assert b"\r\nX-Evil" not in body
    assert b'name="a%22%0D%0AX-Evil: 1"; filename="f%22%0D%0A.txt"' in body


# ---------------------------------------------------------------------------
# Property tests

header_values = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=0, max_size=20
)
query_keys = st.text(min_size=1, max_size=8)
path_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="?#\r\n\x00"),
    max_size=20,
)


@settings(max_examples=150, deadline=None)
@given(
    path=path_text,
    query=st.dictionaries(query_keys, st.lists(st.text(max_size=8), max_size=3), max_size=4),
    headers=st.lists(
        st.tuples(st.sampled_from(["X-A", "Accept", "x-a", "X-Long-Name"]), header_values),
        max_size=5,
    ),
    form=st.dictionaries(query_keys, st.text(max_size=10), max_size=3),
)
def test_build_environ_matches_werkzeug_property(
    path: str,
    query: dict[str, list[str]],
    headers: list[tuple[str, str]],
    form: dict[str, str],
) -> None:
    kwargs = {"path": "/" + path, "query_string": query, "headers": headers, "data": form}
    ours = build_environ(method="POST", **kwargs)
    theirs = WerkzeugEnvironBuilder(method="POST", **kwargs).get_environ()
    assert normalize_environ(ours) == normalize_environ(theirs)


cookie_values = st.text(max_size=20).filter(lambda v: "\r" not in v and "\n" not in v)


@settings(max_examples=200, deadline=None)
@given(
    value=cookie_values,
    path=st.sampled_from(["/", "/a", "/a/b/"]),
    max_age=st.one_of(st.none(), st.integers(1, 10**6)),
    samesite=st.sampled_from([None, "Lax", "Strict", "None"]),
    secure=st.booleans(),
    httponly=st.booleans(),
)
def test_set_cookie_header_parses_like_werkzeug(
    value: str, path: str, max_age: int | None, samesite: str | None, secure: bool, httponly: bool
) -> None:
    header = dump_cookie(
        "key",
        value,
        max_age=max_age,
        path=path,
        samesite=samesite,
        secure=secure,
        httponly=httponly,
    )
    theirs = WerkzeugCookie._from_response_header("localhost", "/req/path", header)
    ours = Cookie.from_set_cookie("localhost", "/req/path", header)
    assert ours is not None
    assert ours.decoded_value == value == theirs.decoded_value
    assert (ours.key, ours.value, ours.path, ours.max_age) == (
        theirs.key,
        theirs.value,
        theirs.path,
        theirs.max_age,
    )
    assert (ours.secure, ours.http_only, ours.same_site, ours.expires) == (
        theirs.secure,
        theirs.http_only,
        theirs.same_site,
        theirs.expires,
    )
    # Our own serializer (client.set_cookie) writes the same header.
    mine = testing.environ_builder._format_set_cookie(
        "key",
        value,
        max_age=max_age,
        path=path,
        samesite=samesite,
        secure=secure,
        httponly=httponly,
    )
    assert re.sub("Expires=[^;]+", "", mine) == re.sub("Expires=[^;]+", "", header)


# ---------------------------------------------------------------------------
# Response wrapping, body closing, redirects


class CountingBody:
    """A WSGI body that counts close() calls."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = 0

    def __iter__(self) -> Any:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed += 1


def counting_app(body: CountingBody, status: str = "200 OK", location: str | None = None) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        headers = [("Content-Type", "text/plain")]
        if location is not None:
            headers.append(("Location", location))
        start_response(status, headers)
        return body

    app.response_class = flask.Response  # type: ignore[attr-defined]
    app.request_class = flask.Request  # type: ignore[attr-defined]
    return app


@pytest.mark.parametrize("buffered", [False, True])
def test_body_closed_exactly_once(buffered: bool) -> None:
    body = CountingBody([b"a", b"b"])
    client = ErlenClient(counting_app(body))
    response = client.get("/", buffered=buffered)
    assert response.data == b"ab"
    assert body.closed == 1  # fully read (or buffered) closes the body
    response.close()
    response.close()
    assert body.closed == 1


def test_streamed_body_closed_on_response_close_without_reading() -> None:
    body = CountingBody([b"a", b"b", b"c"])
    response = ErlenClient(counting_app(body)).get("/")
    assert body.closed == 0
    response.close()
    assert body.closed == 1


def test_intermediate_redirect_responses_are_read_and_closed() -> None:
    body = CountingBody([b"moved"])
    app = counting_app(body, "302 FOUND", "/elsewhere")
    calls: list[str] = []

    def router(environ: dict[str, Any], start_response: Any) -> Any:
        calls.append(environ["PATH_INFO"])
        if environ["PATH_INFO"] == "/":
            return app(environ, start_response)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"final"]

    router.response_class = flask.Response  # type: ignore[attr-defined]
    response = ErlenClient(router).get("/", follow_redirects=True)
    assert response.data == b"final"
    assert calls == ["/", "/elsewhere"]
    assert body.closed == 1
    assert [r.status_code for r in response.history] == [302]


def test_write_callable_output_kept_when_buffered() -> None:
    # Deliberate difference: Werkzeug drops write() output when buffered=True.
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        write = start_response("200 OK", [])
        write(b"written ")
        return [b"returned"]

    assert ErlenClient(app, flask.Response).get("/", buffered=True).data == b"written returned"
    assert ErlenClient(app, flask.Response).get("/").data == b"written returned"


def test_start_response_exc_info_is_raised() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        try:
            raise KeyError("inner")
        except KeyError:
            import sys

            start_response("500 ERR", [], sys.exc_info())
        return []

    with pytest.raises(KeyError):
        run_wsgi_app(app, build_environ())


def test_response_is_app_response_subclass_with_request() -> None:
    app = make_app()
    response = erlen_client(app).post("/echo", json={"k": "v"})
    assert isinstance(response, app.response_class)
    assert isinstance(response, TestResponse)
    assert isinstance(response.request, app.request_class)
    assert response.request.path == "/echo"
    assert response.json["json"] == {"k": "v"}
    assert response.get_json()["method"] == "POST"
    assert response.text.startswith("{")
    assert response.history == ()
    assert response.status_code == 200 and response.status == "200 OK"


def test_redirect_loop_detected() -> None:
    with pytest.raises(ClientRedirectError, match="Loop detected"):
        erlen_client(make_app()).get("/redirect/loop", follow_redirects=True)


def test_external_redirect_refused_and_subdomain_opt_in() -> None:
    client = erlen_client(make_app())
    with pytest.raises(RuntimeError, match="external"):
        client.get("/redirect/external", follow_redirects=True)
    with pytest.raises(RuntimeError, match="subdomain"):
        client.get("/redirect/subdomain", follow_redirects=True)
    allowed = erlen_client(make_app(), allow_subdomain_redirects=True)
    response = allowed.get("/redirect/subdomain", follow_redirects=True)
    assert response.get_json()["environ"]["HTTP_HOST"] == "api.localhost"


def test_307_resends_the_whole_body_even_after_the_app_read_it() -> None:
    # Deliberate difference: Werkzeug forwards what is left of the stream (nothing).
    app = make_app()
    ours = erlen_client(app).post("/redirect/read-then-307", data=b"payload", follow_redirects=True)
    assert ours.get_json()["body"] == "payload"
    theirs = app.test_client().post(
        "/redirect/read-then-307", data=b"payload", follow_redirects=True
    )
    assert theirs.get_json()["body"] == ""


def test_with_client_keeps_the_request_context() -> None:
    app = make_app()
    client = erlen_client(app)
    with client:
        client.get("/echo?x=1")
        assert flask.request.args["x"] == "1"
        client.get("/echo?x=2")
        assert flask.request.args["x"] == "2"
        with pytest.raises(RuntimeError, match="nest"), client:
            pass
    assert not flask.has_request_context()


def test_open_accepts_builder_environ_and_request() -> None:
    app = make_app()
    client = erlen_client(app)
    builder = EnvironBuilder("/echo", query_string={"a": "1"}, app=app)
    assert client.open(builder).get_json()["args"] == [["a", "1"]]
    environ = build_environ("/echo", query_string="b=2", app=app)
    assert client.open(environ).get_json()["args"] == [["b", "2"]]
    request = flask.Request(build_environ("/echo", query_string="c=3", app=app))
    assert client.open(request).get_json()["args"] == [["c", "3"]]


def test_streaming_error_in_first_chunk_surfaces_at_the_call() -> None:
    app = make_app()

    @app.route("/bad-stream")
    def bad_stream() -> Any:
        def generate() -> Any:
            raise ValueError("first chunk")
            yield b""

        return flask.Response(generate())

    for client in (app.test_client(), erlen_client(app)):
        with pytest.raises(ValueError, match="first chunk"):
            client.get("/bad-stream")


# ---------------------------------------------------------------------------
# Cookie jar: where erlen follows RFC 6265 more closely than Werkzeug


def set_cookie_app(*headers: str) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Set-Cookie", h) for h in headers])
        return [environ.get("HTTP_COOKIE", "").encode()]

    return app


def test_cookie_with_past_expires_is_removed() -> None:
    # Werkzeug only deletes on Max-Age=0 or Expires at the epoch exactly.
    client = ErlenClient(
        set_cookie_app("old=1; Expires=Wed, 01 Jan 2020 00:00:00 GMT"), flask.Response
    )
    client.get("/")
    assert client.get_cookie("old") is None
    assert client.get("/").data == b""


def test_max_age_wins_over_expires() -> None:
    header = "k=v; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=3600"
    client = ErlenClient(set_cookie_app(header), flask.Response)
    client.get("/")
    cookie = client.get_cookie("k")
    assert cookie is not None and cookie.max_age == 3600
    negative = ErlenClient(set_cookie_app("k=v; Max-Age=-1"), flask.Response)
    negative.get("/")
    assert negative.get_cookie("k") is None


def test_cookie_expires_when_max_age_runs_out(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(testing.environ_builder, "_clock", lambda: now[0])
    client = ErlenClient(set_cookie_app(), flask.Response)
    client.set_cookie("k", "v", max_age=10)
    assert client.get("/").data == b"k=v"
    now[0] += 9
    assert client.get("/").data == b"k=v"
    now[0] += 2
    assert client.get("/").data == b""
    assert client._cookies == {}


def test_invalid_max_age_is_ignored() -> None:
    client = ErlenClient(set_cookie_app("k=v; Max-Age=soon"), flask.Response)
    client.get("/")
    cookie = client.get_cookie("k")
    assert cookie is not None and cookie.max_age is None


def test_unparsable_set_cookie_is_ignored() -> None:
    client = ErlenClient(set_cookie_app("=novalue", "bad key=1", "ok=1"), flask.Response)
    client.get("/")
    assert list(client._cookies or {}) == [("localhost", "/", "ok")]


def test_domain_cookie_for_another_site_is_refused() -> None:
    client = ErlenClient(
        set_cookie_app("k=v; Domain=evil.test", "w=1; Domain=.LOCALHOST"), flask.Response
    )
    client.get("/")
    assert client.get_cookie("k", domain="evil.test") is None
    wide = client.get_cookie("w")
    assert wide is not None and not wide.origin_only
    assert client.get("/", base_url="http://sub.localhost/").data == b"w=1"


def test_secure_cookie_only_over_https_except_loopback() -> None:
    app = set_cookie_app("s=1; Secure", "p=2; Partitioned; Secure")
    client = ErlenClient(app, flask.Response)
    client.get("/", base_url="https://example.com/")
    jar_cookie = client.get_cookie("p", domain="example.com")
    assert jar_cookie is not None and jar_cookie.partitioned and jar_cookie.secure
    assert client.get("/", base_url="https://example.com/").data == b"s=1; p=2"
    reader = ErlenClient(set_cookie_app(), flask.Response)
    reader._cookies = client._cookies
    assert reader.get("/", base_url="http://example.com/").data == b""
    assert reader.get("/", base_url="https://example.com/").data == b"s=1; p=2"
    # localhost is a secure context to browsers, so Flask test suites keep working.
    reader.set_cookie("local", "1", secure=True)
    assert reader.get("/").data == b"local=1"


def test_path_scoped_cookie_matching() -> None:
    client = ErlenClient(set_cookie_app(), flask.Response)
    client.set_cookie("a", "1", path="/docs")
    client.set_cookie("b", "2", path="/docs/")
    assert client.get("/docs").data == b"a=1"
    assert client.get("/docs/x").data == b"a=1; b=2"
    assert client.get("/docsx").data == b""
    assert client.get("/").data == b""


@pytest.mark.parametrize(
    "key, value, kwargs",
    [
        ("a\r\nb", "v", {}),
        ("a;b", "v", {}),
        ("", "v", {}),
        ("k", "v", {"domain": "a\nb"}),
        ("k", "v", {"samesite": "sometimes"}),
    ],
)
def test_client_set_cookie_refuses_injection(key: str, value: str, kwargs: dict[str, Any]) -> None:
    client = ErlenClient(set_cookie_app(), flask.Response)
    with pytest.raises(CookieValueError):
        client.set_cookie(key, value, **kwargs)


def test_client_set_cookie_escapes_value_and_path() -> None:
    client = ErlenClient(set_cookie_app(), flask.Response)
    client.set_cookie("k", "v\r\nSet-Cookie: x=1\x00")
    client.set_cookie("p", "1", path="/a\r\nb")
    cookie = client.get_cookie("k")
    assert cookie is not None and cookie.decoded_value == "v\r\nSet-Cookie: x=1\x00"
    assert cookie.value == '"v\\015\\012Set-Cookie: x=1\\000"'
    assert client.get_cookie("p", path="/a%0D%0Ab") is not None
    assert b"\r" not in client.get("/").data


def test_set_cookie_with_timedelta_and_datetime() -> None:
    client = ErlenClient(set_cookie_app(), flask.Response)
    client.set_cookie("t", "1", max_age=timedelta(hours=1))
    client.set_cookie("d", "1", expires=datetime(2099, 1, 1))
    t, d = client.get_cookie("t"), client.get_cookie("d")
    assert t is not None and t.max_age == 3600
    assert d is not None and d.expires == datetime(2099, 1, 1, tzinfo=timezone.utc)


# ---------------------------------------------------------------------------
# erlen's own app, once it imports


def test_erlen_app_test_client() -> None:
    pytest.importorskip("erlen.wrappers")
    import erlen

    app = erlen.Flask(__name__)

    @app.route("/login", methods=["POST"])
    def login() -> Any:
        response = erlen.make_response(erlen.jsonify({"status": "logged in"}))
        response.set_cookie("session_id", "tok", max_age=3600, httponly=True, samesite="Lax")
        return response

    @app.route("/who")
    def who() -> Any:
        # `erlen.wrappers` names the submodule once it is imported, not the proxy.
        from erlen.ctx import request

        return request.cookies.get("session_id", "nobody")

    client = app.test_client()
    assert isinstance(client, ErlenClient)
    response = client.post("/login")
    assert isinstance(response, app.response_class)
    assert response.get_json() == {"status": "logged in"}
    assert client.get("/who").text == "tok"


# ---------------------------------------------------------------------------
# ASGI mode: the same client, sending through `await app(scope, receive, send)`

# Environ keys both adapters provide; the rest (wsgi.*, REQUEST_URI, asgi.scope,
# REMOTE_PORT) belongs to one protocol.
_SHARED_ENVIRON = re.compile(
    r"HTTP_.*|CONTENT_(TYPE|LENGTH)|REQUEST_METHOD|SCRIPT_NAME|PATH_INFO|QUERY_STRING"
    r"|SERVER_(NAME|PORT|PROTOCOL)|REMOTE_ADDR|wsgi\.url_scheme"
)


def protocol_summary(response: Any) -> tuple[Any, ...]:
    """What must not depend on the protocol: ASGI sends lower-case names, no phrase."""
    body = response.get_data()
    if response.mimetype == "application/json" and b'"environ"' in body:
        data = response.get_json()
        data["environ"] = {
            key: value for key, value in data["environ"].items() if _SHARED_ENVIRON.fullmatch(key)
        }
        body = data
    # The echoed environ differs by protocol, and so does its length.
    echoed = response.request.path == "/echo"
    headers = [
        (name, re.sub(r"Expires=[^;]+", "Expires=<date>", value))
        for name, value in ((n.lower(), v) for n, v in response.headers.to_wsgi_list())
        if name != "content-length" or not echoed
    ]
    return (
        response.status_code,
        headers,
        body,
        [r.status_code for r in response.history],
    )


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_asgi_mode_matches_wsgi_mode(name: str) -> None:
    import erlen

    app = make_app(erlen)
    wsgi_client: Any = app.test_client()
    asgi_client: Any = app.test_client(asgi=True)
    assert asgi_client.asgi and not wsgi_client.asgi
    for method, args, make_kwargs in SEQUENCES[name]:
        expected = getattr(wsgi_client, method)(*args, **make_kwargs())
        got = getattr(asgi_client, method)(*args, **make_kwargs())
        assert protocol_summary(got) == protocol_summary(expected), (method, args)
        expected.close()
        got.close()
    assert jar_summary(asgi_client) == jar_summary(wsgi_client)


class RawASGIApp:
    """A hand-written ASGI app: records what it receives, sends a scripted reply."""

    def __init__(self, *messages: dict[str, Any], read_body: bool = True, wait: bool = False):
        self.messages = messages
        self.read_body = read_body
        self.wait = wait
        self.received: list[dict[str, Any]] = []
        self.scope: dict[str, Any] = {}
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        self.scope = scope
        if self.read_body:
            while True:
                message = await receive()
                self.received.append(message)
                if not message.get("more_body"):
                    break
        for message in self.messages:
            await send(message)
        if self.wait:
            self.received.append(await receive())


START = {"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]}
BODY = {"type": "http.response.body", "body": b"done"}


def test_asgi_scope_is_built_from_the_wsgi_environ() -> None:
    app = RawASGIApp(START, BODY)
    client = ErlenClient(app, asgi=True)
    response = client.post(
        "/p\u00e4th/x%2Fy",
        base_url="https://example.test:8443/mount",
        query_string="a=1&b=%20",
        data=b"body",
        content_type="text/plain",
        headers=[("X-Dup", "1"), ("X-Dup", "2"), ("Accept", "*/*")],
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert response.status == "200 OK"
    assert response.headers.to_wsgi_list() == [("x-a", "1")]
    scope = app.scope
    assert scope["type"] == "http"
    assert scope["asgi"]["version"] == "3.0"
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "POST"
    assert scope["scheme"] == "https"
    assert scope["root_path"] == "/mount"
    assert scope["path"] == "/mount/p\u00e4th/x/y"
    assert scope["raw_path"] == b"/mount/p%C3%A4th/x/y"
    assert scope["query_string"] == b"a=1&b=%20"
    assert scope["server"] == ("example.test", 8443)
    assert scope["client"] == ("10.0.0.7", 0)
    headers = scope["headers"]
    assert all(isinstance(n, bytes) and n == n.lower() and isinstance(v, bytes) for n, v in headers)
    assert (b"host", b"example.test:8443") in headers
    assert (b"content-type", b"text/plain") in headers
    assert (b"content-length", b"4") in headers
    assert (b"x-dup", b"1, 2") in headers
    assert (b"accept", b"*/*") in headers


@pytest.mark.parametrize("size", [0, 1, 2, 3, 10, 200_000])
def test_asgi_body_is_fed_in_chunks(size: int) -> None:
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    app = RawASGIApp(START, BODY)
    ErlenClient(app, asgi=True).post("/", data=body)
    assert all(message["type"] == "http.request" for message in app.received)
    assert b"".join(message["body"] for message in app.received) == body
    assert [message["more_body"] for message in app.received][-1] is False
    assert all(message["more_body"] for message in app.received[:-1])
    if size >= 3:
        assert len(app.received) >= 3  # more_body is really exercised


def test_asgi_receive_after_the_body_is_disconnect_once_the_response_is_done() -> None:
    app = RawASGIApp(START, BODY, wait=True)
    response = ErlenClient(app, asgi=True).get("/")
    assert response.get_data() == b"done"
    assert app.received[-1] == {"type": "http.disconnect"}


def test_asgi_streamed_body_is_lazy_and_close_hangs_up() -> None:
    sent: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        for index in range(100):
            sent.append(index)
            await send({"type": "http.response.body", "body": b"%d," % index, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    response = ErlenClient(app, asgi=True).get("/")
    assert response.status_code == 200
    assert len(sent) <= 2  # only what the client asked for was produced
    response.close()  # the app's later sends are dropped, as a server drops them


def test_asgi_close_of_an_unread_stream_sends_disconnect() -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(await receive())
        await send(START)
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        seen.append(await receive())

    response = ErlenClient(app, asgi=True).get("/")
    assert seen == [{"type": "http.request", "body": b"", "more_body": False}]
    response.close()
    assert seen[-1] == {"type": "http.disconnect"}


def test_asgi_streamed_body_read_to_the_end() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        for index in range(5):
            await send({"type": "http.response.body", "body": b"%d" % index, "more_body": True})
        await send({"type": "http.response.body", "body": b"!", "more_body": False})

    client = ErlenClient(app, asgi=True)
    assert client.get("/").get_data() == b"01234!"
    assert client.get("/", buffered=True).get_data() == b"01234!"


def test_asgi_status_line_uses_the_standard_phrase() -> None:
    for code, line in [(201, "201 CREATED"), (418, "418 I'M A TEAPOT"), (299, "299 UNKNOWN")]:
        app = RawASGIApp({**START, "status": code}, BODY)
        assert ErlenClient(app, asgi=True).get("/").status == line


@pytest.mark.parametrize(
    ("messages", "match"),
    [
        ([BODY], "before 'http.response.start'"),
        ([START, START, BODY], "twice"),
        ([START, {"type": "http.response.body", "body": b"x", "more_body": True}], "final"),
        ([START], "final"),
        ([], "without sending 'http.response.start'"),
        ([{**START, "status": "200"}], "status"),
        ([{**START, "status": True}], "status"),
        ([{**START, "status": 99}], "status"),
        ([{**START, "headers": [("x-a", "1")]}], "bytes"),
        ([{**START, "headers": [(b"x-a", b"1\r\nx-evil: 1")]}], "CR, LF or NUL"),
        ([{**START, "headers": [(b"x a", b"1")]}], "token"),
        ([{**START, "headers": [b"x-a"]}], "pairs"),
        ([START, {"type": "http.response.body", "body": "text"}], "bytes"),
        ([START, BODY, BODY], "after the response was complete"),
        ([{"type": "http.response.trailers"}], "unknown message type"),
    ],
)
def test_asgi_protocol_violations_fail_loudly(messages: list[dict[str, Any]], match: str) -> None:
    app = RawASGIApp(*messages)
    with pytest.raises(testing.ASGIProtocolViolation, match=match):
        ErlenClient(app, asgi=True).get("/").get_data()


def test_asgi_app_exception_reaches_the_caller() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise LookupError("from the app")

    with pytest.raises(LookupError, match="from the app"):
        ErlenClient(app, asgi=True).get("/")


def test_asgi_app_exception_mid_stream_reaches_the_reader() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        raise LookupError("mid-stream")

    response = ErlenClient(app, asgi=True).get("/")
    with pytest.raises(LookupError, match="mid-stream"):
        response.get_data()


def test_asgi_mode_with_erlen_app_cookies_and_redirects() -> None:
    import erlen

    app = make_app(erlen)
    client = app.test_client(asgi=True)
    client.post("/login")
    assert client.get_cookie("session_id") is not None
    response = client.get("/redirect/chain", follow_redirects=True)
    assert [r.status_code for r in response.history] == [302, 302]
    assert response.get_json()["cookies"] == [["session_id", "token-1"]]
    with client:  # keeps the request context on ASGI too
        client.get("/echo?x=asgi")
        assert erlen.request.args["x"] == "asgi"
    assert not erlen.has_request_context()


def test_asgi_mode_leaves_no_event_loop_behind() -> None:
    import asyncio

    app = RawASGIApp(START, BODY)
    ErlenClient(app, asgi=True).get("/")
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()


@settings(max_examples=60, deadline=None)
@given(
    path=st.text("abz/\u00e9\u2603 .-_~!$&'()*+,;=:@", max_size=20),
    query=st.dictionaries(st.text("abc&=é ", min_size=1, max_size=4), st.text(max_size=5)),
    header=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20),
    root=st.sampled_from(["", "/mount", "/m\u00e9"]),
)
def test_asgi_scope_gives_the_app_the_same_environ(
    path: str, query: dict[str, str], header: str, root: str
) -> None:
    """environ -> scope -> erlen's ASGI environ keeps every key both protocols share."""
    from erlen.asgi import build_environ as asgi_environ

    environ = testing.build_environ(
        "/" + path,
        base_url=f"http://localhost{root}",
        query_string=query,
        headers={"X-Value": header.strip()},
        data=b"abc",
    )
    rebuilt = asgi_environ(testing.asgi_scope(environ), None)  # type: ignore[arg-type]
    for key, value in environ.items():
        if _SHARED_ENVIRON.fullmatch(key) and key != "SERVER_PROTOCOL":
            assert rebuilt.get(key) == value, key
