"""The test client, checked against Flask's FlaskClient.

Each differential case runs the same Flask app through Flask's client and
through erlen's, and compares what the app saw and what the client returned.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import flask
import pytest
from werkzeug.datastructures import Headers, MultiDict

from erlen.errors import ArgumentTypeError
from erlen.testing import (
    ClientRedirectError,
    EnvironBuilder,
    ErlenClient,
    TestResponse,
    build_environ,
    run_wsgi_app,
)


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
