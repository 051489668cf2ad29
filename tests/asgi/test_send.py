"""ASGI sends the same status, headers and body as WSGI, whichever send path it takes.

The ASGI adapter has short paths (headers untouched since the constructor,
headers that need no send rule); WSGI's ``wsgi_header_list`` is the one
general rule set, so every response is compared against it.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings, strategies as st

from erlen import Flask, Response
from tests.support import call_asgi, call_wsgi

NAMES = ["Location", "location", "Content-Location", "Content-Length", "X-A", "x-a"]
VALUES = ["/a", "/a b", "http://example.com/ü", "https://example.com/x?y=1", "7", "v"]

header_lists = st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(VALUES)), max_size=4)


def make_app(
    headers: list[tuple[str, str]], status: int, autocorrect: bool, via_constructor: bool
) -> Flask:
    app = Flask(__name__)

    class Answer(Response):
        autocorrect_location_header = autocorrect

    @app.route("/r", methods=["GET", "HEAD"])
    async def answer() -> Response:
        if via_constructor:
            return Answer("body", status=status, headers=dict(headers))
        response = Answer("body", status=status)
        for name, value in headers:
            response.headers.add(name, value)
        return response

    return app


def lowered(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name.lower(), value) for name, value in headers]


@settings(max_examples=250, deadline=None)
@given(
    header_lists,
    st.sampled_from([200, 201, 302, 204, 304]),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["GET", "HEAD"]),
)
def test_asgi_headers_and_body_equal_wsgi(
    headers: list[tuple[str, str]],
    status: int,
    autocorrect: bool,
    via_constructor: bool,
    method: str,
) -> None:
    app = make_app(headers, status, autocorrect, via_constructor)
    over_wsgi: Any = call_wsgi(app, "/r", method)
    over_asgi: Any = call_asgi(app, "/r", method)
    assert over_asgi.status == over_wsgi.status
    assert lowered(over_asgi.headers) == lowered(over_wsgi.headers)
    assert over_asgi.body == over_wsgi.body
