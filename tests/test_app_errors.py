"""Error handling on WSGI and ASGI: abort, HTTP error pages, errorhandler, 500s, propagation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import erlen
from erlen.exceptions import HTTPException, InternalServerError, NotFound

SOURCE = """
from erlen import Flask, Response, abort, jsonify

app = Flask("errors")

if Flask.__module__.startswith("flask"):
    from werkzeug.exceptions import BadRequest, Forbidden, NotFound
else:
    from erlen.exceptions import BadRequest, Forbidden, NotFound


class AppError(Exception):
    pass


class SpecificError(AppError):
    pass


class OtherError(Exception):
    pass


@app.errorhandler(404)
def not_found(error):
    return {"error": "not found", "code": error.code}, 404


@app.errorhandler(Forbidden)
def forbidden(error):
    return "forbidden: " + type(error).__name__, 403, {"X-Handler": "forbidden"}


@app.errorhandler(AppError)
def app_error(error):
    return "app error " + type(error).__name__, 418


@app.errorhandler(SpecificError)
def specific_error(error):
    return "specific " + str(error), 409


@app.errorhandler(500)
def server_error(error):
    original = getattr(error, "original_exception", None)
    return "500 handler: " + type(error).__name__ + " / " + type(original).__name__, 500


@app.route("/abort/<int:code>")
def abort_code(code):
    abort(code)

@app.route("/abort-description")
def abort_description():
    abort(400, description="custom <b>description</b>")

@app.route("/abort-response")
def abort_response():
    abort(Response("aborted with a response", 299, {"X-Abort": "1"}))

@app.route("/forbidden")
def raise_forbidden():
    raise Forbidden("no way")

@app.route("/app-error")
def raise_app_error():
    raise AppError()

@app.route("/specific-error")
def raise_specific_error():
    raise SpecificError("detail")

@app.route("/other-error")
def raise_other_error():
    raise OtherError("unhandled")

@app.route("/return-exception")
def return_exception():
    return BadRequest("returned")

@app.route("/not-found-raised")
def not_found_raised():
    raise NotFound()

@app.route("/json-error")
def json_error():
    return jsonify(error="bad"), 422
"""


@pytest.fixture(scope="module")
def twins() -> tuple[Any, Any]:
    from tests.support import make_twin_apps

    return make_twin_apps(SOURCE)


HANDLED = [
    "/missing",
    "/abort/404",
    "/abort/403",
    "/forbidden",
    "/app-error",
    "/specific-error",
    "/other-error",
    "/abort/500",
    "/abort-response",
    "/not-found-raised",
    "/json-error",
]
# HTTP error pages without a handler: status and headers must agree, not the wording.
PAGES = [
    "/abort/400",
    "/abort/401",
    "/abort/405",
    "/abort/406",
    "/abort/409",
    "/abort/410",
    "/abort/413",
    "/abort/415",
    "/abort/418",
    "/abort/422",
    "/abort/429",
    "/abort/501",
    "/abort/503",
    "/abort-description",
    "/return-exception",
]


@pytest.mark.parametrize("path", HANDLED)
def test_error_handlers_match_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any], caplog: pytest.LogCaptureFixture, path: str
) -> None:
    compare(twins, "GET", path)


@pytest.mark.parametrize("path", PAGES)
def test_error_pages_match_flask_status_and_headers(
    twins: tuple[Any, Any], compare: Callable[..., Any], path: str
) -> None:
    compare(twins, "GET", path, same_body=False)


def test_handler_for_500_gets_internal_server_error_with_original(
    twins: tuple[Any, Any], make_client: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    response = make_client(twins[0]).get("/other-error")
    assert response.get_data() == b"500 handler: InternalServerError / OtherError"
    assert any(record.levelname == "ERROR" for record in caplog.records)


def test_error_page_escapes_description(
    twins: tuple[Any, Any], make_client: Callable[..., Any]
) -> None:
    body = make_client(twins[0]).get("/abort-description").get_data()
    assert b"<b>" not in body
    assert b"&lt;b&gt;description&lt;/b&gt;" in body


def test_unknown_abort_code_is_a_lookup_error(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("unknown")
    app.testing = True

    @app.route("/")
    def index() -> None:
        erlen.abort(299)

    with pytest.raises(LookupError):
        make_client(app).get("/")


def test_abort_outside_a_request() -> None:
    with pytest.raises(NotFound) as info:
        erlen.abort(404)
    assert info.value.code == 404
    with pytest.raises(HTTPException) as info2:
        erlen.abort(erlen.Response("r", 402))
    assert info2.value.get_response().status_code == 402


def make_app(**config: Any) -> erlen.Flask:
    app = erlen.Flask("errors_local")
    app.config.update(config)

    @app.route("/boom")
    def boom() -> str:
        raise ZeroDivisionError("boom")

    return app


def test_view_exception_is_a_logged_500(
    make_client: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    response = make_client(make_app()).get("/boom")
    assert response.status_code == 500
    assert b"boom" not in response.get_data()  # no traceback or message leaks to the client
    records = [record for record in caplog.records if record.exc_info]
    assert len(records) == 1
    assert records[0].exc_info is not None and records[0].exc_info[0] is ZeroDivisionError
    assert "Exception on /boom [GET]" in records[0].getMessage()


@pytest.mark.parametrize(
    "config",
    [{"TESTING": True}, {"PROPAGATE_EXCEPTIONS": True}, {"DEBUG": True}],
)
def test_view_exception_propagates_when_testing_or_propagating(
    make_client: Callable[..., Any], config: dict[str, Any]
) -> None:
    with pytest.raises(ZeroDivisionError):
        make_client(make_app(**config)).get("/boom")


def test_propagate_false_wins_over_testing(
    make_client: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(TESTING=True, PROPAGATE_EXCEPTIONS=False)
    assert make_client(app).get("/boom").status_code == 500


def test_trap_http_exceptions(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("trap")
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    app.testing = True

    @app.route("/")
    def index() -> None:
        erlen.abort(404)

    with pytest.raises(NotFound):
        make_client(app).get("/")


def test_handler_by_code_and_by_class_mro(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("mro")

    class Base(Exception):
        pass

    class Child(Base):
        pass

    class Grandchild(Child):
        pass

    @app.errorhandler(Base)
    def base(error: Exception) -> Any:
        return "base", 400

    @app.errorhandler(Child)
    def child(error: Exception) -> Any:
        return "child", 400

    @app.errorhandler(Exception)
    def anything(error: Exception) -> Any:
        return "exception", 400

    @app.route("/<kind>")
    def raiser(kind: str) -> None:
        raise {"base": Base, "child": Child, "grandchild": Grandchild, "other": KeyError}[kind]()

    client = make_client(app)
    assert client.get("/base").get_data() == b"base"
    assert client.get("/child").get_data() == b"child"
    assert client.get("/grandchild").get_data() == b"child"
    assert client.get("/other").get_data() == b"exception"
    # A generic Exception handler also sees HTTP errors, as in Flask.
    assert client.get("/a/b").get_data() == b"exception"


def test_error_in_500_handler_propagates_a_plain_500(
    make_client: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()

    @app.errorhandler(InternalServerError)
    def handler(error: Exception) -> Any:
        return None  # an invalid return value from the handler itself

    with pytest.raises(TypeError):
        make_client(app).get("/boom")


@pytest.mark.parametrize("bad", [299, "not a code", object()])
def test_registering_a_handler_for_a_bad_key_is_refused(bad: Any) -> None:
    app = erlen.Flask("reg")
    with pytest.raises((ValueError, TypeError)):
        app.register_error_handler(bad, lambda error: "x")


def test_registering_a_handler_for_an_instance_is_refused() -> None:
    app = erlen.Flask("reg")
    with pytest.raises(TypeError):
        app.register_error_handler(ValueError(), lambda error: "x")  # type: ignore[arg-type]
