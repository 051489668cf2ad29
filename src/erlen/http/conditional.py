"""Validators and byte ranges: ETags, If-* headers and the Range header (RFC 9110).

Two layers live here. The Werkzeug-compatible functions (``quote_etag``,
``unquote_etag``, ``parse_etags``, ``generate_etag``, ``is_resource_modified``,
``parse_if_range_header``, ``parse_range_header``) return what Werkzeug 3.1's
do, so code written against ``werkzeug.http`` keeps working. The RFC 9110
layer (:func:`evaluate_preconditions`, :func:`if_range_allows`,
:func:`merge_ranges`) is what :meth:`Response.make_conditional` uses: it
evaluates the preconditions in the order section 13.2.2 gives and serves
several ranges, which Werkzeug refuses.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from hashlib import sha1
from typing import Any, Protocol, overload

from erlen.errors import ArgumentTypeError, HeaderValueError, describe
from erlen.http.dates import http_date, parse_http_date

__all__ = [
    "MAX_RANGE_PARTS",
    "ETags",
    "HeaderLookup",
    "IfRange",
    "Range",
    "evaluate_preconditions",
    "generate_etag",
    "if_range_allows",
    "is_resource_modified",
    "merge_ranges",
    "parse_etags",
    "parse_if_range_header",
    "parse_range_header",
    "quote_etag",
    "unquote_etag",
]

#: The most parts a multi-range answer may have after merging; beyond it the
#: whole entity is served with 200 (RFC 9110 14.2 lets a server ignore Range).
MAX_RANGE_PARTS = 16

_UTC = timezone.utc


# -- ETags --------------------------------------------------------------------------


def quote_etag(etag: str, weak: bool = False) -> str:
    """``"etag"`` (or ``W/"etag"``); raises HeaderValueError for ``"``, CR, LF or NUL."""
    if not isinstance(etag, str):
        raise ArgumentTypeError(f"etag must be a str, got {describe(etag)}")
    if '"' in etag or "\r" in etag or "\n" in etag or "\0" in etag:
        raise HeaderValueError(f"etag must not contain '\"', CR, LF or NUL: got {describe(etag)}")
    return f'W/"{etag}"' if weak else f'"{etag}"'


@overload
def unquote_etag(etag: str) -> tuple[str, bool]: ...
@overload
def unquote_etag(etag: None) -> tuple[None, None]: ...
def unquote_etag(etag: str | None) -> tuple[str, bool] | tuple[None, None]:
    """Split a header ETag into ``(opaque tag, is_weak)``; an unquoted tag is kept as is."""
    if not etag:
        return None, None
    weak = etag[:2] in ("W/", "w/")
    body = etag[2:] if weak else etag
    if len(body) >= 2 and body[0] == '"' and body[-1] == '"':
        return body[1:-1], weak
    # Werkzeug also accepts '"' alone as the empty tag.
    if body == '"':
        return "", weak
    return body, weak


def generate_etag(data: bytes) -> str:
    """The ETag Werkzeug derives from a body: its SHA-1 as hex."""
    return sha1(data).hexdigest()


class ETags(Collection[str]):
    """A parsed If-Match / If-None-Match list: strong and weak tags, or ``*``."""

    __slots__ = ("_strong", "_weak", "star_tag")

    def __init__(
        self,
        strong_etags: Iterable[str] | None = None,
        weak_etags: Iterable[str] | None = None,
        star_tag: bool = False,
    ) -> None:
        self._strong: frozenset[str] = (
            frozenset(strong_etags) if strong_etags and not star_tag else frozenset()
        )
        self._weak: frozenset[str] = frozenset(weak_etags or ())
        self.star_tag = star_tag

    def as_set(self, include_weak: bool = False) -> set[str]:
        """The strong tags (and the weak ones too with ``include_weak``) as a set."""
        result = set(self._strong)
        if include_weak:
            result.update(self._weak)
        return result

    def is_weak(self, etag: str) -> bool:
        """True if ``etag`` was listed with ``W/``."""
        return etag in self._weak

    def is_strong(self, etag: str) -> bool:
        """True if ``etag`` was listed without ``W/``."""
        return etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """Weak comparison: ``etag`` is listed, strong or weak (or the list is ``*``)."""
        return etag in self._weak or self.contains(etag)

    def contains(self, etag: str) -> bool:
        """True for ``*`` or a strong listed tag (``in`` does the same)."""
        return self.star_tag or etag in self._strong

    def contains_raw(self, etag: str) -> bool:
        """Check a quoted tag: a weak one against all tags, a strong one against strong tags."""
        value, weak = unquote_etag(etag)
        if value is None:
            return self.star_tag
        return self.contains_weak(value) if weak else self.contains(value)

    def to_header(self) -> str:
        """The list as header text."""
        if self.star_tag:
            return "*"
        return ", ".join(
            [f'"{tag}"' for tag in self._strong] + [f'W/"{tag}"' for tag in self._weak]
        )

    def __call__(
        self, etag: str | None = None, data: bytes | None = None, include_weak: bool = False
    ) -> bool:
        if etag is None:
            if data is None:
                raise ArgumentTypeError("'data' is required when 'etag' is not given.")
            etag = generate_etag(data)
        if include_weak and etag in self._weak:
            return True
        return etag in self._strong

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __len__(self) -> int:
        return len(self._strong)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strong)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


# One list member: optional weak marker, then a quoted tag or (leniently) a run
# of non-syntax characters, then a comma or the end. No nested quantifiers, so
# matching stays linear.
_ETAG_MEMBER = re.compile(r'[ \t]*([Ww]/)?(?:"([^"]*)"|([^" \t,]+))[ \t]*(?:,|\Z)', re.ASCII)


def parse_etags(value: str | None) -> ETags:
    """Parse an If-Match / If-None-Match value; malformed members are skipped."""
    if not value:
        return ETags()
    if value == "*":
        return ETags(star_tag=True)
    strong: list[str] = []
    weak: list[str] = []
    position = 0
    match_at = _ETAG_MEMBER.match
    while True:
        match = match_at(value, position)
        if match is None:
            comma = value.find(",", position)
            if comma < 0:
                break
            position = comma + 1
            continue
        marker, quoted, bare = match.groups()
        position = match.end()
        (weak if marker else strong).append(quoted if quoted is not None else bare)
        if position >= len(value):
            break
    return ETags(strong, weak)


# -- dates --------------------------------------------------------------------------


def _as_utc_seconds(value: datetime) -> datetime:
    # HTTP dates have whole seconds; naive datetimes are taken as UTC.
    value = value.replace(microsecond=0)
    if value.tzinfo is None:
        return value.replace(tzinfo=_UTC)
    return value.astimezone(_UTC)


def _last_modified_of(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        return parse_http_date(value)
    if value is None:
        return None
    return _as_utc_seconds(value)


# -- Werkzeug-compatible is_resource_modified ---------------------------------------


class IfRange:
    """A parsed If-Range: an entity tag or a date (or neither when absent)."""

    __slots__ = ("date", "etag", "is_weak")

    def __init__(self, etag: str | None = None, date: datetime | None = None) -> None:
        #: The unquoted entity tag, or None.
        self.etag = etag
        #: The date, or None.
        self.date = date
        #: True if the tag was sent as weak (it can then never match, RFC 9110 13.1.5).
        self.is_weak = False

    def to_header(self) -> str:
        """The header text (weakness is dropped, as Werkzeug does)."""
        if self.date is not None:
            return http_date(self.date)
        if self.etag is not None:
            return quote_etag(self.etag)
        return ""

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_if_range_header(value: str | None) -> IfRange:
    """Parse If-Range: a date if it reads as one, else an entity tag."""
    if not value:
        return IfRange()
    date = parse_http_date(value)
    if date is not None:
        return IfRange(date=date)
    tag, weak = unquote_etag(value)
    result = IfRange(tag)
    result.is_weak = weak
    return result


def is_resource_modified(
    environ: Mapping[str, Any],
    etag: str | None = None,
    data: bytes | None = None,
    last_modified: datetime | str | None = None,
    ignore_if_range: bool = True,
) -> bool:
    """Werkzeug's check: False when the request's validators say the client's copy is current.

    Kept identical to ``werkzeug.http.is_resource_modified`` for compatibility,
    including its quirks (``If-Match: *`` counts as unmodified). Responses use
    :func:`evaluate_preconditions`, which follows RFC 9110 instead.
    """
    if etag is None and data is not None:
        etag = f'"{generate_etag(data)}"'
    elif data is not None:
        raise ArgumentTypeError("both data and etag given")

    modified_at = _last_modified_of(last_modified)
    if_range: IfRange | None = None
    if not ignore_if_range and environ.get("HTTP_RANGE") is not None:
        if_range = parse_if_range_header(environ.get("HTTP_IF_RANGE"))

    if if_range is not None and if_range.date is not None:
        since: datetime | None = if_range.date
    else:
        since = parse_http_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    unmodified = bool(since and modified_at and modified_at <= since)

    if etag:
        tag, _ = unquote_etag(etag)
        if if_range is not None and if_range.etag is not None:
            unmodified = if_range.etag == tag
        else:
            none_match = parse_etags(environ.get("HTTP_IF_NONE_MATCH"))
            if none_match:
                unmodified = none_match.contains_weak(tag)
            match = parse_etags(environ.get("HTTP_IF_MATCH"))
            if match:
                unmodified = not match.is_strong(tag)
    return not unmodified


# -- RFC 9110 preconditions ---------------------------------------------------------


class HeaderLookup(Protocol):
    """Request headers to read: ``get(name)`` is the value or None, any case of ``name``."""

    def get(self, key: str, /) -> Any:
        """The header's value, or None when absent."""
        ...


def evaluate_preconditions(
    headers: HeaderLookup, etag: str | None, last_modified: datetime | None
) -> int:
    """Evaluate If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since.

    ``headers`` are the request's (``request.headers``, or any case-insensitive
    lookup such as :class:`~erlen.http.headers.Headers`). ``etag`` is the
    response's ETag header value (quoted, maybe ``W/``) and ``last_modified``
    its Last-Modified date. Returns 412, 304 or 0 (go on),
    following the order of RFC 9110 section 13.2.2 for a GET or HEAD whose
    response would be 2xx: If-Match uses the strong comparison and ``*``
    matches any current representation; If-None-Match uses the weak one and
    makes If-Modified-Since ignored.
    """
    tag: str | None = None
    weak = False
    if etag:
        tag, weak = unquote_etag(etag)

    if_match = headers.get("If-Match")
    if if_match:
        listed = parse_etags(if_match)
        if not (listed.star_tag or (tag is not None and not weak and listed.is_strong(tag))):
            return 412
    elif last_modified is not None:
        unmodified_since = parse_http_date(headers.get("If-Unmodified-Since"))
        if unmodified_since is not None and last_modified > unmodified_since:
            return 412

    if_none_match = headers.get("If-None-Match")
    if if_none_match:
        listed = parse_etags(if_none_match)
        if listed.star_tag or (tag is not None and listed.contains_weak(tag)):
            return 304
    elif last_modified is not None:
        modified_since = parse_http_date(headers.get("If-Modified-Since"))
        if modified_since is not None and last_modified <= modified_since:
            return 304
    return 0


def if_range_allows(value: str, etag: str | None, last_modified: datetime | None) -> bool:
    """True if an If-Range ``value`` lets the Range apply (RFC 9110 13.1.5).

    An entity tag must match the response's ETag with the strong comparison
    (neither may be weak); a date must equal Last-Modified exactly.
    """
    condition = parse_if_range_header(value)
    if condition.date is not None:
        return last_modified is not None and condition.date == last_modified
    if condition.etag is None or condition.is_weak or not etag:
        return False
    tag, weak = unquote_etag(etag)
    return not weak and tag == condition.etag


# -- Range --------------------------------------------------------------------------

_PLAIN_INT = re.compile(r"-?[0-9]+", re.ASCII)


def _plain_int(text: str) -> int:
    text = text.strip(" \t")
    if _PLAIN_INT.fullmatch(text) is None:
        raise ValueError(text)
    return int(text)


class Range:
    """A parsed Range header: ``units`` and ``(start, stop)`` pairs, stop exclusive.

    A suffix range ``-N`` is ``(-N, None)``; an open range ``N-`` is ``(N, None)``.
    """

    __slots__ = ("ranges", "units")

    def __init__(self, units: str, ranges: Sequence[tuple[int, int | None]]) -> None:
        for start, stop in ranges:
            if start is None or (stop is not None and (start < 0 or start >= stop)):
                raise HeaderValueError(f"Range {(start, stop)!r} is not a valid range")
        self.units = units
        self.ranges = ranges

    def range_for_length(self, length: int | None) -> tuple[int, int] | None:
        """As Werkzeug: the one ``(start, stop)`` for a ``length`` body, or None."""
        if self.units != "bytes" or length is None or len(self.ranges) != 1:
            return None
        start, stop = self.ranges[0]
        if stop is None:
            stop = length
            if start < 0:
                start += length
        if 0 <= start < stop and start < length:
            return start, min(stop, length)
        return None

    def ranges_for_length(self, length: int) -> list[tuple[int, int]]:
        """Every satisfiable range for a ``length`` body, sorted and merged (maybe empty)."""
        return merge_ranges(self.ranges, length)

    def make_content_range(self, length: int | None) -> Any:
        """A :class:`~erlen.http.header_types.ContentRange` for the single range, or None."""
        from erlen.http.header_types import ContentRange

        span = self.range_for_length(length)
        if span is None:
            return None
        return ContentRange(self.units, span[0], span[1], length)

    def to_header(self) -> str:
        """The header text."""
        specs = []
        for start, stop in self.ranges:
            if stop is None:
                specs.append(f"{start}-" if start >= 0 else str(start))
            else:
                specs.append(f"{start}-{stop - 1}")
        return f"{self.units}={','.join(specs)}"

    def to_content_range_header(self, length: int | None) -> str | None:
        """``bytes start-last/length`` for the single range, or None."""
        span = self.range_for_length(length)
        if span is None:
            return None
        return f"{self.units} {span[0]}-{span[1] - 1}/{length}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_range_header(value: str | None, make_inclusive: bool = True) -> Range | None:
    """Parse ``units=spec,spec``; None if absent or any spec is malformed.

    Unlike Werkzeug, specs may come in any order and may overlap (they are
    merged when resolved); Werkzeug returns None for those.
    ``make_inclusive`` is accepted for compatibility and ignored, as there.
    """
    if not value or "=" not in value:
        return None
    units, _, specs = value.partition("=")
    ranges: list[tuple[int, int | None]] = []
    try:
        for spec in specs.split(","):
            spec = spec.strip(" \t")
            if spec[:1] == "-":
                suffix = _plain_int(spec)
                if suffix == 0:
                    return None
                ranges.append((suffix, None))
                continue
            first, dash, last = spec.partition("-")
            if not dash:
                return None
            start = _plain_int(first)
            last = last.strip(" \t")
            if not last:
                ranges.append((start, None))
                continue
            stop = _plain_int(last) + 1
            if start >= stop:
                return None
            ranges.append((start, stop))
    except ValueError:
        return None
    return Range(units.strip(" \t").lower(), ranges)


def merge_ranges(ranges: Iterable[tuple[int, int | None]], length: int) -> list[tuple[int, int]]:
    """Resolve ranges against a ``length`` body, drop unsatisfiable ones, merge the rest.

    Overlapping and adjacent ranges are joined. After one sort the merge is a
    single linear pass (a merge that rescans its output for every range is
    quadratic: CVE-2025-62727 in Starlette).
    """
    spans: list[tuple[int, int]] = []
    for start, stop in ranges:
        if stop is None:
            if start < 0:
                start = max(length + start, 0)
            stop = length
        elif stop > length:
            stop = length
        if start < stop:
            spans.append((start, stop))
    if len(spans) < 2:
        return spans
    spans.sort()
    merged = [spans[0]]
    last_start, last_stop = spans[0]
    for start, stop in spans[1:]:
        if start <= last_stop:
            if stop > last_stop:
                last_stop = stop
                merged[-1] = (last_start, last_stop)
        else:
            merged.append((start, stop))
            last_start, last_stop = start, stop
    return merged
