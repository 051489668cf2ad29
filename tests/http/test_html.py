"""escape_html writes exactly what markupsafe (Flask's escaper) writes."""

from __future__ import annotations

from hypothesis import given, strategies as st
from markupsafe import escape

from erlen.http.html import escape_html


@given(st.text())
def test_escape_html_matches_markupsafe(text: str) -> None:
    assert escape_html(text) == str(escape(text))


def test_escape_html_leaves_no_markup() -> None:
    escaped = escape_html("<script>alert(\"x\" & 'y')</script>")
    assert escaped == "&lt;script&gt;alert(&#34;x&#34; &amp; &#39;y&#39;)&lt;/script&gt;"
