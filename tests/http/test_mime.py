"""erlen.http.mime against Werkzeug's get_content_type and options-header parsing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from werkzeug.http import (
    dump_options_header as w_dump,
    parse_options_header as w_parse,
    quote_header_value as w_quote,
)
from werkzeug.utils import get_content_type as w_get_content_type

from erlen.http.mime import (
    dump_options_header,
    get_content_type,
    parse_options_header,
    quote_header_value,
)

MIMETYPES = [
    "text/html", "text/plain", "text/csv", "text/", "TEXT/html", "application/json",
    "application/xml", "application/xml-dtd", "application/xml-external-parsed-entity",
    "application/javascript", "application/ecmascript", "application/sql",
    "application/octet-stream", "image/svg+xml", "application/atom+xml", "x+xml",
    "application/problem+json", "image/png", "", "text/html; charset=latin-1",
]  # fmt: skip


@pytest.mark.parametrize("mimetype", MIMETYPES)
@pytest.mark.parametrize("charset", ["utf-8", "latin-1"])
def test_get_content_type_matches_werkzeug(mimetype: str, charset: str) -> None:
    assert get_content_type(mimetype, charset) == w_get_content_type(mimetype, charset)


def test_get_content_type_default_charset_is_utf8() -> None:
    assert get_content_type("text/html") == "text/html; charset=utf-8"


HEADERS = [
    None, "", "text/html", "text/html; charset=utf-8", "text/html;charset=UTF-8",
    "  text/plain ;  Charset = x", 'a/b; q="quoted \\" value"; r=1', 'a/b; q="unterminated',
    "a/b; key", "a/b; =v; k=v", "a/b; k*=UTF-8''%C3%A9", "a/b; k*=iso-8859-1''%E9",
    "a/b; k*=bogus''%E9", "a/b; k*0=ab; k*1=cd", "a/b; k*0*=UTF-8''%C3; k*1*=%A9",
    "a/b; k=1; k*0=x", "a/b; k*0=x; k=1", 'a/b; f="a%22b"', "a/b; x=1;; y=2", ";x=1",
    "multipart/form-data; boundary=----x", 'a/b; f="back\\\\slash"', "a/b;\tt=1",
]  # fmt: skip


@pytest.mark.parametrize("value", HEADERS)
def test_parse_options_header_matches_werkzeug(value: str | None) -> None:
    assert parse_options_header(value) == w_parse(value)


def test_parse_options_header_returns_fresh_dict() -> None:
    first = parse_options_header("text/html; charset=utf-8")[1]
    first["charset"] = "changed"
    assert parse_options_header("text/html; charset=utf-8")[1] == {"charset": "utf-8"}


PARAM_TEXT = st.text(alphabet=st.sampled_from(list("ab=;\"\\ '*%0129tT-\t,é")), max_size=40)


@settings(max_examples=400, deadline=None)
@given(head=st.sampled_from(["text/html", "a/b", "", " x "]), rest=PARAM_TEXT)
def test_parse_options_header_property(head: str, rest: str) -> None:
    value = f"{head};{rest}"
    assert parse_options_header(value) == w_parse(value)


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=20))
def test_quote_header_value_property(value: str) -> None:
    assert quote_header_value(value) == w_quote(value)
    assert quote_header_value(value, allow_token=False) == w_quote(value, allow_token=False)


@settings(max_examples=200, deadline=None)
@given(
    options=st.dictionaries(
        st.sampled_from(["charset", "q", "filename*", "x"]),
        st.one_of(st.none(), st.text(max_size=10), st.integers()),
    )
)
def test_dump_options_header_property(options: dict[str, object]) -> None:
    assert dump_options_header("text/plain", options) == w_dump("text/plain", options)
    assert dump_options_header(None, options) == w_dump(None, options)


@settings(max_examples=200, deadline=None)
@given(
    options=st.dictionaries(
        st.from_regex(r"[a-z]{1,5}", fullmatch=True),
        # "%22" decodes to a quote on parsing (multipart rule), so % is left out
        st.text(alphabet=st.characters(blacklist_characters="%"), min_size=1, max_size=10),
    )
)
def test_dump_then_parse_round_trips(options: dict[str, str]) -> None:
    header = dump_options_header("a/b", options)
    assert parse_options_header(header) == ("a/b", options)
