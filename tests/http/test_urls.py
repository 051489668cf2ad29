"""erlen.http.urls against werkzeug.urls, plus the Location safety rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from werkzeug.sansio.utils import get_host as w_get_host
from werkzeug.urls import iri_to_uri as w_iri_to_uri, uri_to_iri as w_uri_to_iri

from erlen.errors import ArgumentTypeError, LocationValueError
from erlen.http.urls import host_from_parts, iri_to_uri, join_location, uri_to_iri

IRIS = [
    "/", "/new-location", "relative/path", "../up", "?q=1", "#frag", "",
    "http://example.com/x", "HTTP://EXAMPLE.com:80/A", "https://example.com:443/x?y#z",
    "//cdn.example.com/a", "/pä th?q=è r#f g", "http://☃.net/påth?q=èry%DF",
    "http://xn--n3h.net/", "/a%20b%zz%", "/a?b=%zz&c=d+e", "mailto:a@b.c",
    "http://u:p@h:8080/p", "http://ü:ß@h/", "http://[::1]:8080/p", "http://[2001:db8::1]/",
    "/a?", "/a#", "/a?#b", "itms-services://?action=download", "/~user/!$&'()*+,;=:@",
    "/x\x7f", "/ctrl\x01\x1f", "file:///etc/passwd", "data:text/plain,hi there",
    "http://example.com:0/", "/a/./b/../c", "/\u2028", "/emoji😀?😀#😀",
]  # fmt: skip


@pytest.mark.parametrize("iri", IRIS)
def test_iri_to_uri_matches_werkzeug(iri: str) -> None:
    assert iri_to_uri(iri) == w_iri_to_uri(iri)


@pytest.mark.parametrize("iri", IRIS)
def test_uri_to_iri_matches_werkzeug(iri: str) -> None:
    assert uri_to_iri(iri) == w_uri_to_iri(iri)


# Characters that are safe to draw in any part (no CR/LF/NUL/tab, no space or
# backslash which would land raw in a host under Werkzeug).
PART = st.text(
    alphabet=st.characters(blacklist_characters="\r\n\x00\t \\", blacklist_categories=("Cs",)),
    max_size=15,
)
HOST = st.from_regex(r"[a-zA-Z0-9]{1,10}(\.[a-zA-Z0-9]{1,10}){0,2}", fullmatch=True)


@settings(max_examples=400, deadline=None)
@given(path=PART, query=PART, fragment=PART)
def test_relative_iri_property(path: str, query: str, fragment: str) -> None:
    # "/p" first: a leading "//" would make the path a host
    iri = f"/p{path}?{query}#{fragment}"
    assert iri_to_uri(iri) == w_iri_to_uri(iri)


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "ftp"]),
    host=HOST,
    port=st.one_of(st.none(), st.integers(1, 65535)),
    path=PART,
)
def test_absolute_iri_property(scheme: str, host: str, port: int | None, path: str) -> None:
    iri = f"{scheme}://{host}{'' if port is None else f':{port}'}/{path}"
    assert iri_to_uri(iri) == w_iri_to_uri(iri)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_characters="\r\n\x00"), max_size=30))
def test_output_is_always_safe_ascii(text: str) -> None:
    try:
        uri = iri_to_uri(text)
    except LocationValueError:
        return
    assert uri.isascii()
    assert not any(ord(char) < 0x21 or char in "\x7f\\" for char in uri)


@pytest.mark.parametrize(
    "iri",
    ["/a\r\nSet-Cookie: x=1", "/a\nb", "/a\rb", "/a\x00b", "http://h\r\n/", "\n/x", "//x?\x00"],
)
def test_http_response_splitting_in_location_raises(iri: str) -> None:
    with pytest.raises(LocationValueError):
        iri_to_uri(iri)


@pytest.mark.parametrize("iri", ["http://a..b/", "http://h:99999/", "http://h:abc/"])
def test_invalid_host_or_port_raises_location_error(iri: str) -> None:
    with pytest.raises(LocationValueError):
        iri_to_uri(iri)
    with pytest.raises(ValueError):  # Werkzeug raises a plain ValueError/UnicodeError
        w_iri_to_uri(iri)


@pytest.mark.parametrize(
    ("iri", "expected", "werkzeug"),
    [
        ("/a\tb", "/a%09b", "/ab"),
        ("//evil.com\\foo", "//evil.com%5Cfoo", "//evil.com\\foo"),
        ("http://ex ample.com/", "http://ex%20ample.com/", "http://ex ample.com/"),
    ],
)
def test_open_redirect_unsafe_host_chars_are_encoded(
    iri: str, expected: str, werkzeug: str
) -> None:
    assert iri_to_uri(iri) == expected
    assert w_iri_to_uri(iri) == werkzeug


def test_non_str_location_is_a_type_error() -> None:
    with pytest.raises(ArgumentTypeError):
        iri_to_uri(b"/x")  # type: ignore[arg-type]


HOSTS = [
    ("http", "example.com", None), ("http", "example.com:80", None), ("https", "e.com:443", None),
    ("https", "e.com:80", None), ("ws", "e.com:80", None), ("wss", "e.com:443", None),
    ("http", "bad host", None), ("http", "e.com:0", None), ("http", "e.com:70000", None),
    ("http", "[::1]:8080", None), ("http", "", None), ("http", None, ("srv", 8080)),
    ("http", None, ("srv", 80)), ("http", None, ("::1", 8000)), ("http", None, ("/sock", None)),
    ("http", None, None), ("http", "UPPER.Example.COM", None), ("http", "é.com", None),
]  # fmt: skip


@pytest.mark.parametrize(("scheme", "header", "server"), HOSTS)
def test_host_from_parts_matches_werkzeug(
    scheme: str, header: str | None, server: tuple[str, int | None] | None
) -> None:
    assert host_from_parts(scheme, header, server) == w_get_host(scheme, header, server)


@pytest.mark.parametrize(
    ("base", "location", "expected"),
    [
        ("http://h/a/b", "/x", "http://h/x"),
        ("http://h/a/b", "c", "http://h/a/c"),
        ("http://h/a/b", "?q", "http://h/a/b?q"),
        ("http://h/a/b", "//o/p", "http://o/p"),
        ("http://h/a/b", "https://o/", "https://o/"),
    ],
)
def test_join_location(base: str, location: str, expected: str) -> None:
    assert join_location(base, location) == expected
