"""The request line of a WSGI environ: the inline usual case equals the general rule."""

from __future__ import annotations

from hypothesis import given, strategies as st

from erlen.wrappers.urls import _path_from_wsgi, _request_line

# PATH_INFO as servers give it: latin-1 code points, with the slashes and
# non-ASCII bytes the fast path must tell apart.
paths = st.text(alphabet=st.sampled_from(["/", "a", "b", "%", "\xe9", "\xc3", "\xa9", " "]))


@given(raw=paths, method=st.sampled_from(["get", "POST", "", None]))
def test_request_line_is_the_general_rule(raw: str, method: str | None) -> None:
    environ = {"PATH_INFO": raw, "REQUEST_METHOD": method}
    expected = (str(method or "GET").upper(), _path_from_wsgi(raw))
    assert _request_line(environ) == expected


def test_usual_path_is_taken_as_it_is() -> None:
    raw = "/users/42"
    assert _request_line({"PATH_INFO": raw})[1] is raw
