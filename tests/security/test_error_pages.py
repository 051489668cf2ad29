"""XSS in error pages: reflected text is escaped, the type is HTML with a charset,
and nothing from the failing code (exception text, missing key names) is shown."""

from __future__ import annotations

from typing import Any

import pytest

import erlen
from tests.security.wire import assert_clean_wire, serve_both

PAYLOAD = "<script>alert('x')</script>&\""


def _app() -> erlen.Flask:
    app = erlen.Flask("errors")

    @app.route("/abort/<int:code>")
    def do_abort(code: int) -> str:
        erlen.abort(code, description=PAYLOAD)

    @app.route("/key")
    def key() -> str:
        return erlen.request.args["<script>alert(1)</script>"]

    @app.route("/crash")
    def crash() -> str:
        raise RuntimeError(PAYLOAD + " secret=hunter2")

    @app.route("/post-only", methods=["POST"])
    def post_only() -> str:
        return "p"

    @app.route("/json", methods=["POST"])
    def json() -> Any:
        return erlen.request.get_json()

    return app


APP = _app()


def _check_page(body: bytes, headers: list[tuple[str, str]]) -> None:
    assert b"<script>" not in body
    assert dict((k.lower(), v) for k, v in headers)["content-type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("code", [400, 401, 403, 404, 405, 409, 410, 413, 418, 422, 429, 500])
def test_xss_in_error_page_abort_description_is_escaped(code: int, caplog: Any) -> None:
    for result in serve_both(APP, f"/abort/{code}").values():
        assert result.status_code == code
        _check_page(result.body, result.headers)
        assert b"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#34;" in result.body
        assert_clean_wire(result)


@pytest.mark.parametrize(
    "path", ["/<script>alert(1)</script>", "/%3Cscript%3Ealert(1)%3C/script%3E", "/a\"'<>&"]
)
def test_xss_in_error_page_404_does_not_reflect_the_path(path: str) -> None:
    for result in serve_both(APP, path).values():
        assert result.status_code == 404
        _check_page(result.body, result.headers)
        assert b"alert" not in result.body


def test_xss_in_error_page_405_lists_methods_only() -> None:
    for result in serve_both(APP, "/post-only", headers={"X-Evil": "<script>"}).values():
        assert result.status_code == 405
        _check_page(result.body, result.headers)
        assert result.header("Allow") == "OPTIONS, POST"


def test_xss_in_error_page_missing_key_is_not_shown() -> None:
    for result in serve_both(APP, "/key").values():
        assert result.status_code == 400
        _check_page(result.body, result.headers)
        assert b"alert" not in result.body


def test_xss_in_error_page_500_hides_the_exception(caplog: Any) -> None:
    for result in serve_both(APP, "/crash").values():
        assert result.status_code == 500
        _check_page(result.body, result.headers)
        assert b"hunter2" not in result.body and b"alert" not in result.body


def test_xss_in_error_page_bad_json_hides_the_parser_message() -> None:
    body = b'{"a": "<script>alert(1)</script>'
    for result in serve_both(
        APP, "/json", "POST", data=body, content_type="application/json"
    ).values():
        assert result.status_code == 400
        _check_page(result.body, result.headers)
        assert b"alert" not in result.body


def test_xss_in_error_page_every_default_exception_escapes_its_description() -> None:
    from erlen.exceptions import default_exceptions

    for code, exception_class in default_exceptions.items():
        error: Any = exception_class(description=PAYLOAD)
        response = error.get_response()
        assert response.status_code == code
        _check_page(response.get_data(), list(response.headers.items()))


def test_xss_in_error_page_is_not_sniffable_as_script() -> None:
    """Error pages and jsonify declare their type; nothing is served untyped."""
    result = serve_both(APP, "/nope")["wsgi"]
    assert (
        result.header(
            "Content-Type",
        )
        == "text/html; charset=utf-8"
    )
