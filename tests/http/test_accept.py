"""Accept headers parse and negotiate as Werkzeug's: same pairs, order, qualities and best_match."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings, strategies as st
from werkzeug import datastructures as wz
from werkzeug.http import parse_accept_header as wz_parse

from erlen.errors import MimetypeValueError
from erlen.http.accept import (
    Accept,
    CharsetAccept,
    LanguageAccept,
    MIMEAccept,
    parse_accept_header,
)

PAIRS = [
    (Accept, wz.Accept),
    (MIMEAccept, wz.MIMEAccept),
    (LanguageAccept, wz.LanguageAccept),
    (CharsetAccept, wz.CharsetAccept),
]

MIME_VALUES = [
    "text/html",
    "text/*",
    "*/*",
    "application/json",
    "application/xml",
    "application/xhtml+xml",
    "image/png",
    "text/plain;format=flowed",
    "*/html",
    "bad",
]
LANGUAGE_VALUES = ["en", "en-US", "en_us", "en-GB", "de", "de-CH", "fr", "*", "zh-Hant-TW"]
CHARSET_VALUES = ["utf-8", "UTF8", "iso-8859-1", "latin1", "ascii", "*", "unknown-cs"]
ENCODING_VALUES = ["gzip", "deflate", "br", "identity", "*", "zstd"]
QUALITIES = [
    "",
    ";q=1",
    ";q=0",
    ";q=0.5",
    ";q=0.25",
    ";q=1.0",
    ";q=2",
    ";q=-1",
    ";q=abc",
    "; q=0.8",
    ";q=.5",
    ';q="0.3"',
    ";level=1",
    ";level=1;q=0.4",
]


def header(values: list[str]) -> st.SearchStrategy[str]:
    entry = st.tuples(st.sampled_from(values), st.sampled_from(QUALITIES)).map("".join)
    separator = st.sampled_from([",", ", ", " ,", ",,"])
    return st.lists(st.tuples(entry, separator), max_size=6).map(
        lambda items: "".join(e + s for e, s in items).rstrip(", ")
    )


ANY_TEXT = st.text(alphabet='abcxyz*/-_;=q.0123456789,"\\ \t', max_size=40)
ALL_VALUES = MIME_VALUES + LANGUAGE_VALUES + CHARSET_VALUES + ENCODING_VALUES


def same(ours: Accept, theirs: Any) -> None:
    assert list(ours) == list(theirs)
    assert [type(q) for _, q in ours] == [type(q) for _, q in theirs]
    assert ours.provided == theirs.provided
    assert ours.best == theirs.best
    assert list(ours.values()) == list(theirs.values())
    assert ours.to_header() == theirs.to_header()
    assert repr(ours).split("(", 1)[1] == repr(theirs).split("(", 1)[1]


def outcome(function: Any, *args: Any) -> Any:
    try:
        return ("ok", function(*args))
    except ValueError:
        return ("ValueError",)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        header(MIME_VALUES),
        header(LANGUAGE_VALUES),
        header(CHARSET_VALUES),
        header(ENCODING_VALUES),
        ANY_TEXT,
    ),
    st.lists(st.sampled_from(ALL_VALUES), max_size=5),
)
@pytest.mark.parametrize(("ours_cls", "theirs_cls"), PAIRS)
def test_parse_and_negotiate_like_werkzeug(
    ours_cls: type[Accept], theirs_cls: Any, value: str, offers: list[str]
) -> None:
    ours = parse_accept_header(value, ours_cls)
    theirs = wz_parse(value, theirs_cls)
    same(ours, theirs)
    assert type(ours) is ours_cls
    assert outcome(ours.best_match, offers) == outcome(theirs.best_match, offers)
    assert outcome(ours.best_match, offers, "dflt") == outcome(theirs.best_match, offers, "dflt")
    for offer in offers:
        assert outcome(ours.quality, offer) == outcome(theirs.quality, offer)
        assert outcome(ours.__contains__, offer) == outcome(theirs.__contains__, offer)
        assert outcome(ours.find, offer) == outcome(theirs.find, offer)
    if ours_cls is MIMEAccept:
        assert (ours.accept_html, ours.accept_xhtml, ours.accept_json) == (
            theirs.accept_html,
            theirs.accept_xhtml,
            theirs.accept_json,
        )


def test_absent_header_is_not_provided() -> None:
    accept = parse_accept_header(None, MIMEAccept)
    assert accept.provided is False
    assert accept.best is None
    assert accept.best_match(["text/html"]) is None
    assert accept.best_match(["text/html"], "text/plain") == "text/plain"


def test_string_index_is_quality() -> None:
    accept = parse_accept_header("text/html;q=0.5, */*;q=0.1", MIMEAccept)
    assert accept["text/html"] == 0.5
    assert accept["image/png"] == 0.1
    assert accept[0] == ("text/html", 0.5)


def test_is_immutable() -> None:
    accept = parse_accept_header("gzip")
    with pytest.raises(TypeError):
        accept.append(("br", 1))
    with pytest.raises(TypeError):
        accept[0] = ("br", 1)


def test_invalid_offered_mimetype_is_a_clear_error() -> None:
    accept = parse_accept_header("text/html", MIMEAccept)
    with pytest.raises(MimetypeValueError, match="'html'"):
        accept.best_match(["html"])
    with pytest.raises(MimetypeValueError, match="'\\*/html'"):
        "*/html" in accept  # noqa: B015
