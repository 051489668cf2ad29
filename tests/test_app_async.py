"""``async def`` views, hooks and handlers on WSGI and ASGI; the request survives ``await``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import erlen
from erlen import g, request

SOURCE = """
import asyncio
from erlen import Flask, g, jsonify, request

app = Flask("async")

@app.before_request
async def before():
    await asyncio.sleep(0)
    g.before = request.path

@app.after_request
async def after(response):
    await asyncio.sleep(0)
    response.headers["X-After"] = g.before
    return response

@app.route("/view/<int:n>", methods=["GET", "POST"])
async def view(n):
    await asyncio.sleep(0)
    body = request.get_data(as_text=True)
    await asyncio.sleep(0)
    return jsonify(n=n, path=request.path, body=body, before=g.before, method=request.method)

@app.route("/json", methods=["POST"])
async def json_view():
    await asyncio.sleep(0)
    return {"got": request.get_json()}

@app.route("/tuple")
async def tuple_view():
    return "made", 201, {"X-T": "t"}

@app.errorhandler(KeyError)
async def key_error(error):
    await asyncio.sleep(0)
    return "handled " + str(error), 400

@app.route("/raise")
async def raise_view():
    await asyncio.sleep(0)
    raise KeyError("k")
"""


@pytest.fixture(scope="module")
def twins() -> tuple[Any, Any]:
    """The async source as erlen, and its sync spelling as Flask (Flask's async needs asgiref)."""
    from tests.support import make_twin_apps

    erlen_app, _ = make_twin_apps(SOURCE)
    sync_source = SOURCE.replace("async def", "def").replace("await asyncio.sleep(0)", "pass")
    _, flask_app = make_twin_apps(sync_source)
    return erlen_app, flask_app


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/view/1", {}),
        ("POST", "/view/2", {"data": b"x" * 100_000}),
        ("POST", "/json", {"json": {"a": [1, 2]}}),
        ("GET", "/tuple", {}),
        ("GET", "/raise", {}),
    ],
)
def test_async_views_match_flask(
    twins: tuple[Any, Any],
    compare: Callable[..., Any],
    method: str,
    path: str,
    kwargs: dict[str, Any],
) -> None:
    compare(twins, method, path, **kwargs)


def test_async_view_reads_empty_body_of_get(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("empty_body")
    app.testing = True

    @app.route("/")
    async def index() -> Any:
        return {"data": request.get_data(as_text=True), "json": request.get_json(silent=True)}

    assert make_client(app).get("/").get_json() == {"data": "", "json": None}


def test_request_context_survives_await_under_concurrency(protocol: str) -> None:
    """Many requests interleaved on one loop each see their own request and g."""
    from tests.support import call_asgi_async

    app = erlen.Flask("concurrent")

    @app.route("/<int:n>")
    async def view(n: int) -> str:
        g.n = n
        for _ in range(3):
            await asyncio.sleep(0.001 * (n % 3))
        return f"{n} {request.view_args['n'] if request.view_args else '-'} {g.n}"

    if protocol == "wsgi":
        client = app.test_client()
        bodies = [client.get(f"/{n}").get_data() for n in range(10)]
    else:

        async def run_all() -> list[bytes]:
            results = await asyncio.gather(*(call_asgi_async(app, f"/{n}") for n in range(30)))
            return [result.body for result in results]

        bodies = asyncio.run(run_all())
    assert bodies == [f"{n} {n} {n}".encode() for n in range(len(bodies))]


def test_sync_view_with_async_hooks(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("mixed")
    order: list[str] = []

    @app.before_request
    async def before() -> None:
        order.append("async before")

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        order.append("async teardown")

    @app.route("/")
    def index() -> str:
        order.append("sync view " + request.path)
        return "ok"

    assert make_client(app).get("/").get_data() == b"ok"
    assert order == ["async before", "sync view /", "async teardown"]


def test_async_view_exception_is_a_logged_500(
    make_client: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    app = erlen.Flask("async500")

    @app.route("/")
    async def index() -> str:
        await asyncio.sleep(0)
        raise ValueError("async boom")

    response = make_client(app).get("/")
    assert response.status_code == 500
    assert any(r.exc_info and r.exc_info[0] is ValueError for r in caplog.records)


def test_async_view_exception_propagates_when_testing(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("async_testing")
    app.testing = True

    @app.route("/")
    async def index() -> str:
        raise ValueError("async boom")

    with pytest.raises(ValueError, match="async boom"):
        make_client(app).get("/")


def test_async_view_reads_large_body(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("async_body")

    @app.route("/", methods=["POST"])
    async def index() -> Any:
        return {"length": len(request.get_data()), "form": request.form.to_dict()}

    client = make_client(app)
    assert client.post("/", data=b"y" * 300_000).get_json() == {"length": 300_000, "form": {}}
    response = client.post("/", data={"k": "v" * 1000})
    assert response.get_json()["form"] == {"k": "v" * 1000}


def test_async_view_over_max_content_length_is_413(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("async_limit")
    app.config["MAX_CONTENT_LENGTH"] = 100

    @app.route("/", methods=["POST"])
    async def index() -> Any:
        return str(len(request.get_data()))

    client = make_client(app)
    assert client.post("/", data=b"z" * 100).get_data() == b"100"
    assert client.post("/", data=b"z" * 101).status_code == 413


def test_async_generator_body(make_client: Callable[..., Any], protocol: str) -> None:
    app = erlen.Flask("async_gen")

    @app.route("/")
    async def index() -> Any:
        async def generate() -> AsyncIterator[str]:
            for index in range(3):
                await asyncio.sleep(0)
                yield f"chunk{index} "

        return erlen.Response(generate(), mimetype="text/plain")

    if protocol == "wsgi":
        pytest.skip("an async iterator body is served over ASGI only")
    response = make_client(app).get("/")
    assert response.get_data() == b"chunk0 chunk1 chunk2 "
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
