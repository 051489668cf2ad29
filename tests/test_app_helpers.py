"""redirect, abort and url_for through the app on WSGI and ASGI, against Flask."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask
import pytest

import erlen
from erlen.routing import BuildError

SOURCE = """
from erlen import Flask, redirect, request, url_for

app = Flask("helpers")

@app.route("/redirect/<int:code>")
def with_code(code):
    return redirect(request.args.get("to", "/target"), code)

@app.route("/redirect")
def plain():
    return redirect(request.args["to"])

@app.route("/target")
def target():
    return "target " + request.method

@app.route("/page/<int:n>")
def page(n):
    return str(n)

@app.route("/post-only", methods=["POST"])
def post_only():
    return "posted"

@app.route("/urls")
def urls():
    return "\\n".join([
        url_for("page", n=1),
        url_for("page", n=2, q="a b", tags=["x", "y"]),
        url_for("page", n=3, _anchor="sec tion/1"),
        url_for("page", n=4, _external=True),
        url_for("page", n=5, _external=True, _scheme="https"),
        url_for("post_only", _method="POST"),
        url_for("target"),
        url_for("static_like", filename="a/b.css") if "static_like" in app.view_functions else "-",
    ])

@app.route("/files/<path:filename>")
def static_like(filename):
    return filename

@app.route("/redirect-post/<int:code>", methods=["POST"])
def redirect_post(code):
    return redirect("/target", code)
"""

REDIRECT_PATHS = [
    "/redirect/301",
    "/redirect/302",
    "/redirect/303",
    "/redirect/307",
    "/redirect/308",
    "/redirect?to=/target%3Fa%3D1%26b%3D2",
    "/redirect?to=http://other.example/x",
    "/redirect?to=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
    "/redirect?to=/%C3%A9t%C3%A9",
    "/redirect?to=/a%20b",
    "/urls",
]


@pytest.fixture(scope="module")
def twins() -> tuple[Any, Any]:
    from tests.support import make_twin_apps

    return make_twin_apps(SOURCE)


@pytest.mark.parametrize("path", REDIRECT_PATHS)
def test_redirect_and_url_for_match_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any], path: str
) -> None:
    compare(twins, "GET", path)


def test_url_for_under_script_root_matches_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any]
) -> None:
    compare(twins, "GET", "/urls", base_url="https://host.test:8443/mount")


def test_redirect_body_escapes_the_target(
    twins: tuple[Any, Any], make_client: Callable[..., Any]
) -> None:
    response = make_client(twins[0]).get("/redirect?to=%22%3E%3Cscript%3E")
    assert b"<script>" not in response.get_data()
    assert "<" not in response.headers["Location"]


@pytest.mark.parametrize(
    ("code", "method", "final"),
    [(301, "GET", "target GET"), (302, "POST", "target GET"), (303, "POST", "target GET")],
)
def test_following_redirects(
    twins: tuple[Any, Any], make_client: Callable[..., Any], code: int, method: str, final: str
) -> None:
    # The POST routes are in SOURCE: an app refuses new routes after its first request.
    path = f"/redirect-post/{code}" if method == "POST" else f"/redirect/{code}"
    response = make_client(twins[0]).open(path, method=method, follow_redirects=True)
    assert response.get_data(as_text=True) == final
    assert [r.status_code for r in response.history] == [code]


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/a\\b", "/a%5Cb"),
        ("\\\\evil.example", "%5C%5Cevil.example"),
        ("/\\evil.example", "/%5Cevil.example"),
        ("/a\tb", "/a%09b"),
        ("/a\x7fb", "/a%7Fb"),
    ],
)
def test_redirect_backslash_open_redirect_is_encoded(
    make_client: Callable[..., Any], location: str, expected: str
) -> None:
    # Browsers read '\\' as '/', so '/\\evil.example' would leave the site.
    app = erlen.Flask("backslash")

    @app.route("/")
    def index() -> Any:
        return erlen.redirect(location)

    response = make_client(app).get("/")
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("location", ["/a\r\nSet-Cookie: evil=1", "/a\nb", "/a\rb", "/a\x00b"])
def test_redirect_header_splitting_is_impossible(
    make_client: Callable[..., Any], location: str
) -> None:
    # Werkzeug would refuse these only at send time (or not at all); erlen
    # percent-encodes them, so the Location stays one header.
    app = erlen.Flask("splitting")

    @app.route("/")
    def index() -> Any:
        return erlen.redirect(location)

    response = make_client(app).get("/")
    value = response.headers["Location"]
    assert not any(char in value for char in "\r\n\x00")
    assert "Set-Cookie" not in [name for name, _ in response.headers.items()]


def test_redirect_refuses_non_string_location() -> None:
    with pytest.raises(TypeError):
        erlen.redirect(b"/bytes")  # type: ignore[arg-type]


def test_redirect_outside_a_request_uses_the_default_response() -> None:
    ours = erlen.redirect("/x", 307)
    theirs = flask.redirect("/x", 307)
    assert ours.status == theirs.status
    assert ours.headers.to_wsgi_list() == theirs.headers.to_wsgi_list()
    assert ours.get_data() == theirs.get_data()


def test_url_for_outside_a_request_needs_server_name() -> None:
    app = erlen.Flask("outside")

    @app.route("/p/<int:n>")
    def page(n: int) -> str:
        return str(n)

    with app.app_context(), pytest.raises(RuntimeError):
        erlen.url_for("page", n=1)
    app.config.update(
        SERVER_NAME="example.test", APPLICATION_ROOT="/root", PREFERRED_URL_SCHEME="https"
    )
    flask_app = flask.Flask("outside")
    flask_app.add_url_rule("/p/<int:n>", "page", page)
    flask_app.config.update(app.config)
    for kwargs in ({}, {"_external": False}, {"q": "1", "_anchor": "a"}):
        with app.app_context():
            ours = erlen.url_for("page", n=1, **kwargs)
        with flask_app.app_context():
            theirs = flask.url_for("page", n=1, **kwargs)
        assert ours == theirs
    assert app.url_for("page", n=2) == "https://example.test/root/p/2"


def test_url_for_errors(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("errors")
    app.testing = True

    @app.route("/p/<int:n>")
    def page(n: int) -> str:
        return str(n)

    with app.test_request_context():
        with pytest.raises(ValueError):
            erlen.url_for("page", n=1, _scheme="https", _external=False)
        with pytest.raises(BuildError, match="'nowhere'"):
            erlen.url_for("nowhere")
        with pytest.raises(BuildError, match=r"Missing values: \['n'\]"):
            erlen.url_for("page")
