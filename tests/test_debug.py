"""The debug traceback page renderer: content, escaping, chains, and no console."""

from __future__ import annotations

import html
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from erlen.debug import render_traceback_page


def failing_view() -> None:
    settings: dict[str, str] = {}
    settings["missing"] += "x"  # the failing line


def raise_from(tmp_path: Path, source: str, function: str) -> BaseException:
    """Run ``function`` from a module written to ``tmp_path``; return what it raised."""
    path = tmp_path / "user_module.py"
    path.write_text(textwrap.dedent(source))
    namespace: dict[str, object] = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    try:
        namespace[function]()  # type: ignore[operator]
    except BaseException as error:
        return error
    raise AssertionError("the function did not raise")


def test_page_shows_type_message_frames_and_request() -> None:
    try:
        failing_view()
    except KeyError as error:
        page = render_traceback_page(error, "GET", "/items/7")
    assert page.startswith("<!doctype html>")
    assert "<h1>KeyError</h1>" in page
    assert html.escape("'missing'") in page
    assert "GET /items/7" in page
    assert html.escape(repr(__file__)) in page
    assert "<b>failing_view</b>" in page
    # The failing line is marked, with its line number, and its neighbours shown.
    pattern = r'<span class="line current"><span class="lineno">(\d+)</span>(.*?)</span>'
    # One marked line per frame; the innermost frame is the view's.
    *_, (number, text) = re.findall(pattern, page)
    assert "the failing line" in text
    assert int(number) == failing_view.__code__.co_firstlineno + 2
    assert "settings: dict[str, str] = {}" in page


def test_everything_is_escaped(tmp_path: Path) -> None:
    error = raise_from(
        tmp_path,
        """
        def view():
            marker = "<b>in the source</b>"
            raise ValueError("<script>alert('message')</script>")
        """,
        "view",
    )
    page = render_traceback_page(error, "<GET>", "/<script>alert('path')</script>?q=\"x\"")
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;message&#x27;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&#x27;path&#x27;)&lt;/script&gt;?q=&quot;x&quot;" in page
    assert "&lt;b&gt;in the source&lt;/b&gt;" in page
    assert "&lt;GET&gt;" in page


def test_chained_exceptions_are_all_shown(tmp_path: Path) -> None:
    error = raise_from(
        tmp_path,
        """
        def load():
            return int("nope")

        def view():
            try:
                load()
            except ValueError as error:
                raise RuntimeError("could not load") from error
        """,
        "view",
    )
    page = render_traceback_page(error, "POST", "/load")
    assert (
        page.index("<h2>ValueError") < page.index("direct cause") < page.index("<h2>RuntimeError")
    )
    assert "<b>load</b>" in page and "<b>view</b>" in page


def test_implicit_context_is_shown(tmp_path: Path) -> None:
    error = raise_from(
        tmp_path,
        """
        def view():
            try:
                {}["k"]
            except KeyError:
                1 / 0
        """,
        "view",
    )
    page = render_traceback_page(error, "GET", "/")
    assert "During handling of the exception above" in page
    assert "KeyError" in page and "ZeroDivisionError" in page


def test_page_is_read_only() -> None:
    try:
        failing_view()
    except KeyError as error:
        page = render_traceback_page(error, "GET", "/")
    # No script, no form, nothing that could send code back to the server.
    for tag in ("<script", "<form", "<input", "<textarea", "<button"):
        assert tag not in page.lower()


def test_exception_without_traceback_or_source() -> None:
    page = render_traceback_page(LookupError("never raised"), "GET", "/")
    assert "<h1>LookupError</h1>" in page and "never raised" in page


@pytest.mark.parametrize("error", [SystemExit(3), KeyboardInterrupt()])
def test_base_exceptions_render(error: BaseException) -> None:
    assert type(error).__name__ in render_traceback_page(error, "GET", "/")


# -- the page as the app's answer, on both protocols ---------------------------------


def _failing_app() -> Any:
    import erlen

    app = erlen.Flask("debugged")

    @app.after_request
    def mark(response: Any) -> Any:
        response.headers["X-After"] = "1"
        return response

    @app.get("/boom")
    def boom() -> str:
        secret_local = "the failing line"  # noqa: F841 -- shown as source context
        raise ZeroDivisionError("division went wrong <here>")

    app.logger.disabled = True
    return app


def test_debug_mode_under_erlen_run_answers_with_the_traceback_page(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `erlen run --debug` sets the variable for its server's workers.
    monkeypatch.setenv("ERLEN_TRACEBACK_PAGE", "1")
    app = _failing_app()
    app.debug = True
    response = make_client(app).get("/boom?x=1")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "ZeroDivisionError" in body
    assert "division went wrong &lt;here&gt;" in body  # escaped
    assert "raise ZeroDivisionError" in body  # the failing line of the user's view
    assert "/boom?x=1" in body and "GET" in body
    # As where Flask propagates the error: no after_request for it.
    assert "X-After" not in response.headers


def test_without_debug_nothing_of_the_traceback_reaches_the_client(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERLEN_TRACEBACK_PAGE", "1")
    app = _failing_app()
    response = make_client(app).get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    for leaked in ("ZeroDivisionError", "division went wrong", "raise", "test_debug.py"):
        assert leaked not in body
    assert response.headers["X-After"] == "1"


def test_testing_mode_still_propagates_in_debug(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERLEN_TRACEBACK_PAGE", "1")
    app = _failing_app()
    app.debug = True
    app.testing = True
    with pytest.raises(ZeroDivisionError):
        make_client(app).get("/boom")


def test_debug_app_outside_erlen_run_propagates_as_flasks(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Flask's test client raises a debug app's error; so does erlen's.
    monkeypatch.delenv("ERLEN_TRACEBACK_PAGE", raising=False)
    app = _failing_app()
    app.debug = True
    with pytest.raises(ZeroDivisionError):
        make_client(app).get("/boom")
