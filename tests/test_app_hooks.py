"""Request hooks on WSGI and ASGI: before/after/teardown, after_this_request, g, contexts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import erlen
from erlen import g, request

SOURCE = """
from erlen import Flask, Response, after_this_request, g, request

app = Flask("hooks")
order = []

@app.before_request
def first():
    g.trail = ["first"]
    if request.args.get("stop") == "first":
        return "stopped by first", 203

@app.before_request
def second():
    g.trail.append("second")
    if request.args.get("stop") == "second":
        return {"stopped": "second"}

@app.after_request
def after_a(response):
    response.headers["X-After-A"] = ",".join(g.trail)
    g.trail.append("after_a")
    return response

@app.after_request
def after_b(response):
    # Registered last, runs first.
    g.trail.append("after_b")
    response.headers["X-After-B"] = "b"
    return response

@app.route("/")
def index():
    g.trail.append("view")
    return "view"

@app.route("/this")
def this():
    @after_this_request
    def add(response):
        g.trail.append("this")
        response.headers["X-This"] = "yes"
        return response
    return "this"

@app.route("/replace")
def replace():
    @after_this_request
    def swap(response):
        return Response("replaced", 202, {"X-Swapped": "1"})
    return "original"

@app.route("/abort-in-view")
def abort_in_view():
    from erlen import abort
    abort(409)
"""


@pytest.fixture(scope="module")
def twins() -> tuple[Any, Any]:
    from tests.support import make_twin_apps

    return make_twin_apps(SOURCE)


@pytest.mark.parametrize(
    "path",
    ["/", "/?stop=first", "/?stop=second", "/this", "/replace", "/missing"],
)
def test_hooks_match_flask(twins: tuple[Any, Any], compare: Callable[..., Any], path: str) -> None:
    compare(twins, "GET", path, same_body=path != "/missing")


def test_after_request_runs_for_error_pages(
    twins: tuple[Any, Any], compare: Callable[..., Any]
) -> None:
    response = compare(twins, "GET", "/abort-in-view", same_body=False)
    assert response.status_code == 409
    assert response.headers["X-After-A"] == "first,second,after_b"


def test_after_request_order_is_reverse_registration(
    twins: tuple[Any, Any], make_client: Callable[..., Any]
) -> None:
    response = make_client(twins[0]).get("/this")
    # after_this_request first, then after_b (last registered), then after_a.
    assert response.headers["X-After-A"] == "first,second,this,after_b"


def make_app(**config: Any) -> erlen.Flask:
    app = erlen.Flask("teardown")
    app.config.update(config)
    return app


def test_teardown_receives_the_unhandled_exception(
    make_client: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    seen: list[Any] = []

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        seen.append(error)

    @app.route("/ok")
    def ok() -> str:
        return "ok"

    @app.route("/boom")
    def boom() -> str:
        raise KeyError("boom")

    client = make_client(app)
    assert client.get("/ok").status_code == 200
    assert client.get("/boom").status_code == 500
    assert seen[0] is None
    assert isinstance(seen[1], KeyError)


def test_teardown_runs_in_reverse_and_sees_the_request(make_client: Callable[..., Any]) -> None:
    app = make_app()
    seen: list[str] = []

    @app.teardown_request
    def one(error: BaseException | None) -> None:
        seen.append("one " + request.path)

    @app.teardown_request
    def two(error: BaseException | None) -> None:
        seen.append("two " + g.get("mark", "-"))

    @app.teardown_appcontext
    def app_level(error: BaseException | None) -> None:
        seen.append("appcontext")

    @app.route("/")
    def index() -> str:
        g.mark = "marked"
        return "x"

    make_client(app).get("/")
    assert seen == ["two marked", "one /", "appcontext"]


def test_teardown_runs_when_before_request_raises(
    make_client: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    seen: list[Any] = []

    @app.before_request
    def fail() -> None:
        raise RuntimeError("before")

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        seen.append(error)

    @app.route("/")
    def index() -> str:
        return "never"

    assert make_client(app).get("/").status_code == 500
    assert len(seen) == 1 and isinstance(seen[0], RuntimeError)


def test_g_is_per_request(make_client: Callable[..., Any]) -> None:
    app = make_app()

    @app.route("/")
    def index() -> str:
        before = g.get("count", 0)
        g.count = before + 1
        g.setdefault("other", "x")
        return f"{before} {g.count} {'other' in g} {g.pop('other')} {'other' in g}"

    client = make_client(app)
    assert client.get("/").get_data() == b"0 1 True x False"
    assert client.get("/").get_data() == b"0 1 True x False"


def test_current_app_and_has_request_context(make_client: Callable[..., Any]) -> None:
    app = make_app()

    @app.route("/")
    def index() -> str:
        return f"{erlen.current_app.name} {erlen.has_request_context()} {erlen.has_app_context()}"

    assert make_client(app).get("/").get_data() == b"teardown True True"
    assert not erlen.has_request_context()
    assert not erlen.has_app_context()


def test_app_context_outside_requests() -> None:
    app = make_app(SERVER_NAME="example.test")
    ran: list[str] = []

    @app.route("/x/<int:n>")
    def x(n: int) -> str:
        return str(n)

    @app.teardown_appcontext
    def done(error: BaseException | None) -> None:
        ran.append("teardown")

    with pytest.raises(RuntimeError):
        erlen.current_app.name  # noqa: B018
    with app.app_context():
        assert erlen.current_app.name == "teardown"
        assert erlen.has_app_context() and not erlen.has_request_context()
        g.value = 1
        assert g.value == 1
        assert erlen.url_for("x", n=3) == "http://example.test/x/3"
        with pytest.raises(RuntimeError):
            request.path  # noqa: B018
    assert ran == ["teardown"]


def test_test_request_context(make_client: Callable[..., Any]) -> None:
    app = make_app()

    @app.route("/p/<name>")
    def page(name: str) -> str:
        return name

    with app.test_request_context("/p/abc?q=1", method="POST", data={"f": "v"}):
        assert erlen.has_request_context()
        assert request.path == "/p/abc"
        assert request.method == "POST"
        assert request.args["q"] == "1"
        assert request.form["f"] == "v"
        assert erlen.url_for("page", name="z") == "/p/z"
        assert erlen.url_for("page", name="z", _external=True) == "http://localhost/p/z"
    assert not erlen.has_request_context()


def test_after_this_request_outside_a_request_is_refused() -> None:
    with pytest.raises(RuntimeError):
        erlen.after_this_request(lambda response: response)


def test_exception_in_after_request_is_a_500(
    make_client: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()

    @app.after_request
    def broken(response: Any) -> Any:
        raise ValueError("after")

    @app.route("/")
    def index() -> str:
        return "x"

    response = make_client(app).get("/")
    assert response.status_code == 500
    assert any("after" in str(record.exc_info[1]) for record in caplog.records if record.exc_info)


def test_request_class_subclass_is_used(make_client: Callable[..., Any]) -> None:
    class MyRequest(erlen.Request):
        @property
        def shout(self) -> str:
            return self.path.upper()

    app = make_app()
    app.request_class = MyRequest

    @app.route("/quiet")
    def quiet() -> str:
        return f"{type(request._get_current_object()).__name__} {request.shout}"  # type: ignore[attr-defined]

    assert make_client(app).get("/quiet").get_data() == b"MyRequest /QUIET"
