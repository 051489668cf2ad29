"""The request object is made on first use, and then it is the one request of the context.

Routing runs on the method and path alone; a view that never reads
``request`` costs no Request object. Whoever reads it first (the view, an
error handler, ``after_this_request``, a teardown function) makes it, with
the routing results already on it.
"""

from __future__ import annotations

from typing import Any

import pytest

from erlen import Flask, after_this_request, request
from erlen.app import request_routing
from erlen.asgi import transport as asgi_transport
from erlen.response import Response
from erlen.wrappers import Request
from tests.support import call_asgi, call_wsgi

CALLERS = {"wsgi": call_wsgi, "asgi": call_asgi}


def make_app() -> tuple[Flask, list[Any]]:
    app = Flask(__name__)
    seen: list[Any] = []

    @app.route("/items/<int:item_id>")
    def item(item_id: int) -> str:
        current = request._get_current_object()  # type: ignore[attr-defined]

        @after_this_request
        def same_request(response: Response) -> Response:
            seen.append(request._get_current_object() is current)  # type: ignore[attr-defined]
            return response

        seen.append((request.view_args, request.url_rule.rule, request.endpoint))
        return f"item {item_id}"

    @app.route("/async/<name>")
    async def async_item(name: str) -> str:
        seen.append((request.view_args, request.endpoint, request.method))
        return name

    @app.route("/quiet")
    def quiet() -> str:
        return "quiet"

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        seen.append(("teardown", request.path))

    return app, seen


@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_first_reader_gets_the_routing_results(protocol: str) -> None:
    app, seen = make_app()
    result = CALLERS[protocol](app, "/items/7")
    assert result.body == b"item 7"
    assert seen == [
        ({"item_id": 7}, "/items/<int:item_id>", "item"),
        True,
        ("teardown", "/items/7"),
    ]


@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_async_view_reads_the_request_it_was_routed_for(protocol: str) -> None:
    app, seen = make_app()
    assert CALLERS[protocol](app, "/async/x").body == b"x"
    assert seen[0] == ({"name": "x"}, "async_item", "GET")


@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_view_that_reads_nothing_makes_no_request(
    protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Flask(__name__)

    # Async: under ASGI a sync view runs in a worker thread, which takes the
    # general dispatch path (that one makes the request).
    @app.route("/quiet")
    async def quiet() -> str:
        return "quiet"

    made: list[str] = []
    make_wsgi = request_routing._make_wsgi_request
    make_asgi = asgi_transport._make_asgi_request

    def counting_wsgi(*arguments: Any) -> Request:
        made.append("wsgi")
        return make_wsgi(*arguments)

    def counting_asgi(*arguments: Any) -> Request:
        made.append("asgi")
        return make_asgi(*arguments)

    monkeypatch.setattr(request_routing, "_make_wsgi_request", counting_wsgi)
    monkeypatch.setattr(asgi_transport, "_make_asgi_request", counting_asgi)

    assert CALLERS[protocol](app, "/quiet").body == b"quiet"
    assert made == []
    assert CALLERS[protocol](app, "/missing").status.startswith("404")
    assert made == [protocol]  # an error is handled with the request at hand
