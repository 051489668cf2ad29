"""Every return-value rule of Flask's ``make_response``, on WSGI and ASGI, against Flask."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask
import pytest

import erlen

SOURCE = """
from http import HTTPStatus
from erlen import Flask, Response, make_response, abort, redirect, jsonify
try:
    from erlen import Headers, HTTPException
except ImportError:  # the Flask twin: Flask re-exports neither
    from werkzeug.datastructures import Headers
    from werkzeug.exceptions import HTTPException

app = Flask("returns")

def gen():
    yield "a"
    yield b"b"
    yield "c"

@app.route("/str")
def r_str(): return "hello"

@app.route("/str-unicode")
def r_str_unicode(): return "h\\u00e9llo \\u2603"

@app.route("/empty")
def r_empty(): return ""

@app.route("/bytes")
def r_bytes(): return b"\\x00\\xffbytes"

@app.route("/bytearray")
def r_bytearray(): return bytearray(b"ba")

@app.route("/dict")
def r_dict(): return {"b": 1, "a": [1, 2, None], "u": "\\u2603"}

@app.route("/list")
def r_list(): return [1, "two", {"three": 3}]

@app.route("/empty-list")
def r_empty_list(): return []

@app.route("/generator")
def r_generator(): return gen()

@app.route("/iterator")
def r_iterator(): return iter(["x", "y"])

@app.route("/response")
def r_response(): return Response("made", 201, {"X-A": "1"}, mimetype="text/plain")

@app.route("/response-status")
def r_response_status(): return Response("made"), 202

@app.route("/response-headers")
def r_response_headers(): return Response("made", headers={"X-A": "1"}), {"X-A": "2", "X-B": "3"}

@app.route("/wsgi-callable")
def r_wsgi_callable():
    def application(environ, start_response):
        headers = [("Content-Type", "text/x-wsgi"), ("X-Path", environ["PATH_INFO"])]
        start_response("203 Partial", headers)
        return [b"from ", b"wsgi"]
    return application

@app.route("/http-exception")
def r_http_exception():
    error = HTTPException("described")
    error.code = 418
    return error

@app.route("/tuple-status")
def r_tuple_status(): return "created", 201

@app.route("/tuple-status-str")
def r_tuple_status_str(): return "created", "201"

@app.route("/tuple-status-phrase")
def r_tuple_status_phrase(): return "made", "299 Custom Phrase"

@app.route("/tuple-status-httpstatus")
def r_tuple_status_httpstatus(): return "gone", HTTPStatus.GONE

@app.route("/tuple-headers-dict")
def r_tuple_headers_dict(): return "h", {"X-One": "1", "X-Two": 2}

@app.route("/tuple-headers-list")
def r_tuple_headers_list(): return "h", [("X-One", "1"), ("X-One", "2")]

@app.route("/tuple-headers-Headers")
def r_tuple_headers_headers():
    headers = Headers()
    headers.add("X-Multi", "1")
    headers.add("X-Multi", "2")
    return "h", headers

@app.route("/tuple-headers-content-type")
def r_tuple_headers_content_type(): return "h", {"Content-Type": "text/plain"}

@app.route("/tuple-three")
def r_tuple_three(): return "t", 404, {"X-T": "3"}

@app.route("/tuple-three-list")
def r_tuple_three_list(): return "t", "418", [("X-T", "a"), ("X-T", "b")]

@app.route("/tuple-dict-status")
def r_tuple_dict_status(): return {"error": "nope"}, 400

@app.route("/tuple-list-headers")
def r_tuple_list_headers(): return [1], {"X-L": "l"}

@app.route("/tuple-bytes-status-headers")
def r_tuple_bytes(): return b"b", 201, {"X-B": "b"}

@app.route("/tuple-generator-status")
def r_tuple_generator(): return gen(), 206

@app.route("/tuple-empty-headers")
def r_tuple_empty_headers(): return "e", {}

@app.route("/jsonify-status")
def r_jsonify_status(): return jsonify(ok=True), 201, {"X-J": "j"}

@app.route("/make-response-empty")
def r_make_response_empty(): return make_response()

@app.route("/make-response-one")
def r_make_response_one(): return make_response("one")

@app.route("/make-response-status")
def r_make_response_status(): return make_response("two", 404)

@app.route("/make-response-three")
def r_make_response_three(): return make_response("three", 201, {"X-M": "m"})

@app.route("/make-response-tuple")
def r_make_response_tuple(): return make_response(("tuple", 202))

@app.route("/make-response-dict")
def r_make_response_dict(): return make_response({"k": "v"})

@app.route("/make-response-response")
def r_make_response_response(): return make_response(Response("inner"), 203)

@app.route("/make-response-then-edit")
def r_make_response_then_edit():
    response = make_response("edited")
    response.headers["X-Edited"] = "yes"
    response.status_code = 201
    return response

@app.route("/abort-inline")
def r_abort_inline(): abort(403)

@app.route("/redirect")
def r_redirect(): return redirect("/target")

@app.route("/head-body", methods=["GET"])
def r_head_body(): return "has a body"
"""

PATHS = [
    "/str",
    "/str-unicode",
    "/empty",
    "/bytes",
    "/bytearray",
    "/dict",
    "/list",
    "/empty-list",
    "/generator",
    "/iterator",
    "/response",
    "/response-status",
    "/response-headers",
    "/wsgi-callable",
    "/http-exception",
    "/tuple-status",
    "/tuple-status-str",
    "/tuple-status-phrase",
    "/tuple-status-httpstatus",
    "/tuple-headers-dict",
    "/tuple-headers-list",
    "/tuple-headers-Headers",
    "/tuple-headers-content-type",
    "/tuple-three",
    "/tuple-three-list",
    "/tuple-dict-status",
    "/tuple-list-headers",
    "/tuple-bytes-status-headers",
    "/tuple-generator-status",
    "/tuple-empty-headers",
    "/jsonify-status",
    "/make-response-empty",
    "/make-response-one",
    "/make-response-status",
    "/make-response-three",
    "/make-response-tuple",
    "/make-response-dict",
    "/make-response-response",
    "/make-response-then-edit",
    "/abort-inline",
    "/redirect",
]


ERROR_PAGES = {"/abort-inline", "/http-exception"}


@pytest.fixture(scope="module")
def twins() -> tuple[Any, Any]:
    from tests.support import make_twin_apps

    return make_twin_apps(SOURCE)


@pytest.mark.parametrize("path", PATHS)
def test_return_value_matches_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any], path: str
) -> None:
    compare(twins, "GET", path, same_body=path not in ERROR_PAGES)


@pytest.mark.parametrize("path", ["/str", "/dict", "/generator", "/tuple-three", "/redirect"])
def test_head_matches_flask_and_sends_no_body(
    twins: tuple[Any, Any], compare: Callable[..., Any], path: str
) -> None:
    response = compare(twins, "HEAD", path)
    assert response.get_data() == b""


def test_custom_status_phrase_kept_on_wsgi(
    twins: tuple[Any, Any], make_client: Callable[..., Any], protocol: str
) -> None:
    response = make_client(twins[0]).get("/tuple-status-phrase")
    assert response.status_code == 299
    # ASGI carries only the code: the phrase on that wire is the server's.
    expected = "299 Custom Phrase" if protocol == "wsgi" else "299 UNKNOWN"
    assert response.status == expected


# -- bad return values: Flask's TypeError, word for word --------------------------

BAD_SOURCE = """
from erlen import Flask

app = Flask("bad")
app.testing = True

class Unknown:
    pass

@app.route("/none")
def none(): return None

@app.route("/no-return")
def no_return(): pass

@app.route("/none-status")
def none_status(): return None, 200

@app.route("/one-tuple")
def one_tuple(): return ("a",)

@app.route("/four-tuple")
def four_tuple(): return "a", 200, {}, "extra"

@app.route("/empty-tuple")
def empty_tuple(): return ()

@app.route("/int")
def integer(): return 42

@app.route("/object")
def obj(): return Unknown()

@app.route("/float-status")
def float_status(): return 3.5, 200

@app.route("/set")
def a_set(): return {1, 2}
"""

BAD_PATHS = [
    "/none",
    "/no-return",
    "/none-status",
    "/one-tuple",
    "/four-tuple",
    "/empty-tuple",
    "/int",
    "/object",
    "/float-status",
    "/set",
]


@pytest.fixture(scope="module")
def bad_twins() -> tuple[Any, Any]:
    from tests.support import make_twin_apps

    return make_twin_apps(BAD_SOURCE)


@pytest.mark.parametrize("path", BAD_PATHS)
def test_bad_return_value_raises_flasks_type_error(
    bad_twins: tuple[Any, Any], make_client: Callable[..., Any], path: str
) -> None:
    erlen_app, flask_app = bad_twins
    with pytest.raises(TypeError) as expected:
        flask_app.test_client().get(path)
    with pytest.raises(TypeError) as got:
        make_client(erlen_app).get(path)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("path", BAD_PATHS)
def test_bad_return_value_is_a_logged_500_when_not_testing(
    bad_twins: tuple[Any, Any],
    make_client: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
    path: str,
) -> None:
    from tests.support import make_twin_apps

    erlen_app, _ = make_twin_apps(BAD_SOURCE.replace("app.testing = True", ""))
    response = make_client(erlen_app).get(path)
    assert response.status_code == 500
    assert any(record.exc_info and record.exc_info[0] is TypeError for record in caplog.records)


def test_invalid_status_in_tuple_is_refused_with_erlen_error(
    make_client: Callable[..., Any],
) -> None:
    app = erlen.Flask("status")
    app.testing = True

    @app.route("/crlf")
    def crlf() -> Any:
        return "x", "200 OK\r\nSet-Cookie: evil=1"

    @app.route("/range")
    def out_of_range() -> Any:
        return "x", 1000

    client = make_client(app)
    with pytest.raises(erlen.StatusCodeError):
        client.get("/crlf")
    with pytest.raises(erlen.StatusCodeError):
        client.get("/range")


def test_header_injection_through_returned_headers_is_refused(
    make_client: Callable[..., Any],
) -> None:
    app = erlen.Flask("inject")
    app.testing = True

    @app.route("/dict")
    def from_dict() -> Any:
        return "x", {"X-Evil": "a\r\nSet-Cookie: evil=1"}

    @app.route("/name")
    def bad_name() -> Any:
        return "x", [("X-Evil\r\nSet-Cookie", "1")]

    client = make_client(app)
    with pytest.raises(erlen.HeaderValueError):
        client.get("/dict")
    with pytest.raises(erlen.HeaderValueError):
        client.get("/name")


def test_header_injection_through_returned_headers_is_a_500_in_production(
    make_client: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    app = erlen.Flask("inject500")

    @app.route("/")
    def index() -> Any:
        return "x", {"X-Evil": "a\nb"}

    response = make_client(app).get("/")
    assert response.status_code == 500
    assert "evil" not in str(response.headers).lower()


def test_make_response_outside_a_request_needs_an_app_context() -> None:
    app = erlen.Flask("outside")
    with pytest.raises(RuntimeError):
        erlen.make_response("x")
    with app.app_context():
        response = erlen.make_response("x", 201)
    assert (response.status_code, response.get_data()) == (201, b"x")
    with flask.Flask("outside").app_context():
        expected = flask.make_response("x", 201)
    assert response.headers.to_wsgi_list() == expected.headers.to_wsgi_list()


def test_response_subclass_is_used_for_return_values(make_client: Callable[..., Any]) -> None:
    class MyResponse(erlen.Response):
        default_mimetype = "text/plain"

    app = erlen.Flask("subclass")
    app.response_class = MyResponse
    seen: list[type] = []

    @app.route("/")
    def index() -> Any:
        return "plain"

    @app.route("/base")
    def base() -> Any:
        return erlen.Response("base", 201)

    @app.after_request
    def record(response: Any) -> Any:
        seen.append(type(response))
        return response

    client = make_client(app)
    assert client.get("/").headers["Content-Type"] == "text/plain; charset=utf-8"
    # A plain Response is converted to the subclass (Flask's force_type).
    assert client.get("/base").status_code == 201
    assert seen == [MyResponse, MyResponse]
