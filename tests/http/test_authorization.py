"""Authorization headers parse as Werkzeug's ``Authorization.from_header``."""

from __future__ import annotations

import base64

from hypothesis import given, settings, strategies as st
from werkzeug.datastructures import Authorization as WzAuthorization

from erlen.http.header_types import Authorization


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


HEADERS = st.one_of(
    st.builds(basic, st.text(max_size=10), st.text(max_size=10)),
    st.builds(lambda t: "Basic " + t, st.text(alphabet="abcAB=+/:!", max_size=12)),
    st.builds(lambda t: "Bearer " + t, st.text(alphabet="abcXYZ019-._~+/=", max_size=16)),
    st.builds(
        lambda s, p: f"{s} {p}",
        st.sampled_from(["Digest", "digest", "Custom", "Bearer", "BASIC"]),
        st.text(alphabet='abc=," \t\\xyz', max_size=30),
    ),
    st.text(max_size=30),
)


@settings(max_examples=400, deadline=None)
@given(HEADERS)
def test_from_header_like_werkzeug(value: str) -> None:
    ours = Authorization.from_header(value)
    theirs = WzAuthorization.from_header(value)
    if theirs is None:
        assert ours is None
        return
    assert ours is not None
    assert (ours.type, ours.parameters, ours.token) == (
        theirs.type,
        theirs.parameters,
        theirs.token,
    )
    assert (ours.username, ours.password, ours.realm) == (
        theirs.username,
        theirs.password,
        theirs.realm,
    )
    assert ours.to_header() == theirs.to_header()
    assert repr(ours) == repr(theirs)


def test_basic_and_bearer() -> None:
    auth = Authorization.from_header(basic("ann", "se:cret"))
    assert auth is not None
    assert (auth.type, auth.username, auth.password, auth.token) == (
        "basic",
        "ann",
        "se:cret",
        None,
    )
    assert auth["username"] == "ann" and "password" in auth and auth.get("nope", "d") == "d"
    bearer = Authorization.from_header("Bearer abc.def")
    assert bearer is not None
    assert (bearer.type, bearer.token, bearer.parameters) == ("bearer", "abc.def", {})
    assert bearer == Authorization("bearer", None, "abc.def")


def test_malformed_basic_is_none() -> None:
    assert Authorization.from_header("Basic !!!") is None
    assert Authorization.from_header("") is None
