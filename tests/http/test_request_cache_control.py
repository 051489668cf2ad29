"""A request's Cache-Control parses as Werkzeug's RequestCacheControl and is read-only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from werkzeug.datastructures import RequestCacheControl as WzRequestCacheControl
from werkzeug.http import parse_cache_control_header as wz_parse

from erlen.http.header_types import RequestCacheControl, parse_cache_control_header

ATTRIBUTES = (
    "no_cache",
    "no_store",
    "no_transform",
    "only_if_cached",
    "max_age",
    "min_fresh",
    "stale_if_error",
    "max_stale",
)
DIRECTIVES = st.sampled_from(
    [
        "no-cache",
        "no-store",
        "no-transform",
        "only-if-cached",
        "max-age",
        "min-fresh",
        "stale-if-error",
        "max-stale",
        "private",
        "x-ext",
    ]
)
VALUES = st.sampled_from(["", "=0", "=60", '="60"', "=abc", "=-5", "= 7", "=1.5"])
HEADERS = st.one_of(
    st.lists(st.tuples(DIRECTIVES, VALUES).map("".join), max_size=5).map(", ".join),
    st.text(alphabet='nocahex-=0123," ', max_size=30),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(HEADERS)
def test_parse_like_werkzeug(value: str | None) -> None:
    ours = parse_cache_control_header(value, None, RequestCacheControl)
    theirs = wz_parse(value, None, WzRequestCacheControl)
    assert dict(ours) == dict(theirs)
    assert ours.provided == theirs.provided
    for name in ATTRIBUTES:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.to_header() == theirs.to_header()


def test_is_read_only() -> None:
    control = parse_cache_control_header("max-age=5", cls=RequestCacheControl)
    with pytest.raises(TypeError):
        control["max-age"] = "6"
    with pytest.raises(TypeError):
        control.max_age = 6  # type: ignore[misc]
    assert control.max_age == 5
