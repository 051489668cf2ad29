"""Query-string decoding and encoding, against Werkzeug/stdlib as the oracle."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
import werkzeug.urls  # noqa: F401 -- registers Werkzeug's codec error handler
from hypothesis import given, strategies as st
from werkzeug.datastructures import MultiDict as WMultiDict
from werkzeug.urls import _urlencode

from erlen.http.datastructures import MultiDict
from erlen.http.query import parse_query, url_decode, url_encode


def werkzeug_args(query: str) -> list[tuple[str, str]]:
    """What ``request.args`` holds in Werkzeug 3.1 for this query string."""
    return parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote")


QUERY_ROWS = [
    "",
    "a=1",
    "a=1&a=2&b=3",
    "a=&b&=c&&&d==e",
    "plus=a+b&space=a%20b&lit=%2B",
    "semi=1;2&x=y",
    "u=caf%C3%A9&snow=%E2%98%83",
    "bad=%FF&trunc=%E2%98&mixed=%C3%A9%FF%41",
    "lower=%c3%a9&nothex=%ZZ&end=%",
    "amp=%26&eq=%3D&hash=%23",
    "k%20ey=v&k+ey=w",
    "=",
    "&",
    "unicode=caf\u00e9",
]


@pytest.mark.parametrize("query", QUERY_ROWS)
def test_parse_query_matches_werkzeug_args(query: str) -> None:
    assert parse_query(query) == werkzeug_args(query)
    assert parse_query(query.encode()) == werkzeug_args(query)


def test_raw_non_utf8_bytes_stay_percent_encoded() -> None:
    # Werkzeug fails on this (strict decode); erlen keeps the byte readable.
    assert parse_query(b"a=\xff&b=\xc3\xa9") == [("a", "%FF"), ("b", "\u00e9")]


def test_url_decode_builds_a_multidict() -> None:
    decoded = url_decode("a=1&a=2")
    assert isinstance(decoded, MultiDict)
    assert decoded.getlist("a") == ["1", "2"]


ENCODE_ROWS = [
    {"a": "1", "b": "two words"},
    {"list": ["1", "2"], "none": None, "int": 3},
    [("a", "x/y?z"), ("b", "!$'()*,/:;?@"), ("c", "&=+#%")],
    [("caf\u00e9", "\u2603"), ("empty", "")],
    {"bytes": b"\xffraw"},
]


@pytest.mark.parametrize("mapping", ENCODE_ROWS, ids=range(len(ENCODE_ROWS)))
def test_url_encode_matches_werkzeug(mapping: object) -> None:
    assert url_encode(mapping) == _urlencode(mapping)  # type: ignore[arg-type]


def test_url_encode_multidict_and_sort() -> None:
    pairs = [("b", "2"), ("a", "1"), ("b", "3")]
    assert url_encode(MultiDict(pairs)) == _urlencode(WMultiDict(pairs))
    assert url_encode(pairs, sort=True) == "a=1&b=2&b=3"
    assert url_encode(pairs, sort=True, key=lambda p: p[1]) == "a=1&b=2&b=3"


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@given(st.lists(st.tuples(text, text), max_size=8))
def test_url_encode_then_parse_round_trips(pairs: list[tuple[str, str]]) -> None:
    assert parse_query(url_encode(pairs)) == pairs


@given(st.text(alphabet="ab=&+%;2F0c\u00e9 ", max_size=30))
def test_parse_query_agrees_with_werkzeug_on_any_text(query: str) -> None:
    assert parse_query(query) == werkzeug_args(query)
