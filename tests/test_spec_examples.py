"""Every example of the specification, run on erlen and on Flask, compared on the wire.

The app is examples/spec_app.py (the spec's code with the import changed); the
same file imported from ``flask`` is the oracle. Each route is compared over
WSGI (status line, header list, body) and over ASGI (status code, header list
with lower-cased names, body).
"""

from __future__ import annotations

import pathlib

import pytest

from tests.support import call_asgi, call_wsgi, make_twin_apps, normalize_headers

SOURCE = (pathlib.Path(__file__).parent.parent / "examples" / "spec_app.py").read_text()
ERLEN_APP, FLASK_APP = make_twin_apps(SOURCE)

ROUTES = [
    ("GET", "/"),
    ("GET", "/created"),
    ("GET", "/custom-headers"),
    ("GET", "/cookie"),
    ("GET", "/raw"),
    ("GET", "/api/user"),
    ("GET", "/stream"),
    ("GET", "/download"),
    ("POST", "/login"),
    ("GET", "/logout"),
    ("GET", "/api/data"),
    ("GET", "/redirect-temp"),
    ("HEAD", "/"),
    ("HEAD", "/api/user"),
    ("HEAD", "/stream"),
    ("OPTIONS", "/login"),
    ("GET", "/login"),
    ("GET", "/missing"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_spec_route_wsgi_matches_flask(method: str, path: str) -> None:
    ours = call_wsgi(ERLEN_APP, path, method)
    theirs = call_wsgi(FLASK_APP, path, method)
    assert ours.status == theirs.status
    if path == "/missing" or (method, path) == ("GET", "/login"):
        # Error pages: same status and header names; the wording is our own (docs/compat.md).
        assert [k for k, _ in ours.headers] == [k for k, _ in theirs.headers]
        return
    if method == "OPTIONS":
        # Flask's Allow order follows set iteration (hash-seeded); erlen sorts it.
        assert sorted(ours.header("Allow").split(", ")) == sorted(
            theirs.header("Allow").split(", ")
        )
        ours.headers = [h for h in ours.headers if h[0] != "Allow"]
        theirs.headers = [h for h in theirs.headers if h[0] != "Allow"]
    assert normalize_headers(ours.headers) == normalize_headers(theirs.headers)
    assert ours.body == theirs.body


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_spec_route_asgi_matches_flask(method: str, path: str) -> None:
    ours = call_asgi(ERLEN_APP, path, method)
    theirs = call_wsgi(FLASK_APP, path, method)
    assert ours.status_code == theirs.status_code
    if path == "/missing" or (method, path) == ("GET", "/login") or method == "OPTIONS":
        return
    assert normalize_headers(ours.headers, lower=True) == normalize_headers(
        theirs.headers, lower=True
    )
    assert ours.body == theirs.body


def test_stream_is_sent_in_chunks_on_both_protocols() -> None:
    assert len([c for c in call_wsgi(ERLEN_APP, "/stream").chunks if c]) == 10
    assert len([c for c in call_asgi(ERLEN_APP, "/stream").chunks if c]) == 10


def test_response_examples_from_the_spec() -> None:
    from erlen import Response

    assert Response("Not Found", status=404).status_code == 404
    assert Response("Created", status=201).status == "201 CREATED"
    assert Response("Hello, World!").data == b"Hello, World!"
    response = Response("Hello")
    response.headers["X-Custom-Header"] = "value"
    response.headers["Content-Type"] = "text/plain"
    assert response.headers["X-Custom-Header"] == "value"
    assert response.mimetype == "text/plain"
    response = Response()
    response.set_data("Hello, World!")
    assert response.data == b"Hello, World!"
    assert response.headers["Content-Length"] == "13"
