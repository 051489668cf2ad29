"""The ASGI request: routed from the scope, its PEP 3333 environ built only when read."""

from __future__ import annotations

import asyncio
import contextvars
import json
from typing import Any

import pytest

from erlen import Flask, asgi as erlen_asgi, request
from erlen.ctx import _cv_context
from erlen.wrappers import Request
from erlen.wrappers.request_parts import RequestParts
from tests.support import call_asgi, call_wsgi


def describe_request() -> dict[str, Any]:
    return {
        "path": request.path,
        "full_path": request.full_path,
        "url": request.url,
        "script_root": request.script_root,
        "args": request.args.to_dict(),
        "agent": request.headers.get("User-Agent"),
        "server": request.environ["SERVER_NAME"],
        "method": request.method,
    }


def make_app(request_class: type[Request] = Request) -> Flask:
    app = Flask(__name__)
    app.request_class = request_class

    @app.route("/plain")
    async def plain() -> str:
        return "plain"

    @app.route("/describe/<name>", methods=["GET", "POST"])
    async def describe(name: str) -> dict[str, Any]:
        return {"name": name, **describe_request()}

    @app.route("/sync/<name>")
    def sync_describe(name: str) -> dict[str, Any]:
        return {"name": name, **describe_request()}

    return app


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/describe/a", {"query_string": "x=1&y=%C3%A9", "headers": {"User-Agent": "t/1"}}),
        ("/describe/%C3%A9t%C3%A9", {}),
        ("/sync/b", {"query_string": "q=2"}),
        ("/describe/c", {"method": "POST", "data": b"body"}),
        ("/describe/d", {"base_url": "http://example.com/mount"}),
    ],
)
def test_asgi_request_reads_what_the_wsgi_request_reads(path: str, kwargs: dict[str, Any]) -> None:
    app = make_app()
    method = kwargs.pop("method", "GET")
    over_wsgi = call_wsgi(app, path, method, **kwargs)
    over_asgi = call_asgi(app, path, method, **kwargs)
    assert over_wsgi.status == over_asgi.status == "200 OK"
    assert json.loads(over_asgi.body) == json.loads(over_wsgi.body)


def test_environ_is_built_only_when_something_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    original = RequestParts.build_environ

    def counting(parts: RequestParts) -> dict[str, Any]:
        built.append(parts.path)
        return original(parts)

    monkeypatch.setattr(RequestParts, "build_environ", counting)
    app = make_app()
    assert call_asgi(app, "/plain").body == b"plain"
    assert built == []
    assert json.loads(call_asgi(app, "/describe/x").body)["server"] == "localhost"
    assert built == ["/describe/x"]


def test_request_subclass_with_its_own_init_gets_the_environ() -> None:
    class Tagged(Request):
        def __init__(self, environ: dict[str, Any], *args: Any, **kwargs: Any) -> None:
            super().__init__(environ, *args, **kwargs)
            self.tag = environ["REQUEST_METHOD"] + " " + environ["PATH_INFO"]

    app = make_app(Tagged)

    @app.route("/tag")
    async def tag() -> str:
        return request.tag  # type: ignore[attr-defined,no-any-return]

    assert call_asgi(app, "/tag").body == b"GET /tag"
    assert call_wsgi(app, "/tag").body == b"GET /tag"


def test_root_path_is_stripped_before_routing() -> None:
    app = make_app()
    result = call_asgi(app, "/describe/z", base_url="http://localhost/mount")
    described = json.loads(result.body)
    assert (described["path"], described["script_root"]) == ("/describe/z", "/mount")
    assert described["url"] == "http://localhost/mount/describe/z"


def test_sends_run_outside_the_request_context() -> None:
    # Servers snapshot the context while sending (uvicorn's keep-alive timer
    # does); a snapshot holding the request would keep it alive until the
    # connection's next request.
    app = make_app()
    snapshots: list[contextvars.Context] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        snapshots.append(contextvars.copy_context())

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/plain",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "server": ("localhost", 80),
    }
    asyncio.run(app(scope, receive, send))
    assert len(snapshots) == 2
    assert all(_cv_context not in snapshot for snapshot in snapshots)


def test_reading_args_in_an_async_view_builds_no_environ() -> None:
    app = Flask(__name__)
    seen: list[Any] = []

    @app.get("/")
    async def index() -> str:
        seen.append(request._get_current_object())  # type: ignore[attr-defined]
        return request.args.get("q", "")

    assert app.test_client(asgi=True).get("/?q=caf%C3%A9").get_data() == "café".encode()
    assert seen[0]._environ is None


def test_one_client_disconnected_class_for_both_protocols() -> None:
    # ``except erlen.exceptions.ClientDisconnected`` must catch an ASGI disconnect too.
    from erlen import exceptions

    assert erlen_asgi.ClientDisconnected is exceptions.ClientDisconnected


# -- a scope without a usable method or path ------------------------------------------

_GOOD_SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/",
    "query_string": b"",
    "headers": [],
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"method": None}, "has no 'method' key"),
        ({"path": None}, "has no 'path' key"),
        ({"method": b"GET"}, "'method' and 'path' must be str"),
        ({"path": 1}, "'method' and 'path' must be str"),
    ],
)
def test_a_scope_without_a_str_method_and_path_is_refused_by_name(
    change: dict[str, Any], message: str
) -> None:
    scope = {**_GOOD_SCOPE, **change}
    scope = {key: value for key, value in scope.items() if value is not None}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        raise AssertionError("nothing may be sent for a malformed scope")

    with pytest.raises(erlen_asgi.ASGIProtocolError, match=message):
        asyncio.run(make_app()(scope, receive, send))
    with pytest.raises(erlen_asgi.ASGIProtocolError, match=message):
        erlen_asgi.build_environ(scope, erlen_asgi.ASGIInput(receive, None))
