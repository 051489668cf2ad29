"""ETag, If-Range and Range primitives: differential against werkzeug.http, RFC 9110 tables."""

from __future__ import annotations

from datetime import datetime, timezone
from itertools import pairwise

import pytest
import werkzeug.datastructures as wds
import werkzeug.http as wh
from hypothesis import given, settings, strategies as st
from werkzeug.test import EnvironBuilder

from erlen.errors import ArgumentTypeError, HeaderValueError
from erlen.http import conditional as ec
from erlen.http.headers import Headers
from erlen.wrappers import Request

UTC = timezone.utc


def environ(**headers: str) -> dict[str, object]:
    return EnvironBuilder(
        headers={k.replace("_", "-"): v for k, v in headers.items()}
    ).get_environ()


# -- ETags ------------------------------------------------------------------------

ETAG_VALUES = ["abc", "", "a b", "W/x", "ü", "x,y", "'", "a/b"]


@pytest.mark.parametrize("value", ETAG_VALUES)
@pytest.mark.parametrize("weak", [False, True])
def test_quote_etag_matches_werkzeug(value: str, weak: bool) -> None:
    assert ec.quote_etag(value, weak) == wh.quote_etag(value, weak)


@pytest.mark.parametrize("bad", ['a"b', '"', "a\rb", "a\nb", "a\x00b", "\r\nSet-Cookie: x=1"])
def test_quote_etag_refuses_quote_and_line_breaks(bad: str) -> None:
    with pytest.raises(HeaderValueError, match="etag"):
        ec.quote_etag(bad)


@pytest.mark.parametrize("bad", [b"abc", 12, None])
def test_quote_etag_refuses_non_str(bad: object) -> None:
    with pytest.raises(ArgumentTypeError, match="etag"):
        ec.quote_etag(bad)  # type: ignore[arg-type]


UNQUOTE_CASES = [
    '"abc"',
    'W/"abc"',
    'w/"abc"',
    "abc",
    "W/abc",
    '""',
    'W/""',
    '"',
    'W/"',
    '"abc',
    'abc"',
    "",
    None,
    ' "abc" ',
    'W/"a"b"',
    "W/",
    "w",
]


@pytest.mark.parametrize("value", UNQUOTE_CASES)
def test_unquote_etag_matches_werkzeug(value: str | None) -> None:
    assert ec.unquote_etag(value) == wh.unquote_etag(value)


@pytest.mark.parametrize("data", [b"", b"hello", bytes(range(256)) * 3])
def test_generate_etag_is_werkzeugs_sha1(data: bytes) -> None:
    assert ec.generate_etag(data) == wh.generate_etag(data)


ETAG_LISTS = [
    None,
    "",
    "*",
    '"a"',
    '"a", "b"',
    'W/"a", "b"',
    'w/"a",W/"b"',
    "a, b",
    '"a",,"b"',
    '"a" junk, "b"',
    ' "a" , W/"b" ',
    '"a,b", "c"',
    '"unterminated',
    ", , ,",
    '"a"x"b"',
    '*, "a"',
    '"*"',
    'W/"a" "b", "c"',
]


def _fix_empty(tags: set[str | None]) -> set[str]:
    # Werkzeug turns the empty tag '""' into None; erlen keeps it as "".
    return {"" if tag is None else tag for tag in tags}


def _same_etags(ours: ec.ETags, theirs: wds.ETags) -> None:
    assert ours.star_tag == theirs.star_tag
    assert ours.as_set(include_weak=True) == _fix_empty(theirs.as_set(include_weak=True))
    assert ours.as_set() == _fix_empty(theirs.as_set())
    assert bool(ours) == bool(theirs)
    assert len(ours) == len(theirs)
    for tag in ours.as_set(include_weak=True) - {""} | {"zz"}:
        assert ours.is_weak(tag) == theirs.is_weak(tag)
        assert ours.contains(tag) == theirs.contains(tag)
        assert ours.contains_weak(tag) == theirs.contains_weak(tag)
        assert ours.contains_raw(f'W/"{tag}"') == theirs.contains_raw(f'W/"{tag}"')
        assert ours.contains_raw(f'"{tag}"') == theirs.contains_raw(f'"{tag}"')
        assert (tag in ours) == (tag in theirs)
        assert ours(tag, include_weak=True) == theirs(tag, include_weak=True)


@pytest.mark.parametrize("value", ETAG_LISTS)
def test_parse_etags_matches_werkzeug(value: str | None) -> None:
    _same_etags(ec.parse_etags(value), wh.parse_etags(value))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ab"W/w, \t*x', max_size=30))
def test_parse_etags_property_matches_werkzeug(value: str) -> None:
    _same_etags(ec.parse_etags(value), wh.parse_etags(value))


def test_parse_etags_keeps_the_empty_tag_werkzeug_makes_none() -> None:
    assert wh.parse_etags('""').as_set() == {None}
    assert ec.parse_etags('""').as_set() == {""}
    assert ec.parse_etags('W/"", "a"').is_weak("")


def test_etags_to_header_round_trips() -> None:
    parsed = ec.parse_etags('"a", W/"b"')
    assert ec.parse_etags(parsed.to_header()).as_set(True) == {"a", "b"}
    assert ec.parse_etags("*").to_header() == "*"
    with pytest.raises(ArgumentTypeError):
        parsed()


# -- If-Range ---------------------------------------------------------------------

IF_RANGE_CASES = [
    None,
    "",
    '"abc"',
    'W/"abc"',
    "abc",
    "Wed, 21 Oct 2015 07:28:00 GMT",
    "Wednesday, 21-Oct-15 07:28:00 GMT",
    "Wed Oct 21 07:28:00 2015",
    "not a date",
]


@pytest.mark.parametrize("value", IF_RANGE_CASES)
def test_parse_if_range_matches_werkzeug(value: str | None) -> None:
    ours, theirs = ec.parse_if_range_header(value), wh.parse_if_range_header(value)
    assert (ours.etag, ours.date) == (theirs.etag, theirs.date)
    assert ours.to_header() == theirs.to_header()


def test_if_range_keeps_weakness_werkzeug_drops() -> None:
    assert ec.parse_if_range_header('W/"abc"').is_weak
    assert not ec.parse_if_range_header('"abc"').is_weak


LAST_MODIFIED = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "etag", "last_modified", "allowed"),
    [
        ('"abc"', '"abc"', None, True),
        ('"abc"', '"abd"', None, False),
        ('W/"abc"', '"abc"', None, False),  # weak validators never match (RFC 9110 13.1.5)
        ('"abc"', 'W/"abc"', None, False),
        ('"abc"', None, LAST_MODIFIED, False),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None, LAST_MODIFIED, True),
        ("Wed, 21 Oct 2015 07:28:01 GMT", None, LAST_MODIFIED, False),  # exact match only
        ("Wed, 21 Oct 2015 07:27:59 GMT", None, LAST_MODIFIED, False),
        ("Wed, 21 Oct 2015 07:28:00 GMT", '"abc"', None, False),
        ("garbage", '"abc"', LAST_MODIFIED, False),
    ],
)
def test_if_range_allows_rfc9110(
    value: str, etag: str | None, last_modified: datetime | None, allowed: bool
) -> None:
    assert ec.if_range_allows(value, etag, last_modified) is allowed


# -- Range ------------------------------------------------------------------------

RANGE_HEADERS = [
    None,
    "",
    "bytes",
    "bytes=",
    "bytes=0-0",
    "bytes=0-499",
    "bytes=500-",
    "bytes=-500",
    "bytes=-0",
    "bytes=5-4",
    "bytes=0-1,3-4",
    "bytes= 0 - 1 , 3-4",
    "BYTES=0-1",
    " bytes =1-2",
    "items=0-5",
    "bytes=a-b",
    "bytes=1",
    "bytes=+1-2",
    "bytes=0-1,-5",
    "bytes=0-0x1",
    "bytes=0-99999999999999999999999",
    "bytes=1_0-20",
    "bytes=٣-٤",
    "bytes=--1",
    "bytes=0--1",
    "bytes=,",
    "bytes=0-1,,2-3",
]


def _ranges_of(value: object) -> object:
    return None if value is None else (value.units, list(value.ranges))  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", RANGE_HEADERS)
def test_parse_range_header_matches_werkzeug(value: str | None) -> None:
    assert _ranges_of(ec.parse_range_header(value)) == _ranges_of(wh.parse_range_header(value))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bytes=5-9,0-1", [(5, 10), (0, 2)]),  # descending: Werkzeug gives None
        ("bytes=0-5,3-9", [(0, 6), (3, 10)]),  # overlapping
        ("bytes=-5,0-1", [(-5, None), (0, 2)]),  # a range after a suffix
        ("bytes=10-,0-1", [(10, None), (0, 2)]),  # a range after an open one
    ],
)
def test_parse_range_header_accepts_any_order_werkzeug_does_not(
    value: str, expected: list[tuple[int, int | None]]
) -> None:
    assert wh.parse_range_header(value) is None
    parsed = ec.parse_range_header(value)
    assert parsed is not None and list(parsed.ranges) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="bytes=0123456789-, \t", max_size=25))
def test_parse_range_header_property(value: str) -> None:
    theirs = wh.parse_range_header(value)
    ours = ec.parse_range_header(value)
    if theirs is not None:
        assert _ranges_of(ours) == _ranges_of(theirs)
        for length in (0, 1, 5, 100):
            assert ours is not None
            assert ours.range_for_length(length) == theirs.range_for_length(length)
            assert ours.to_content_range_header(length) == theirs.to_content_range_header(length)
        assert ours is not None and ours.to_header() == theirs.to_header()


@pytest.mark.parametrize("value", ["bytes=0-4", "bytes=-3", "bytes=7-", "bytes=20-30"])
@pytest.mark.parametrize("length", [None, 0, 5, 10])
def test_range_methods_match_werkzeug(value: str, length: int | None) -> None:
    ours, theirs = ec.parse_range_header(value), wh.parse_range_header(value)
    assert ours is not None and theirs is not None
    assert ours.range_for_length(length) == theirs.range_for_length(length)
    assert ours.to_content_range_header(length) == theirs.to_content_range_header(length)
    ours_cr, theirs_cr = ours.make_content_range(length), theirs.make_content_range(length)
    assert (ours_cr and ours_cr.to_header()) == (theirs_cr and theirs_cr.to_header())
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("bad", [[(5, 5)], [(-1, 3)], [(4, 2)]])
def test_range_refuses_invalid_pairs(bad: list[tuple[int, int]]) -> None:
    with pytest.raises(HeaderValueError, match="Range"):
        ec.Range("bytes", bad)


@pytest.mark.parametrize(
    ("ranges", "length", "expected"),
    [
        ([(0, 2), (2, 4)], 10, [(0, 4)]),  # adjacent
        ([(5, 8), (0, 6)], 10, [(0, 8)]),  # overlapping, unsorted
        ([(0, 1), (3, 4)], 10, [(0, 1), (3, 4)]),
        ([(-3, None), (0, 2)], 10, [(0, 2), (7, 10)]),
        ([(-30, None)], 10, [(0, 10)]),  # suffix longer than the body
        ([(20, None), (30, 40)], 10, []),  # nothing satisfiable
        ([(8, 20)], 10, [(8, 10)]),
        ([(0, 5), (1, 2), (2, 3)], 10, [(0, 5)]),  # contained
    ],
)
def test_merge_ranges_table(
    ranges: list[tuple[int, int | None]], length: int, expected: list[tuple[int, int]]
) -> None:
    assert ec.merge_ranges(ranges, length) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.integers(0, 60), st.integers(1, 60)).map(lambda p: (p[0], p[0] + p[1])),
            st.tuples(st.integers(0, 60), st.none()),
            st.tuples(st.integers(-60, -1), st.none()),
        ),
        max_size=12,
    ),
    st.integers(0, 50),
)
def test_merge_ranges_covers_exactly_the_requested_bytes(
    ranges: list[tuple[int, int | None]], length: int
) -> None:
    merged = ec.merge_ranges(ranges, length)
    wanted: set[int] = set()
    for start, stop in ranges:
        if stop is None:
            start, stop = (max(length + start, 0), length) if start < 0 else (start, length)
        wanted.update(range(start, min(stop, length)))
    covered = [position for start, stop in merged for position in range(start, stop)]
    assert covered == sorted(wanted)  # sorted, no byte twice
    for (_, stop), (start, _) in pairwise(merged):
        assert stop < start  # neither overlapping nor adjacent


def test_merge_ranges_many_ranges_is_one_pass() -> None:
    # Twenty thousand overlapping ranges in reverse order collapse to one.
    ranges = [(index, index + 2) for index in range(20_000, 0, -1)]
    assert ec.merge_ranges(ranges, 10**6) == [(1, 20_002)]


# -- is_resource_modified (Werkzeug-compatible) ------------------------------------

DATE = "Wed, 21 Oct 2015 07:28:00 GMT"
EARLIER = "Wed, 21 Oct 2015 07:27:00 GMT"
LATER = "Wed, 21 Oct 2015 07:29:00 GMT"
REQUEST_HEADERS = [
    {},
    {"If-None-Match": '"abc"'},
    {"If-None-Match": 'W/"abc"'},
    {"If-None-Match": '"x"'},
    {"If-None-Match": "*"},
    {"If-Match": '"abc"'},
    {"If-Match": '"x"'},
    {"If-Match": "*"},
    {"If-Modified-Since": DATE},
    {"If-Modified-Since": EARLIER},
    {"If-Modified-Since": LATER},
    {"If-None-Match": '"x"', "If-Modified-Since": LATER},
    {"Range": "bytes=0-1", "If-Range": '"abc"'},
    {"Range": "bytes=0-1", "If-Range": DATE},
    {"Range": "bytes=0-1", "If-Range": EARLIER},
    {"If-Range": '"abc"'},
    {"If-Match": '"abc"', "If-None-Match": '"abc"'},
]
RESPONSE_VALIDATORS = [
    (None, None),
    ('"abc"', None),
    ('W/"abc"', None),
    (None, DATE),
    ('"abc"', DATE),
    (None, datetime(2015, 10, 21, 7, 28, 0, 500)),
    ("abc", None),
]


@pytest.mark.parametrize("headers", REQUEST_HEADERS)
@pytest.mark.parametrize(("etag", "last_modified"), RESPONSE_VALIDATORS)
@pytest.mark.parametrize("ignore_if_range", [True, False])
def test_is_resource_modified_matches_werkzeug(
    headers: dict[str, str], etag: str | None, last_modified: object, ignore_if_range: bool
) -> None:
    env = EnvironBuilder(headers=headers).get_environ()
    kwargs = {"etag": etag, "last_modified": last_modified, "ignore_if_range": ignore_if_range}
    assert ec.is_resource_modified(env, **kwargs) == wh.is_resource_modified(env, **kwargs)  # type: ignore[arg-type]


def test_is_resource_modified_with_data() -> None:
    env = EnvironBuilder(headers={"If-None-Match": f'"{wh.generate_etag(b"x")}"'}).get_environ()
    assert ec.is_resource_modified(env, data=b"x") is wh.is_resource_modified(env, data=b"x")
    assert ec.is_resource_modified(env, data=b"y") is wh.is_resource_modified(env, data=b"y")
    with pytest.raises(TypeError):
        ec.is_resource_modified(env, etag='"a"', data=b"x")


# -- RFC 9110 precondition order --------------------------------------------------

PRECONDITION_CASES = [
    # (request headers, response etag, response last-modified, outcome)
    ({}, '"abc"', DATE, 0),
    ({"If-Match": '"abc"'}, '"abc"', None, 0),
    ({"If-Match": '"x", "abc"'}, '"abc"', None, 0),
    ({"If-Match": '"x"'}, '"abc"', None, 412),
    ({"If-Match": 'W/"abc"'}, '"abc"', None, 412),  # strong comparison
    ({"If-Match": '"abc"'}, 'W/"abc"', None, 412),
    ({"If-Match": '"abc"'}, None, None, 412),  # no current ETag: cannot match
    ({"If-Match": "*"}, None, None, 0),  # Werkzeug: 412
    ({"If-Match": "*"}, '"abc"', None, 0),
    ({"If-Unmodified-Since": EARLIER}, None, DATE, 412),
    ({"If-Unmodified-Since": DATE}, None, DATE, 0),
    ({"If-Unmodified-Since": EARLIER, "If-Match": '"abc"'}, '"abc"', DATE, 0),  # ignored
    ({"If-Unmodified-Since": "bogus"}, None, DATE, 0),
    ({"If-None-Match": '"abc"'}, '"abc"', None, 304),
    ({"If-None-Match": 'W/"abc"'}, '"abc"', None, 304),  # weak comparison
    ({"If-None-Match": '"abc"'}, 'W/"abc"', None, 304),
    ({"If-None-Match": '"x"'}, '"abc"', None, 0),
    ({"If-None-Match": "*"}, None, None, 304),
    ({"If-None-Match": '"x"', "If-Modified-Since": LATER}, '"abc"', DATE, 0),  # IMS ignored
    ({"If-None-Match": '"x"', "If-Modified-Since": LATER}, None, DATE, 0),
    ({"If-Modified-Since": LATER}, None, DATE, 304),
    ({"If-Modified-Since": DATE}, None, DATE, 304),
    ({"If-Modified-Since": EARLIER}, None, DATE, 0),
    ({"If-Modified-Since": LATER}, None, None, 0),
    ({"If-Modified-Since": "bogus"}, None, DATE, 0),
    ({"If-Match": '"abc"', "If-None-Match": '"abc"'}, '"abc"', None, 304),  # Werkzeug: 200
    ({"If-Match": '"x"', "If-None-Match": '"abc"'}, '"abc"', None, 412),
]


@pytest.mark.parametrize(("headers", "etag", "last_modified", "outcome"), PRECONDITION_CASES)
def test_evaluate_preconditions_rfc9110_order(
    headers: dict[str, str], etag: str | None, last_modified: str | None, outcome: int
) -> None:
    modified = None if last_modified is None else wh.parse_date(last_modified)
    assert ec.evaluate_preconditions(Headers(headers), etag, modified) == outcome
    # The request's own headers (an environ view) answer the same.
    request = Request(EnvironBuilder(headers=headers).get_environ())
    assert ec.evaluate_preconditions(request.headers, etag, modified) == outcome
