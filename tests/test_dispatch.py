"""The one request pipeline: Flask's overridable methods on both protocols, where
sync and async steps run under ASGI, teardown from async bodies, WSGI middleware."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

import erlen
from erlen import Response, request, stream_with_context
from erlen.dispatch import DISPATCH_STEPS, Pipeline


class Overrides(erlen.Flask):
    """Each override records that it ran, then defers to the default."""

    calls: list[str]

    def preprocess_request(self) -> Any:
        self.calls.append("preprocess_request")
        return super().preprocess_request()

    def process_response(self, response: Response) -> Response:
        self.calls.append("process_response")
        response = super().process_response(response)
        response.headers["X-Processed"] = "yes"
        return response

    def handle_http_exception(self, error: Any) -> Any:
        self.calls.append("handle_http_exception")
        return "teapot instead", 418


def make_override_app(view_is_async: bool) -> Overrides:
    app = Overrides(__name__)
    app.calls = []
    if view_is_async:

        @app.get("/a")
        async def view() -> str:
            return "a"
    else:

        @app.get("/a")
        def view() -> str:
            return "a"

    return app


@pytest.mark.parametrize("view_is_async", [False, True])
def test_subclass_dispatch_overrides_run_on_both_protocols(
    make_client: Callable[..., Any], view_is_async: bool
) -> None:
    app = make_override_app(view_is_async)
    client = make_client(app)
    response = client.get("/a")
    assert response.get_data() == b"a"
    assert response.headers["X-Processed"] == "yes"
    assert app.calls == ["preprocess_request", "process_response"]
    app.calls.clear()
    missing = client.get("/missing")
    assert (missing.status_code, missing.get_data()) == (418, b"teapot instead")
    assert app.calls == ["preprocess_request", "handle_http_exception", "process_response"]


def _recording_override(name: str) -> Callable[..., Any]:
    def override(self: Any, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(name)
        return getattr(super(type(self), self), name)(*args, **kwargs)

    return override


# A failing view and a 404 reach each of these.
_REACHED = [
    step
    for step in DISPATCH_STEPS
    if step not in {"make_default_options_response", "raise_routing_exception", "async_to_sync"}
]


@pytest.mark.parametrize("step", _REACHED)
@pytest.mark.parametrize("view_is_async", [False, True])
def test_every_flask_dispatch_method_is_honoured(
    make_client: Callable[..., Any], step: str, view_is_async: bool
) -> None:
    app_class = type("Overridden", (erlen.Flask,), {step: _recording_override(step)})
    app = app_class(__name__)
    app.calls = []
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        pass

    @app.teardown_appcontext
    def teardown_app(error: BaseException | None) -> None:
        pass

    if view_is_async:

        @app.get("/fail")
        async def fail() -> str:
            raise ValueError("boom")
    else:

        @app.get("/fail")
        def fail() -> str:
            raise ValueError("boom")

    @app.errorhandler(ValueError)
    def value_error(error: ValueError) -> Any:
        raise KeyError("the handler fails too")  # so handle_exception runs

    client = make_client(app)
    assert client.get("/fail").status_code == 500
    assert client.get("/missing").status_code == 404
    assert step in app.calls


def test_instance_level_override_is_honoured(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask(__name__)

    @app.get("/")
    async def index() -> str:
        return "x"

    original = app.process_response

    def process_response(response: Response) -> Response:
        response = original(response)
        response.headers["X-Instance"] = "1"
        return response

    app.process_response = process_response  # type: ignore[method-assign]
    assert make_client(app).get("/").headers["X-Instance"] == "1"


def test_async_view_with_sync_hooks_runs_on_the_loop_thread() -> None:
    app = erlen.Flask(__name__)
    threads: dict[str, str] = {}

    @app.before_request
    def before() -> None:
        threads["before"] = threading.current_thread().name

    @app.after_request
    def after(response: Response) -> Response:
        threads["after"] = threading.current_thread().name
        return response

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        threads["teardown"] = threading.current_thread().name

    @app.get("/")
    async def index() -> str:
        threads["view"] = threading.current_thread().name
        return "x"

    assert app.test_client(asgi=True).get("/").get_data() == b"x"
    assert len(set(threads.values())) == 1
    assert not threads["view"].startswith("erlen-sync")


def test_sync_view_runs_every_sync_step_in_one_worker_thread() -> None:
    app = erlen.Flask(__name__)
    threads: dict[str, str] = {}

    @app.before_request
    def before() -> None:
        threads["before"] = threading.current_thread().name

    @app.before_request
    async def before_async() -> None:
        threads["before_async"] = threading.current_thread().name

    @app.after_request
    def after(response: Response) -> Response:
        threads["after"] = threading.current_thread().name
        return response

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        threads["teardown"] = threading.current_thread().name

    @app.get("/")
    def index() -> str:
        threads["view"] = threading.current_thread().name
        return "x"

    assert app.test_client(asgi=True).get("/").get_data() == b"x"
    sync_steps = {threads[name] for name in ("before", "view", "after", "teardown")}
    assert len(sync_steps) == 1
    (worker,) = sync_steps
    assert worker.startswith("erlen-sync")
    # The async hook ran on the event loop, not in a loop of the worker's own.
    assert not threads["before_async"].startswith("erlen-sync")


def test_async_hook_of_a_sync_request_shares_the_servers_loop() -> None:
    app = erlen.Flask(__name__)
    loops: list[asyncio.AbstractEventLoop] = []

    @app.before_request
    async def before() -> None:
        loops.append(asyncio.get_running_loop())

    @app.get("/")
    def index() -> str:
        return "x"

    async def serve() -> None:
        messages: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/",
            "query_string": b"",
            "headers": [],
            "http_version": "1.1",
            "scheme": "http",
            "server": ("localhost", 80),
        }
        await app(scope, receive, send)
        assert messages[-1]["body"] == b"x"
        assert loops == [asyncio.get_running_loop()]

    asyncio.run(serve())


def test_wsgi_async_context_stream_with_async_teardown() -> None:
    # The async body is driven on the worker's own loop; its teardown used to
    # be a sync call inside that loop, which cannot run async teardown functions.
    app = erlen.Flask(__name__)
    torn_down: list[BaseException | None] = []

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        await asyncio.sleep(0)
        torn_down.append(error)

    @app.get("/")
    def index() -> Response:
        async def body() -> AsyncIterator[str]:
            yield "a"
            yield request.path

        return Response(stream_with_context(body()))

    response = app.test_client().get("/")
    assert response.get_data() == b"a/"
    response.close()
    assert torn_down == [None]


def test_wsgi_middleware_applies_over_asgi_too(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask(__name__)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]

    @app.get("/")
    def index() -> dict[str, str]:
        return {"remote": str(request.remote_addr), "scheme": request.scheme}

    response = make_client(app).get(
        "/", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    )
    assert response.json == {"remote": "203.0.113.9", "scheme": "https"}


def test_wsgi_middleware_streams_over_asgi() -> None:
    app = erlen.Flask(__name__)
    app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]
    closed: list[bool] = []

    @app.get("/")
    def index() -> Response:
        def body() -> Any:
            try:
                yield "a"
                yield "b"
            finally:
                closed.append(True)

        return Response(body())

    response = app.test_client(asgi=True).get("/")
    assert response.get_data() == b"ab"
    response.close()
    assert closed == [True]


def test_plan_is_chosen_once_and_follows_registration() -> None:
    app = erlen.Flask(__name__)

    @app.get("/")
    def index() -> str:
        return "x"

    # A context made before setup is over plans early; a later registration
    # makes the plan anew.
    with app.test_request_context("/"):
        pass
    assert app._plan is not None and app._plan.flat

    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-After"] = "1"
        return response

    client = app.test_client()
    assert client.get("/").headers["X-After"] == "1"
    plan = app._plan
    assert plan is not None and not plan.flat
    client.get("/")
    assert app._plan is plan  # not rebuilt per request
    # As in Flask, setup is over after the first request.
    with pytest.raises(AssertionError, match="can no longer be called"):
        app.before_request(lambda: None)


def test_dispatch_steps_are_pipeline_methods() -> None:
    for step in DISPATCH_STEPS:
        assert callable(getattr(Pipeline, step)), step
