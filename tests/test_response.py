"""erlen.Response against flask.Response: same status, wire headers and body.

Each row of the differential table builds a response through the public API
of whichever class it is given (``erlen.response.Response`` or
``flask.Response``), then both are served as WSGI apps and compared.
"""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import flask
import pytest
from werkzeug.datastructures import Headers as WerkzeugHeaders
from werkzeug.test import create_environ

from erlen.errors import ArgumentTypeError, HeaderValueError, LocationValueError, StatusCodeError
from erlen.http.headers import Headers as ErlenHeaders
from erlen.response import Response

HEADERS = {Response: ErlenHeaders, flask.Response: WerkzeugHeaders}


def serve(resp: Any, method: str = "GET", path: str = "/", **environ: Any) -> tuple[Any, ...]:
    """Run ``resp`` as a WSGI app like a server; (status, header list, body)."""
    env = create_environ(path, method=method, **environ)
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append((status, list(headers)))

    app_iter = resp(env, start_response)
    try:
        body = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    return started[0][0], started[0][1], body


def gen(*items: Any) -> Callable[[], Any]:
    return lambda: (item for item in items)


Build = Callable[[type], Any]
ROWS: list[tuple[str, Build, dict[str, Any]]] = []


def row(name: str, build: Build, **environ: Any) -> None:
    ROWS.append((name, build, environ))


# -- bodies -------------------------------------------------------------
BODIES: dict[str, Callable[[], Any]] = {
    "none": lambda: None,
    "empty-str": lambda: "",
    "str": lambda: "Hello, World!",
    "unicode": lambda: "héllo ☃ 𝄞",
    "bytes": lambda: b"raw \x00\xff bytes",
    "empty-bytes": lambda: b"",
    "bytearray": lambda: bytearray(b"array"),
    "list-str": lambda: ["a", "bé"],
    "list-mixed": lambda: [b"a", "b", b""],
    "tuple": lambda: ("x", b"y"),
    "empty-list": lambda: [],
    "generator": gen("line 1\n", b"line 2\n"),
    "generator-empty": gen(),
    "iterator": lambda: iter([b"it", "er"]),
    "map": lambda: map(str.upper, ["ab", "cd"]),
}
for body_name, make_body in BODIES.items():
    row(f"body-{body_name}", lambda R, mb=make_body: R(mb()))
    row(f"body-{body_name}-head", lambda R, mb=make_body: R(mb()), method="HEAD")
    row(f"body-{body_name}-plain", lambda R, mb=make_body: R(mb(), mimetype="text/plain"))

# -- statuses -----------------------------------------------------------
STATUSES: list[Any] = [
    None, 200, 201, 202, 301, 302, 400, 404, 418, 451, 500, 503, 299, 599,
    HTTPStatus.CREATED, HTTPStatus.IM_A_TEAPOT, "201", "201 CREATED", "404 Not Here",
    " 200 OK ", "299", "200 ok", 204, 304, 100, 101, 103, 199, "204 NO CONTENT",
]  # fmt: skip
for status in STATUSES:
    row(f"status-{status!r}", lambda R, s=status: R("body", status=s))
    row(f"status-{status!r}-gen", lambda R, s=status: R(gen("a", "b")(), status=s))


def set_status(R: type, value: Any, attr: str) -> Any:
    resp = R("x")
    setattr(resp, attr, value)
    return resp


for status in (404, "418", HTTPStatus.NO_CONTENT, "302 FOUND", 304, 102):
    row(f"status-set-{status!r}", lambda R, s=status: set_status(R, s, "status"))
    row(f"status-code-set-{status!r}", lambda R, s=status: set_status(R, s, "status_code"))

# -- headers --------------------------------------------------------------
HEADER_ARGS: dict[str, Callable[[type], Any]] = {
    "dict": lambda H: {"X-Custom": "value"},
    "dict-list": lambda H: {"X-Multi": ["a", "b"], "X-One": "1"},
    "pairs": lambda H: [("X-A", "1"), ("X-B", "2"), ("X-A", "3")],
    "tuple-pairs": lambda H: (("X-A", "1"),),
    "headers": lambda H: H([("X-H", "h"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]),
    "empty-dict": lambda H: {},
    "empty-headers": lambda H: H(),
    "content-type": lambda H: {"Content-Type": "application/custom"},
    "content-type-lower": lambda H: [("content-type", "text/x-lower")],
    "content-length": lambda H: {"Content-Length": "3"},
    "content-length-lower": lambda H: [("content-length", "99")],
    "location": lambda H: {"Location": "/next"},
    "location-lower": lambda H: [("location", "/a"), ("X", "1"), ("LOCATION", "/b")],
    "location-iri": lambda H: {"Location": "http://☃.net/påth?q=è#f"},
    "content-location": lambda H: {"Content-Location": "/ü"},
    "entity": lambda H: {"Expires": "0", "Last-Modified": "x", "Allow": "GET", "ETag": '"e"'},
    "int-value": lambda H: {"X-Int": 5},
}
for header_name, make_headers in HEADER_ARGS.items():
    for body_name in ("str", "generator"):
        row(
            f"headers-{header_name}-{body_name}",
            lambda R, mh=make_headers, mb=BODIES[body_name]: R(mb(), headers=mh(HEADERS[R])),
        )
for header_name in ("content-length", "location", "entity", "content-location", "content-type"):
    for status in (204, 304, 101, 302):
        row(
            f"headers-{header_name}-{status}",
            lambda R, mh=HEADER_ARGS[header_name], s=status: R(
                "body", status=s, headers=mh(HEADERS[R])
            ),
        )

# -- mimetype and content type -------------------------------------------
MIMETYPES = [
    "text/plain", "text/csv", "application/json", "application/xml", "application/javascript",
    "application/ecmascript", "application/sql", "application/xml-dtd", "image/svg+xml",
    "application/atom+xml", "application/octet-stream", "application/vnd.api+json",
    "image/png", "TEXT/PLAIN", "text/", "", "application/problem+json",
]  # fmt: skip
for mimetype in MIMETYPES:
    row(f"mimetype-{mimetype}", lambda R, m=mimetype: R("x", mimetype=m))
    row(f"mimetype-set-{mimetype}", lambda R, m=mimetype: _set(R("x"), "mimetype", m))
for content_type in ("text/plain", "application/json; charset=latin-1", "a/b; x=y", ""):
    row(f"content-type-{content_type}", lambda R, c=content_type: R("x", content_type=c))
    row(
        f"content-type-and-mimetype-{content_type}",
        lambda R, c=content_type: R("x", mimetype="text/csv", content_type=c),
    )
    row(
        f"content-type-set-{content_type}",
        lambda R, c=content_type: _set(R("x"), "content_type", c),
    )
row(
    "mimetype-over-header",
    lambda R: R("x", headers={"Content-Type": "a/b"}, mimetype="text/html"),
)


def _set(resp: Any, attr: str, value: Any) -> Any:
    setattr(resp, attr, value)
    return resp


def subclass(R: type, **attrs: Any) -> type:
    # Named "Response" so both reprs read the same.
    return type("Response", (R,), attrs)


row("default-mimetype-json", lambda R: subclass(R, default_mimetype="application/json")("{}"))
row("default-mimetype-none", lambda R: subclass(R, default_mimetype=None)("x"))
row("default-status-201", lambda R: subclass(R, default_status=201)("x"))
row("no-auto-length", lambda R: subclass(R, automatically_set_content_length=False)("x"))
row(
    "no-auto-length-list",
    lambda R: subclass(R, automatically_set_content_length=False)(["a", "b"]),
)

# -- data -----------------------------------------------------------------
for value in ("Hello, World!", b"bytes", "", "é", b""):
    row(f"set_data-{value!r}", lambda R, v=value: _call(R(), "set_data", v))
    row(f"data-assign-{value!r}", lambda R, v=value: _set(R("old"), "data", v))
    row(
        f"set_data-over-length-{value!r}",
        lambda R, v=value: _call(R("x", headers={"Content-Length": "1", "X": "y"}), "set_data", v),
    )
row("set_data-on-generator", lambda R: _call(R(gen("a")()), "set_data", "new"))


def _call(resp: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    getattr(resp, method)(*args, **kwargs)
    return resp


# -- cookies --------------------------------------------------------------
COOKIES: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("session_id", "abc123"), {"max_age": 3600, "httponly": True}),
    (("user_pref", "dark_mode"), {"path": "/settings"}),
    (("k",), {}),
    (("k", "v"), {"secure": True}),
    (("k", "v"), {"domain": "example.com"}),
    (("k", "v"), {"domain": ".example.com", "path": None}),
    (("k", "v"), {"samesite": "Lax"}),
    (("k", "v"), {"samesite": "strict"}),
    (("k", "v"), {"samesite": "None", "secure": True}),
    (("k", "v"), {"partitioned": True}),
    (("k", "v"), {"max_age": datetime.timedelta(hours=1)}),
    (("k", "v"), {"expires": 0}),
    (("k", "v"), {"expires": 1700000000}),
    (("k", "v"), {"expires": 1700000000.5}),
    (("k", "v"), {"expires": datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)}),
    (("k", 'va"l ue;'), {}),
    (("k", "é"), {}),
    (("session_id", "secure-token-here"), {"max_age": 3600, "httponly": True, "secure": True, "samesite": "Lax"}),  # noqa: E501
]  # fmt: skip
for index, (args, kwargs) in enumerate(COOKIES):
    row(f"set_cookie-{index}", lambda R, a=args, k=kwargs: _call(R("Hello"), "set_cookie", *a, **k))
DELETES: list[dict[str, Any]] = [
    {},
    {"path": "/x"},
    {"domain": "example.com"},
    {"secure": True, "httponly": True},
    {"samesite": "Lax"},
    {"partitioned": True},
    {"path": None},
]
for index, kwargs in enumerate(DELETES):
    row(
        f"delete_cookie-{index}",
        lambda R, k=kwargs: _call(R("Logged out"), "delete_cookie", "session_id", **k),
    )
row(
    "two-cookies",
    lambda R: _call(_call(R("x"), "set_cookie", "a", "1"), "set_cookie", "b", "2", path="/p"),
)

# -- location ---------------------------------------------------------------
LOCATIONS = [
    "/new-location", "relative", "../up", "?q=1", "#frag", "http://example.com/x",
    "https://EXAMPLE.com:443/x", "//cdn.example.com/a", "/pä th?q=è r#f g", "http://☃.net/",
    "/a%20b", "/a?b=%zz", "", "mailto:a@b.c", "http://u:p@h:8080/p",
]  # fmt: skip
for location in LOCATIONS:
    row(f"location-{location!r}", lambda R, loc=location: _set(R("", status=302), "location", loc))
    row(
        f"location-auto-{location!r}",
        lambda R, loc=location: _set(
            subclass(R, autocorrect_location_header=True)("", status=302), "location", loc
        ),
        path="/app/page?x=1",
    )
row(
    "location-auto-host",
    lambda R: _set(subclass(R, autocorrect_location_header=True)(""), "location", "x"),
    path="/dir/ä/",
    base_url="https://Example.COM:8443/root/",
)
row(
    "location-auto-https-default-port",
    lambda R: _set(subclass(R, autocorrect_location_header=True)(""), "location", "/x"),
    base_url="https://example.com:443/",
)
row("spec-redirect", lambda R: _header(R("", status=302), "Location", "/new-location"))
row("content-location", lambda R: _set(R("x"), "content_location", "/ü?é"))


def _header(resp: Any, name: str, value: str) -> Any:
    resp.headers[name] = value
    return resp


# -- passthrough, freeze, stream, sequence ---------------------------------
row("passthrough-list", lambda R: R([b"a", b"b"], direct_passthrough=True))
row("passthrough-gen", lambda R: R(gen(b"a", b"b")(), direct_passthrough=True))
row("passthrough-head", lambda R: R(gen(b"a")(), direct_passthrough=True), method="HEAD")
row("freeze-str", lambda R: _call(R("frozen"), "freeze"))
row("freeze-gen", lambda R: _call(R(gen("a", b"b")()), "freeze"))
row("freeze-etag-kept", lambda R: _call(R("x", headers={"ETag": '"mine"'}), "freeze"))
row("freeze-passthrough", lambda R: _call(R(gen(b"a")(), direct_passthrough=True), "freeze"))
row("make_sequence-gen", lambda R: _call(R(gen("a", "b")()), "make_sequence"))
row("make_sequence-list", lambda R: _call(R(["a"]), "make_sequence"))
row("stream-write", lambda R: _stream(R(), [b"a", b"bc"]))
row("stream-write-after-str", lambda R: _stream(R("start"), [b"-more"]))
row("stream-write-gen", lambda R: _stream(R(gen("g")()), [b"!"]))
row("stream-writelines", lambda R: _writelines(R(), [b"x", b"y"]))
row("add_etag", lambda R: _call(R("tag me"), "add_etag"))
row("add_etag-weak", lambda R: _call(R("tag me"), "add_etag", weak=True))
row("set_etag", lambda R: _call(R("x"), "set_etag", "abc"))
row("content_length-set", lambda R: _set(R(gen("abc")()), "content_length", 3))
row("mimetype_params-update", lambda R: _params(R("x", mimetype="text/plain")))
row(
    "spec-headers",
    lambda R: _header(
        _header(R("Hello"), "X-Custom-Header", "value"), "Content-Type", "text/plain"
    ),
)
row("spec-download", lambda R: _header(R("File content here", mimetype="application/octet-stream"), "Content-Disposition", "attachment; filename=file.txt"))  # fmt: skip  # noqa: E501
row("spec-raw", lambda R: R("Custom response", status=200, headers={"X-Custom": "value"}, mimetype="text/plain"))  # fmt: skip  # noqa: E501


def _stream(resp: Any, chunks: list[bytes]) -> Any:
    for chunk in chunks:
        resp.stream.write(chunk)
    return resp


def _writelines(resp: Any, chunks: list[bytes]) -> Any:
    resp.stream.writelines(chunks)
    return resp


def _params(resp: Any) -> Any:
    params = resp.mimetype_params
    params["charset"] = "latin-1"
    params["q"] = "a b"
    return resp


# -- HEAD / bodiless statuses ----------------------------------------------
for status in (200, 204, 304, 100, 404):
    for body_name in ("str", "list-mixed", "generator", "empty-list"):
        row(
            f"HEAD-{status}-{body_name}",
            lambda R, s=status, mb=BODIES[body_name]: R(mb(), status=s),
            method="HEAD",
        )


def build_both(build: Build) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build(Response), build(flask.Response)


@pytest.mark.parametrize(("build", "environ"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_differential_wire(build: Build, environ: dict[str, Any]) -> None:
    ours, theirs = build_both(build)
    assert ours.status == theirs.status
    assert ours.status_code == theirs.status_code
    assert repr(ours) == repr(theirs)
    assert list(ours.headers.items()) == list(theirs.headers.items())
    assert serve(ours, **environ) == serve(theirs, **environ)


@pytest.mark.parametrize(("build", "environ"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_differential_data(build: Build, environ: dict[str, Any]) -> None:
    ours, theirs = build_both(build)
    if theirs.direct_passthrough and not theirs.is_sequence:
        with pytest.raises(RuntimeError):
            ours.get_data()
        return
    assert ours.get_data() == theirs.get_data()
    assert ours.is_sequence == theirs.is_sequence
    assert ours.is_streamed == theirs.is_streamed
    assert ours.calculate_content_length() == theirs.calculate_content_length()
    assert list(ours.iter_encoded()) == list(theirs.iter_encoded())
    assert ours.mimetype == theirs.mimetype
    assert ours.content_type == theirs.content_type
    assert ours.mimetype_params == theirs.mimetype_params
    assert ours.content_length == theirs.content_length
    assert ours.location == theirs.location
    assert ours.is_json == theirs.is_json


# -- JSON -------------------------------------------------------------------
JSON_ROWS: list[tuple[str, str | None, dict[str, Any]]] = [
    ('{"username": "alice"}', "application/json", {}),
    ("[1, 2.5, null, true]", "application/json", {}),
    ('{"a": 1}', "application/vnd.api+json", {}),
    ('{"a": 1}', "text/plain", {}),
    ('{"a": 1}', "text/plain", {"force": True}),
    ("not json", "application/json", {"silent": True}),
    ('"é"', "application/problem+json", {}),
    ("{}", "application/jsonx", {}),
    ("{}", "text/json", {"force": True}),
]


@pytest.mark.parametrize(("body", "mimetype", "kwargs"), JSON_ROWS)
def test_get_json_matches_flask(body: str, mimetype: str | None, kwargs: dict[str, Any]) -> None:
    ours = Response(body, mimetype=mimetype)
    theirs = flask.Response(body, mimetype=mimetype)
    assert ours.is_json == theirs.is_json
    assert ours.get_json(**kwargs) == theirs.get_json(**kwargs)
    if not kwargs:
        assert ours.json == theirs.json


def test_get_json_invalid_raises_value_error() -> None:
    with pytest.raises(ValueError):
        Response("nope", mimetype="application/json").get_json()


# -- spec examples ----------------------------------------------------------
def test_spec_status_and_data() -> None:
    assert Response("Not Found", status=404).status_code == 404
    assert Response("Created", status=201).status == "201 CREATED"
    assert Response("Hello, World!").data == b"Hello, World!"
    response = Response()
    response.set_data("Hello, World!")
    assert response.data == b"Hello, World!"
    assert response.headers["Content-Length"] == "13"


def test_spec_cookies() -> None:
    response = Response("Hello")
    response.set_cookie("session_id", "abc123", max_age=3600, httponly=True)
    response.set_cookie("user_pref", "dark_mode", path="/settings")
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies[0].startswith("session_id=abc123; ")
    assert "HttpOnly" in cookies[0] and "Max-Age=3600" in cookies[0]
    assert cookies[1] == "user_pref=dark_mode; Path=/settings"
    response = Response("Logged out")
    response.delete_cookie("session_id")
    assert response.headers["Set-Cookie"] == (
        "session_id=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"
    )


def test_spec_class_attributes() -> None:
    assert Response.default_mimetype == "text/html"
    assert Response.autocorrect_location_header is False
    assert Response.default_status == 200
    assert Response.automatically_set_content_length is True
    assert Response.implicit_sequence_conversion is True
    import erlen.json

    assert Response.json_module is erlen.json


def test_max_cookie_size_default_and_app_config() -> None:
    assert Response().max_cookie_size == 4093

    class FakeApp:
        config = {"MAX_COOKIE_SIZE": 10}

    from erlen import ctx

    token = ctx._cv_context.set(ctx.Context(FakeApp()))  # type: ignore[arg-type]
    try:
        response = Response()
        assert response.max_cookie_size == 10
        with pytest.warns(UserWarning):
            response.set_cookie("big", "x" * 20)
    finally:
        ctx._cv_context.reset(token)


# -- other API --------------------------------------------------------------
def test_call_on_close_returns_func_and_close_runs_all() -> None:
    calls: list[str] = []
    response = Response(gen("a")())

    @response.call_on_close
    def first() -> None:
        calls.append("first")

    assert first.__name__ == "first"
    with response:
        pass
    assert calls == ["first"]


def test_stream_file_api() -> None:
    response = Response()
    stream = response.stream
    assert stream is response.stream
    assert stream.mode == "wb+" and stream.encoding == "utf-8"
    assert stream.write(b"abc") == 3
    assert stream.tell() == 3
    stream.flush()
    assert stream.isatty() is False
    stream.close()
    with pytest.raises(ValueError):
        stream.write(b"x")
    with pytest.raises(ValueError):
        stream.flush()


def test_implicit_sequence_conversion_disabled() -> None:
    R = subclass(Response, implicit_sequence_conversion=False)
    response = R(gen("a")())
    with pytest.raises(RuntimeError):
        response.get_data()
    assert response.calculate_content_length() is None
    response.make_sequence()
    assert response.get_data() == b"a"


def test_make_sequence_keeps_generator_close() -> None:
    closed: list[bool] = []

    def body() -> Any:
        try:
            yield b"a"
            yield b"b"
        finally:
            closed.append(True)

    response = Response(body())
    assert response.get_data() == b"ab"
    response.close()
    assert closed == [True]


def test_force_type_and_from_app() -> None:
    class Mine(Response):
        pass

    original = Response("x", status=201)
    forced = Mine.force_type(original)
    assert forced is original and type(forced) is Mine
    with pytest.raises(TypeError):
        Mine.force_type(lambda e, s: [])  # type: ignore[arg-type, return-value]

    def app(environ: Any, start_response: Any) -> Any:
        write = start_response("202 ACCEPTED", [("X-App", "1"), ("Content-Type", "text/plain")])
        write(b"written-")
        return [b"returned"]

    env = create_environ("/")
    for response in (Mine.from_app(app, env), Mine.from_app(app, env, buffered=True)):
        assert type(response) is Mine
        assert response.status == "202 ACCEPTED"
        assert response.headers["X-App"] == "1"
        assert response.get_data() == b"written-returned"
    converted = Mine.force_type(app, env)  # type: ignore[arg-type]
    assert type(converted) is Mine and converted.status_code == 202


def test_subclass_instances_accept_attributes() -> None:
    response = Response("x")
    response.custom = 1  # type: ignore[attr-defined]
    assert response.custom == 1  # type: ignore[attr-defined]


def test_headers_object_is_shared_like_werkzeug() -> None:
    headers = ErlenHeaders([("X", "1")])
    response = Response("x", headers=headers)
    assert response.headers is headers


# -- bad input --------------------------------------------------------------
BAD_INPUT: list[tuple[str, Callable[[], Any], type[Exception]]] = [
    ("status-crlf", lambda: Response("x", status="200 OK\r\nX: y"), StatusCodeError),
    ("status-lf", lambda: Response("x", status="200 OK\nX"), StatusCodeError),
    ("status-nul", lambda: Response("x", status="200\x00"), StatusCodeError),
    ("status-empty", lambda: Response("x", status=""), StatusCodeError),
    ("status-setter-crlf", lambda: _set(Response("x"), "status", "200 A\r\nB"), StatusCodeError),
    ("header-value-crlf", lambda: Response("x", headers={"X": "a\r\nSet-Cookie: b"}), HeaderValueError),  # noqa: E501
    ("header-name-space", lambda: Response("x", headers=[("Bad Name", "v")]), HeaderValueError),
    ("header-name-colon", lambda: Response("x", headers={"X:Y": "v"}), HeaderValueError),
    ("header-value-nul", lambda: Response("x", headers={"X": "a\x00"}), HeaderValueError),
    ("mimetype-crlf", lambda: Response("x", mimetype="text/html\r\nX: y"), HeaderValueError),
    ("mimetype-nul", lambda: Response("x", mimetype="text/\x00"), HeaderValueError),
    ("content-type-lf", lambda: Response("x", content_type="text/html\nX"), HeaderValueError),
    ("mimetype-bytes", lambda: Response("x", mimetype=b"text/html"), ArgumentTypeError),  # type: ignore[arg-type]
    ("content-type-bytes", lambda: Response("x", content_type=b"a/b"), ArgumentTypeError),  # type: ignore[arg-type]
    ("mimetype-setter-crlf", lambda: _set(Response("x"), "mimetype", "a/b\r\n"), HeaderValueError),
    ("content-type-setter-cr", lambda: _set(Response("x"), "content_type", "a\rb"), HeaderValueError),  # noqa: E501
    ("location-crlf", lambda: _set(Response("x"), "location", "/a\r\nSet-Cookie: x"), LocationValueError),  # noqa: E501
    ("location-nul", lambda: _set(Response("x"), "location", "/a\x00"), LocationValueError),
    ("location-bytes", lambda: _set(Response("x"), "location", b"/a"), ArgumentTypeError),
    ("body-int", lambda: Response(5), ArgumentTypeError),  # type: ignore[arg-type]
    ("set_data-int", lambda: Response().set_data(5), ArgumentTypeError),  # type: ignore[arg-type]
    ("set_data-list", lambda: Response().set_data([b"a"]), ArgumentTypeError),  # type: ignore[arg-type]
    ("body-item-int", lambda: Response([1]).get_data(), ArgumentTypeError),
    ("etag-quote", lambda: Response("x").set_etag('a"b'), HeaderValueError),
    ("header-set-crlf", lambda: _header(Response("x"), "X", "a\nb"), HeaderValueError),
]  # fmt: skip


@pytest.mark.parametrize(
    ("build", "error"), [b[1:] for b in BAD_INPUT], ids=[b[0] for b in BAD_INPUT]
)
def test_bad_input_raises_erlen_error(build: Callable[[], Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        build()


def test_bad_mimetype_leaves_passed_headers_unchanged() -> None:
    headers = ErlenHeaders([("X", "1")])
    with pytest.raises(HeaderValueError):
        Response("x", headers=headers, mimetype="a/b\r\nInjected: 1")
    assert list(headers.items()) == [("X", "1")]


def test_bad_status_setter_leaves_status_unchanged() -> None:
    response = Response("x", status=201)
    with pytest.raises(StatusCodeError):
        response.status = "201 X\r\nY: z"
    assert response.status == "201 CREATED" and response.status_code == 201


def test_bad_location_setter_leaves_header_unchanged() -> None:
    response = Response("x")
    response.location = "/ok"
    with pytest.raises(LocationValueError):
        response.location = "/a\nb"
    assert response.location == "/ok"


@pytest.mark.parametrize("attr", ["content_type", "content_length", "location", "content_location"])
def test_assigning_none_removes_header_instead_of_sending_none(attr: str) -> None:
    response = Response("x")
    setattr(response, attr, "5")
    setattr(response, attr, None)
    assert getattr(response, attr) is None
    assert all(value != "None" for _, value in response.headers.items())


def test_subclass_set_data_override_is_used_by_constructor() -> None:
    class Upper(Response):
        def set_data(self, value: Any) -> None:
            super().set_data(value.upper())

    assert Upper("shout").get_data() == b"SHOUT"


# -- headers made lazily ---------------------------------------------------------
# A str/bytes Response keeps its header pairs as a plain list until someone
# reads ``.headers``; these tests pin that the list and the object agree.


@pytest.mark.parametrize(
    "extra",
    [
        {"Location": "/a b/ü"},
        {"location": "/x"},
        {"Content-Location": "/é"},
        {"X-One": "1", "Location": "https://example.com/a b"},
    ],
)
def test_extra_location_in_constructor_is_sent_as_werkzeug_sends_it(
    extra: dict[str, str],
) -> None:
    ours = Response("Hello", status=302, headers=extra)
    theirs = flask.Response("Hello", status=302, headers=extra)
    assert serve(ours) == serve(theirs)


def test_headers_read_after_construction_are_the_sent_ones() -> None:
    response = Response("Hello", headers={"X-A": "1"})
    headers = response.headers
    assert response.headers is headers
    headers["X-B"] = "2"
    del headers["X-A"]
    theirs = flask.Response("Hello", headers={"X-A": "1"})
    theirs.headers["X-B"] = "2"
    del theirs.headers["X-A"]
    assert serve(response) == serve(theirs)


def test_sent_header_list_is_a_copy() -> None:
    response = Response("Hello")
    seen: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        headers.append(("Server", "mutating"))  # wsgiref's handler may add to the list
        seen.append(headers)

    list(response(create_environ("/"), start_response))
    assert ("Server", "mutating") in seen[0]
    assert "Server" not in response.headers


def test_assigned_headers_become_a_checked_headers_object() -> None:
    response = Response("Hello")
    response.headers = {"X-A": "1"}  # type: ignore[assignment]
    assert isinstance(response.headers, ErlenHeaders)
    assert response.headers["X-A"] == "1"
    with pytest.raises(HeaderValueError):
        response.headers = [("X-Bad", "a\r\nSet-Cookie: x=1")]  # type: ignore[assignment]
    # Werkzeug stores whatever is assigned, even a header block that splits.
    theirs = flask.Response("Hello")
    theirs.headers = [("X-Bad", "a\r\nb")]  # type: ignore[assignment]
    assert theirs.headers == [("X-Bad", "a\r\nb")]


def test_mimetype_params_in_place_union_reaches_the_header() -> None:
    # ``params |= {...}`` on the live dict: Werkzeug rewrites the header, so must we.
    from werkzeug.wrappers import Response as WerkzeugResponse

    ours, theirs = Response("x", mimetype="text/html"), WerkzeugResponse("x", mimetype="text/html")
    for response in (ours, theirs):
        params = response.mimetype_params
        params |= {"level": "1"}
    assert ours.headers["Content-Type"] == theirs.headers["Content-Type"]
    assert ours.headers["Content-Type"] == "text/html; charset=utf-8; level=1"
