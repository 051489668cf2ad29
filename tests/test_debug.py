"""The debug traceback page renderer: content, escaping, chains, and no console."""

from __future__ import annotations

import html
import re
import textwrap
from pathlib import Path

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
