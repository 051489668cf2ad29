"""erlen.http.dates against werkzeug.http.http_date / parse_date."""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st
from werkzeug.http import http_date as werkzeug_http_date, parse_date as werkzeug_parse_date

from erlen.errors import ArgumentTypeError, HeaderValueError
from erlen.http.dates import http_date, parse_http_date

MIN_TS = -62135596800
MAX_TS = 253402300799

_rng = random.Random(20151021)
TIMESTAMPS = [
    0,
    1,
    -1,
    86399,
    86400,
    951782400,  # 2000-02-29
    1445412480,
    MIN_TS,
    MAX_TS,
    2**31 - 1,
    2**31,
    -(2**31),
    *(_rng.randint(MIN_TS, MAX_TS) for _ in range(150)),
]
FLOATS = [
    0.0,
    -0.0,
    0.5,
    -0.5,
    1.9999999,
    1.9999994,
    -1e-7,
    1445412480.75,
    float(MAX_TS),
    float(MIN_TS),
    *(_rng.uniform(-1e10, 1e10) for _ in range(60)),
]
OFFSETS = [timedelta(0), timedelta(hours=5, minutes=30), timedelta(hours=-8), timedelta(hours=23)]
DATETIMES = [
    datetime(2015, 10, 21, 7, 28),
    datetime(1, 1, 1),
    datetime(9999, 12, 31, 23, 59, 59, 999999),
    datetime(1970, 1, 1, tzinfo=timezone.utc),
    datetime(1999, 12, 31, 23, 59, 59, 999999),
    *(
        datetime(2020, 2, 29, 12, 0, 1, tzinfo=timezone(offset)) + timedelta(days=shift)
        for offset in OFFSETS
        for shift in (0, 1, 400)
    ),
    *(datetime.fromtimestamp(_rng.randint(0, 4 * 10**9), timezone.utc) for _ in range(30)),
]
DATES = [date(1, 1, 1), date(2000, 2, 29), date(2015, 10, 21), date(9999, 12, 31)]


@pytest.mark.parametrize("value", [*TIMESTAMPS, *FLOATS, *DATETIMES, *DATES])
def test_http_date_matches_werkzeug(value: object) -> None:
    assert http_date(value) == werkzeug_http_date(value)  # type: ignore[arg-type]


def test_http_date_now_matches_werkzeug() -> None:
    before = http_date()
    expected = werkzeug_http_date()
    after = http_date()
    assert expected in (before, after)


def test_http_date_is_imf_fixdate_shape() -> None:
    assert http_date(1445412480) == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert http_date(datetime(5, 3, 4, 1, 2, 3)) == "Fri, 04 Mar 0005 01:02:03 GMT"


def test_http_date_cache_does_not_leak_between_values() -> None:
    assert http_date(0) != http_date(1)
    assert http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"


@given(st.integers(MIN_TS, MAX_TS))
def test_http_date_int_property(value: int) -> None:
    assert http_date(value) == werkzeug_http_date(value)


@given(st.floats(MIN_TS + 1, MAX_TS - 1))
def test_http_date_float_property(value: float) -> None:
    assert http_date(value) == werkzeug_http_date(value)


@given(st.datetimes(timezones=st.none() | st.timezones()))
def test_http_date_datetime_property(value: datetime) -> None:
    try:
        expected = werkzeug_http_date(value)
    except (OverflowError, ValueError):
        with pytest.raises(HeaderValueError):
            http_date(value)
        return
    assert http_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [True, False, "1445412480", b"0", [0], time.gmtime(0), object()],
)
def test_http_date_rejects_wrong_types(value: object) -> None:
    with pytest.raises(ArgumentTypeError):
        http_date(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [MIN_TS - 1, MAX_TS + 1, 10**20, -(10**20), float("nan"), float("inf"), 1e20],
)
def test_http_date_rejects_out_of_range(value: float) -> None:
    with pytest.raises(HeaderValueError):
        http_date(value)
    with pytest.raises((ValueError, OverflowError)):
        werkzeug_http_date(value)


def test_http_date_rejects_aware_datetime_leaving_range() -> None:
    value = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    with pytest.raises(HeaderValueError):
        http_date(value)


WEEKDAY_LONG = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _three_forms(moment: datetime) -> list[str]:
    short = WEEKDAY_LONG[moment.weekday()][:3]
    month = MONTHS[moment.month - 1]
    clock = f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    return [
        f"{short}, {moment.day:02d} {month} {moment.year:04d} {clock} GMT",
        f"{WEEKDAY_LONG[moment.weekday()]}, {moment.day:02d}-{month}-{moment.year % 100:02d}"
        f" {clock} GMT",
        f"{short} {month} {moment.day:2d} {clock} {moment.year:04d}",
    ]


PARSE_MOMENTS = [
    datetime(1994, 11, 6, 8, 49, 37),
    datetime(1969, 12, 31, 23, 59, 59),
    datetime(2068, 1, 1),
    datetime(2000, 2, 29, 12, 0, 0),
    *(
        datetime(1970, 1, 1) + timedelta(seconds=_rng.randint(-(10**8), 3 * 10**9))
        for _ in range(60)
    ),
]
VALID_DATES = [text for moment in PARSE_MOMENTS for text in _three_forms(moment)] + [
    "sun, 06 nov 1994 08:49:37 gmt",
    "SUNDAY, 06-NOV-94 08:49:37 GMT",
    "  Sun, 06 Nov 1994 08:49:37 GMT  ",
    "Sun,06 Nov 1994 08:49:37 GMT",
    "Sun, 6 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 8:9:7 GMT",
    "Sun, 06 Nov 94 08:49:37 GMT",
    "Sunday, 06-Nov-1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49 GMT",
    "06 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37",
    "Sun, 06 Nov 1994 08:49:37 UTC",
    "Sun, 06 Nov 1994 08:49:37 UT",
    "Sun, 06 Nov 1994 08:49:37 Z",
    "Sun, 06 Nov 1994 08:49:37 +0000",
    "Sun, 06 Nov 1994 08:49:37 -0000",
    "Sun, 06 Nov 1994 08:49:37 +0200",
    "Sun, 06 Nov 1994 08:49:37 -0930",
    "Sun Nov 6 08:49:37 1994",
    "Sun Nov  6 08:49:37 1994 GMT",
    "Nov  6 08:49:37 1994",
]


@pytest.mark.parametrize("text", VALID_DATES)
def test_parse_http_date_matches_werkzeug(text: str) -> None:
    expected = werkzeug_parse_date(text)
    result = parse_http_date(text)
    assert expected is not None
    assert result == expected
    assert result is not None and result.tzinfo is timezone.utc


GARBAGE = [
    "",
    " ",
    "garbage",
    "Sun, 06 Nov 1994",
    "Sun, 31 Feb 1994 08:49:37 GMT",
    "Sun, 00 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 24:00:00 GMT",
    "Sun, 06 Nov 1994 08:60:00 GMT",
    "Sun, 06 Nov 1994 08:49:60 GMT",
    "Sun, 06 Foo 1994 08:49:37 GMT",
    "Sun, 06 Nov 99999 08:49:37 GMT",
    "1994-11-06T08:49:37Z",
]


@pytest.mark.parametrize("text", GARBAGE)
def test_parse_http_date_garbage_is_none_like_werkzeug(text: str) -> None:
    assert parse_http_date(text) is None
    assert werkzeug_parse_date(text) is None


def test_parse_http_date_none() -> None:
    assert parse_http_date(None) is None


# Deliberate differences: erlen reads only the HTTP forms, literally.
@pytest.mark.parametrize(
    ("text", "ours"),
    [
        # email.utils reads the 4-digit year 0001 as 2001.
        ("Mon, 01 Jan 0001 00:00:00 GMT", datetime(1, 1, 1, tzinfo=timezone.utc)),
        # Unknown weekday names and obsolete zone names are not HTTP dates.
        ("Xyz, 06 Nov 1994 08:49:37 GMT", None),
        ("Sun, 06 Nov 1994 08:49:37 EST", None),
        # Trailing words and control characters are not skipped over.
        ("Sun, 06 Nov 1994 08:49:37 GMT trailing", None),
        ("\x00Sun, 06 Nov 1994 08:49:37 GMT", None),
    ],
)
def test_parse_http_date_differences_from_werkzeug(text: str, ours: datetime | None) -> None:
    assert werkzeug_parse_date(text) != ours
    assert parse_http_date(text) == ours


@given(st.datetimes(min_value=datetime(1000, 1, 1)))
def test_parse_http_date_round_trips_http_date(moment: datetime) -> None:
    expected = moment.replace(microsecond=0, tzinfo=timezone.utc)
    assert parse_http_date(http_date(moment)) == expected


@given(st.text(max_size=60))
def test_parse_http_date_never_raises(text: str) -> None:
    result = parse_http_date(text)
    assert result is None or result.tzinfo is timezone.utc


@pytest.mark.parametrize(
    "text",
    ["a" * 100_000, " " * 100_000, "Sun, " + "0" * 100_000, "1:" * 50_000, "Sun," + " \t" * 50_000],
)
def test_parse_http_date_hostile_long_input(text: str) -> None:
    assert parse_http_date(text) is None
