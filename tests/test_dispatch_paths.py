"""Property test: any app gives the same bytes on the fast and the general dispatch
path, over WSGI and ASGI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

import erlen
from erlen import Response, abort

RETURNS = ["str", "str_status", "str_headers", "dict", "response", "bytes", "stream", "abort"]
RETURNS += ["error_handled", "error_unhandled", "none"]


def _result(kind: str) -> Any:
    if kind == "str":
        return "hello"
    if kind == "str_status":
        return "created", 201
    if kind == "str_headers":
        return "tagged", {"X-Tag": "t"}
    if kind == "dict":
        return {"a": [1, 2]}
    if kind == "response":
        response = Response("made", status=202, mimetype="text/plain")
        response.set_cookie("c", "v")
        return response
    if kind == "bytes":
        return b"\x00raw"
    if kind == "stream":

        def chunks() -> Iterator[str]:
            yield "a"
            yield "b"

        return chunks()
    if kind == "abort":
        abort(404)
    if kind == "error_handled":
        raise KeyError("handled")
    if kind == "error_unhandled":
        raise ZeroDivisionError("unhandled")
    return None  # "none": a view returning None is a 500


def build_app(options: dict[str, Any]) -> erlen.Flask:
    app = erlen.Flask("paths")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    kind = options["returns"]

    if options["view_async"]:

        @app.route("/", methods=["GET", "POST"])
        async def index() -> Any:
            return _result(kind)
    else:

        @app.route("/", methods=["GET", "POST"])
        def index() -> Any:
            return _result(kind)

    if options["before"] == "none_result":

        @app.before_request
        def before() -> None:
            return None
    elif options["before"] == "early":

        @app.before_request
        def before_early() -> str:
            return "early"

    if options["after"]:

        @app.after_request
        def after(response: Response) -> Response:
            response.headers["X-After"] = "1"
            return response

    if options["teardown"]:

        @app.teardown_request
        def teardown(error: BaseException | None) -> None:
            pass

    if options["handler"]:

        @app.errorhandler(KeyError)
        def key_error(error: KeyError) -> Any:
            return "handled", 409

        @app.errorhandler(404)
        def not_found(error: Any) -> Any:
            return {"missing": True}, 404

    return app


def wire(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = sorted((name.lower(), value) for name, value in response.headers.items())
    return response.status_code, headers, response.get_data()


def serve(options: dict[str, Any], asgi: bool, general: bool, method: str, path: str) -> Any:
    app = build_app(options)
    app._force_general_dispatch = general
    response = app.test_client(asgi=asgi).open(path, method=method)
    try:
        return wire(response)
    finally:
        response.close()


apps = st.fixed_dictionaries(
    {
        "returns": st.sampled_from(RETURNS),
        "view_async": st.booleans(),
        "before": st.sampled_from([None, "none_result", "early"]),
        "after": st.booleans(),
        "teardown": st.booleans(),
        "handler": st.booleans(),
    }
)
requests = st.sampled_from([("GET", "/"), ("HEAD", "/"), ("OPTIONS", "/"), ("GET", "/nope")])
requests |= st.sampled_from([("DELETE", "/"), ("POST", "/")])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(options=apps, request_line=requests)
def test_fast_and_general_paths_send_the_same_bytes_on_both_protocols(
    options: dict[str, Any], request_line: tuple[str, str]
) -> None:
    method, path = request_line
    results = {
        (asgi, general): serve(options, asgi, general, method, path)
        for asgi in (False, True)
        for general in (False, True)
    }
    expected = results[(False, False)]
    for key, result in results.items():
        assert result == expected, key
