"""The request object seen by views, on WSGI and ASGI, against Flask; bad input gives clean 4xx."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

import erlen

SOURCE = """
from erlen import Flask, jsonify, request

app = Flask("request")


def headers_seen():
    return sorted(
        (name, value) for name, value in request.headers.items() if name != "User-Agent"
    )


@app.route("/info/<path:rest>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def info(rest):
    return jsonify(
        method=request.method,
        path=request.path,
        full_path=request.full_path,
        script_root=request.script_root,
        url=request.url,
        base_url=request.base_url,
        url_root=request.url_root,
        host_url=request.host_url,
        host=request.host,
        scheme=request.scheme,
        is_secure=request.is_secure,
        args=sorted(request.args.items(multi=True)),
        query_string=request.query_string.decode("latin-1"),
        headers=headers_seen(),
        cookies=sorted(request.cookies.items()),
        remote_addr=request.remote_addr,
        content_type=request.content_type,
        mimetype=request.mimetype,
        mimetype_params=request.mimetype_params,
        content_length=request.content_length,
        is_json=request.is_json,
        endpoint=request.endpoint,
        view_args=request.view_args,
    )

@app.route("/form", methods=["POST"])
def form():
    return jsonify(
        form=sorted(request.form.items(multi=True)),
        files=sorted(
            (name, f.filename, f.mimetype, f.read().decode("latin-1"))
            for name, f in request.files.items(multi=True)
        ),
        values=sorted(request.values.items(multi=True)),
    )

@app.route("/data", methods=["POST", "PUT"])
def data():
    return jsonify(
        data=request.get_data(as_text=True),
        again=request.data.decode("utf-8", "replace"),
        length=request.content_length,
    )

@app.route("/json", methods=["POST"])
def json_body():
    return jsonify(value=request.get_json())

@app.route("/json-force", methods=["POST"])
def json_force():
    return jsonify(value=request.get_json(force=True))

@app.route("/json-silent", methods=["POST"])
def json_silent():
    return jsonify(value=request.get_json(silent=True), is_json=request.is_json)

@app.route("/json-cached", methods=["POST"])
def json_cached():
    first = request.get_json()
    again = request.get_json()
    return jsonify(same=first is again, value=first, data=request.get_data(as_text=True))
"""

INFO_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/info/a", {}),
    ("GET", "/info/a/b?x=1&y=%20two&x=3", {}),
    ("GET", "/info/%C3%A9t%C3%A9?q=%C3%A9", {}),
    ("GET", "/info/a%2Fb", {}),
    ("POST", "/info/p", {"data": b"raw", "content_type": "text/plain; charset=latin-1"}),
    ("PUT", "/info/p", {"json": {"a": 1}}),
    ("PATCH", "/info/p", {"data": b"{}", "content_type": "application/vnd.api+json"}),
    ("GET", "/info/h", {"headers": {"X-Custom": "v", "Accept": "text/html"}}),
    ("GET", "/info/h", {"headers": [("X-Dup", "1"), ("X-Dup", "2")]}),
    ("GET", "/info/c", {"headers": {"Cookie": 'a=1; b="quo ted"; c=%20'}}),
    ("GET", "/info/r", {"environ_base": {"REMOTE_ADDR": "10.1.2.3"}}),
    ("GET", "/info/s", {"base_url": "https://secure.test:8443/mount"}),
    ("GET", "/info/s", {"base_url": "http://example.test/"}),
    ("DELETE", "/info/d", {}),
]


@pytest.fixture(scope="module")
def twins() -> tuple[Any, Any]:
    from tests.support import make_twin_apps

    return make_twin_apps(SOURCE)


@pytest.mark.parametrize(("method", "path", "kwargs"), INFO_CASES)
def test_request_attributes_match_flask(
    twins: tuple[Any, Any],
    compare: Callable[..., Any],
    method: str,
    path: str,
    kwargs: dict[str, Any],
) -> None:
    compare(twins, method, path, **kwargs)


def _form_cases() -> list[dict[str, Any]]:
    return [
        {"data": {"a": "1", "b": ["2", "3"]}},
        {"data": {"name": "\u00e9t\u00e9 & co", "empty": ""}},
        {"data": {"f": (io.BytesIO(b"file body"), "a.txt")}},
        {"data": {"f": (io.BytesIO(b"\x00\xff"), "b.bin", "application/x-thing"), "g": "v"}},
        {"data": {"f": [(io.BytesIO(b"1"), "one.txt"), (io.BytesIO(b"2"), "two.txt")]}},
        {"data": b"a=1&a=2&b=%20", "content_type": "application/x-www-form-urlencoded"},
    ]


@pytest.mark.parametrize("index", range(len(_form_cases())))
def test_forms_and_files_match_flask(
    twins: tuple[Any, Any], make_client: Callable[..., Any], index: int
) -> None:
    # Each client gets its own file objects (they are read and closed).
    erlen_app, flask_app = twins
    ours = make_client(erlen_app).post("/form", **_form_cases()[index])
    theirs = flask_app.test_client().post("/form", **_form_cases()[index])
    assert (ours.status_code, ours.get_json()) == (theirs.status_code, theirs.get_json())


DATA_CASES: list[tuple[str, dict[str, Any]]] = [
    ("/data", {"data": b"plain bytes"}),
    ("/data", {"data": "\u00e9t\u00e9".encode()}),
    ("/data", {"data": b"\xff\xfe"}),
    ("/data", {"data": b"x" * 200_000}),
    ("/data", {"data": b""}),
    ("/json", {"json": {"a": [1, 2]}}),
    ("/json", {"data": b'{"a": 1}', "content_type": "application/json; charset=utf-8"}),
    ("/json", {"data": b'"text"', "content_type": "application/problem+json"}),
    ("/json-force", {"data": b"[1, 2]", "content_type": "text/plain"}),
    ("/json-force", {"data": b"[1, 2]"}),
    ("/json-silent", {"data": b"{broken", "content_type": "application/json"}),
    ("/json-silent", {"data": b"[1]", "content_type": "text/plain"}),
    ("/json-cached", {"json": {"k": "v"}}),
]
# Error pages: worded by each framework.
BAD_DATA_CASES: list[tuple[str, dict[str, Any]]] = [
    ("/json", {"data": b"{broken", "content_type": "application/json"}),
    ("/json", {"data": b"", "content_type": "application/json"}),
    ("/json", {"data": b"\xff\xfe", "content_type": "application/json"}),
    ("/json", {"data": b"[1]", "content_type": "text/plain"}),
    ("/json", {"data": b"[1]"}),
    ("/json-force", {"data": b"nope", "content_type": "text/plain"}),
]


@pytest.mark.parametrize(("path", "kwargs"), DATA_CASES)
def test_body_access_matches_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any], path: str, kwargs: dict[str, Any]
) -> None:
    compare(twins, "POST", path, **kwargs)


@pytest.mark.parametrize(("path", "kwargs"), BAD_DATA_CASES)
def test_bad_json_is_a_clean_4xx_like_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any], path: str, kwargs: dict[str, Any]
) -> None:
    response = compare(twins, "POST", path, same_body=False, **kwargs)
    assert response.status_code in (400, 415)


def test_malformed_json_is_400_and_wrong_type_415(
    twins: tuple[Any, Any], make_client: Callable[..., Any]
) -> None:
    client = make_client(twins[0])
    assert client.post("/json", data=b"{", content_type="application/json").status_code == 400
    assert client.post("/json", data=b"{}", content_type="text/plain").status_code == 415


@pytest.mark.parametrize("body_size", [0, 10, 11, 5000])
def test_max_content_length_is_413_with_a_short_body(
    make_client: Callable[..., Any], body_size: int
) -> None:
    app = erlen.Flask("limit")
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.route("/", methods=["POST"])
    def index() -> Any:
        return str(len(request_data()))

    response = make_client(app).post("/", data=b"x" * body_size)
    if body_size <= 10:
        assert (response.status_code, response.get_data()) == (200, str(body_size).encode())
    else:
        assert response.status_code == 413
        assert len(response.get_data()) < 1000


def request_data() -> bytes:
    return bytes(erlen.request.get_data())


def test_max_content_length_applies_to_forms(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("limit_form")
    app.config["MAX_CONTENT_LENGTH"] = 50

    @app.route("/", methods=["POST"])
    def index() -> Any:
        return erlen.request.form.to_dict()

    client = make_client(app)
    assert client.post("/", data={"a": "b"}).get_json() == {"a": "b"}
    assert client.post("/", data={"a": "b" * 100}).status_code == 413


FORM_DICT_SOURCE = """
from erlen import Flask, request

app = Flask("form_dict")


@app.route("/form-dict", methods=["POST"])
def form_dict():
    return {**dict(request.form), "args": dict(request.args), "values": {**request.values}}
"""


def test_dict_of_request_form_matches_flask(make_client: Callable[..., Any]) -> None:
    # dict(md) and {**md} give the first values in Flask, not the value lists.
    from tests.support import make_twin_apps

    erlen_app, flask_app = make_twin_apps(FORM_DICT_SOURCE)
    ours = make_client(erlen_app).post("/form-dict?q=1&q=2", data={"a": ["1", "2"]})
    theirs = flask_app.test_client().post("/form-dict?q=1&q=2", data={"a": ["1", "2"]})
    assert ours.get_json() == theirs.get_json()
    assert ours.get_json() == {"a": "1", "args": {"q": "1"}, "values": {"a": "1", "q": "1"}}


def test_request_proxy_is_importable_from_erlen() -> None:
    from erlen import request
    from erlen.ctx import request as ctx_request

    assert request is ctx_request


@pytest.mark.parametrize(
    ("declared", "status"),
    [("1000", 400), ("-5", 200), ("abc", 200), ("99999999999999999999", 413)],
)
def test_lying_content_length_does_not_hang_or_500(
    make_client: Callable[..., Any], declared: str, status: int
) -> None:
    # Denial of service: a body shorter than Content-Length must not block a worker.
    app = erlen.Flask("lying")
    app.config["MAX_CONTENT_LENGTH"] = 10_000

    @app.route("/", methods=["POST"])
    def index() -> Any:
        return {"data": erlen.request.get_data(as_text=True), "form": erlen.request.form.to_dict()}

    response = make_client(app).post(
        "/",
        data=b"a=1&b=2",
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"CONTENT_LENGTH": declared},
    )
    # The same status Flask gives for each (checked by hand against Flask 3.1).
    assert response.status_code == status
