"""HTTP dates: format IMF-fixdate strings and parse the three HTTP date forms.

:func:`http_date` writes ``Wed, 21 Oct 2015 07:28:00 GMT`` (RFC 9110, section
5.6.7) from a datetime, a date, a Unix timestamp or the current time, with the
same output as ``werkzeug.http.http_date``. Names come from tables, never from
``strftime``, so the process locale cannot change the result.

:func:`parse_http_date` reads the forms RFC 9110 tells recipients to accept:

* IMF-fixdate: ``Sun, 06 Nov 1994 08:49:37 GMT``
* RFC 850: ``Sunday, 06-Nov-94 08:49:37 GMT`` (two-digit years 69-99 are
  19xx, 00-68 are 20xx, the same window as the stdlib ``email`` parser)
* asctime: ``Sun Nov  6 08:49:37 1994``

It is tolerant where real clients are sloppy (case, extra spaces, a missing
weekday or seconds, ``UTC``/``UT``/``Z`` or a numeric ``+hhmm`` zone) and
returns ``None`` for anything else, always as an aware UTC datetime.
"""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta, timezone

from erlen.errors import ArgumentTypeError, HeaderValueError, describe

__all__ = ["http_date", "parse_http_date"]

_UTC = timezone.utc
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MIN_TIMESTAMP = -62135596800  # 0001-01-01T00:00:00Z
_MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z

# PERF: one-entry cache keyed by the whole second; Expires synced from
# Max-Age and Date headers ask for the same second many times in a row.
_last_formatted: tuple[int, str] = (_MIN_TIMESTAMP - 1, "")


def _format_fields(year: int, month: int, day: int, weekday: int, seconds_of_day: int) -> str:
    hours, rest = divmod(seconds_of_day, 3600)
    minutes, seconds = divmod(rest, 60)
    return (
        f"{_WEEKDAYS[weekday]}, {day:02d} {_MONTHS[month - 1]} {year:04d} "
        f"{hours:02d}:{minutes:02d}:{seconds:02d} GMT"
    )


def _format_timestamp(seconds: int) -> str:
    global _last_formatted
    cached = _last_formatted
    if cached[0] == seconds:
        return cached[1]
    if not _MIN_TIMESTAMP <= seconds <= _MAX_TIMESTAMP:
        raise HeaderValueError(f"HTTP date timestamp {describe(seconds)} is outside years 1-9999")
    days, seconds_of_day = divmod(seconds, 86400)
    day = date.fromordinal(_EPOCH_ORDINAL + days)
    text = _format_fields(day.year, day.month, day.day, day.weekday(), seconds_of_day)
    _last_formatted = (seconds, text)
    return text


def _format_datetime(value: datetime) -> str:
    if value.tzinfo is not None and value.tzinfo is not _UTC:
        try:
            value = value.astimezone(_UTC)
        except (OverflowError, ValueError):
            raise HeaderValueError(
                f"HTTP date {describe(value)} is outside years 1-9999 in UTC"
            ) from None
    return _format_fields(
        value.year,
        value.month,
        value.day,
        value.weekday(),
        value.hour * 3600 + value.minute * 60 + value.second,
    )


def http_date(value: datetime | date | int | float | None = None) -> str:
    """Format ``value`` as an IMF-fixdate; naive datetimes are UTC, numbers are Unix time.

    Raises :class:`~erlen.errors.ArgumentTypeError` for other types and
    :class:`~erlen.errors.HeaderValueError` for times outside years 1-9999.
    """
    if value is None:
        return _format_timestamp(int(time.time()))
    kind = type(value)
    if kind is int:
        return _format_timestamp(value)  # type: ignore[arg-type]
    if isinstance(value, datetime):
        return _format_datetime(value)
    if isinstance(value, date):
        return _format_fields(value.year, value.month, value.day, value.weekday(), 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentTypeError(
            f"HTTP date must be a datetime, date, int or float timestamp, got {describe(value)}"
        )
    if isinstance(value, int):
        return _format_timestamp(int(value))
    # Floats round to the microsecond the way datetime.fromtimestamp does
    # (1.9999999 is second 2), so let datetime do that rounding.
    try:
        moment = datetime.fromtimestamp(value, _UTC)
    except (OverflowError, ValueError, OSError):
        raise HeaderValueError(
            f"HTTP date timestamp {describe(value)} is not a finite time in years 1-9999"
        ) from None
    return _format_datetime(moment)


_MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(_MONTHS, 1)}
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_NAMES = frozenset(name[:length] for name in _FULL_DAY_NAMES for length in (3, len(name)))
_ZONE = r"(?:[ \t]+(gmt|utc|ut|z|[+-][0-9]{4}))?"
_TIME = r"([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2}))?"
# Every quantifier is bounded or separated by a fixed literal, so matching is
# linear in the input length.
_RFC_FORMS = re.compile(
    r"[ \t]*(?:([a-z]+)[ \t]*,[ \t]*)?"
    r"([0-9]{1,2})(?:[ \t]+|-)([a-z]{3})(?:[ \t]+|-)([0-9]{4}|[0-9]{2})"
    r"[ \t]+" + _TIME + _ZONE + r"[ \t]*",
    re.ASCII | re.IGNORECASE,
)
_ASCTIME_FORM = re.compile(
    r"[ \t]*(?:([a-z]+)[ \t]+)?"
    r"([a-z]{3})[ \t]+([0-9]{1,2})[ \t]+" + _TIME + r"[ \t]+([0-9]{4})" + _ZONE + r"[ \t]*",
    re.ASCII | re.IGNORECASE,
)


def parse_http_date(text: str | None) -> datetime | None:
    """Parse an HTTP date (IMF-fixdate, RFC 850 or asctime) to an aware UTC datetime.

    Returns ``None`` when ``text`` is ``None`` or not a date in one of those forms.
    """
    if not text or len(text) > 200:
        return None
    match = _RFC_FORMS.fullmatch(text)
    if match is not None:
        weekday, day, month, year, hour, minute, second, zone = match.groups()
    else:
        match = _ASCTIME_FORM.fullmatch(text)
        if match is None:
            return None
        weekday, month, day, hour, minute, second, year, zone = match.groups()
    if weekday is not None and weekday.lower() not in _DAY_NAMES:
        return None
    month_number = _MONTH_NUMBERS.get(month.lower())
    if month_number is None:
        return None
    year_number = int(year)
    if len(year) == 2:
        year_number += 1900 if year_number > 68 else 2000
    try:
        moment = datetime(
            year_number,
            month_number,
            int(day),
            int(hour),
            int(minute),
            int(second) if second else 0,
            tzinfo=_UTC,
        )
    except ValueError:
        return None
    if zone is not None and zone[0] in "+-":
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        try:
            moment = moment - offset if zone[0] == "+" else moment + offset
        except OverflowError:
            return None
    return moment
