"""Typed header attributes of the Response (``cache_control``, ``vary``, ``expires``, ...).

Every attribute comes from one row of :data:`HEADER_PROPERTIES`: the attribute
name, the header it reads and writes, a parse function (header text or None ->
value) and a serialize function (value -> header text, a list of texts, or
None to remove the header). Structured values (Cache-Control, header sets,
Content-Range, WWW-Authenticate, CSP) are live: editing the object the getter
returned rewrites the header at once, and emptying it removes the header.

The values and header text match Werkzeug 3.1's Response, except that
assigning ``None`` always removes the header (Werkzeug writes ``'None'`` or,
for dates, the current time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from erlen.errors import HeaderValueError, describe
from erlen.http.dates import http_date, parse_http_date
from erlen.http.header_types import (
    COEP,
    COOP,
    ContentRange,
    ContentSecurityPolicy,
    HeaderSet,
    ResponseCacheControl,
    WWWAuthenticate,
    dump_age,
    dump_csp_header,
    dump_header,
    parse_age,
    parse_cache_control_header,
    parse_content_range_header,
    parse_csp_header,
    parse_set_header,
)

G = TypeVar("G")
S = TypeVar("S")

if TYPE_CHECKING:
    from typing import TypeAlias

    from erlen.http.headers import Headers

    _SetInput: TypeAlias = "str | Mapping[str, Any] | Iterable[str] | None"
    _DateInput: TypeAlias = "datetime | date | int | float | None"

    class _Typed(Generic[G, S]):
        """An attribute that reads as ``G`` and accepts ``S`` (for type checkers only)."""

        def __get__(self, instance: object, owner: type | None = None) -> G:
            raise NotImplementedError

        def __set__(self, instance: object, value: S) -> None:
            raise NotImplementedError

        def __delete__(self, instance: object) -> None:
            raise NotImplementedError


__all__ = ["HEADER_PROPERTIES", "HeaderProperty", "ResponseHeaderProperties"]


HeaderText = str | list[str] | None


# -- parse functions: header text (None when absent) -> value ---------------------


def _parse_or(load: Callable[[str], Any], default: Any = None) -> Callable[[str | None], Any]:
    """Parse with ``load``; ``default`` when the header is absent or ``load`` fails."""

    def parse(text: str | None) -> Any:
        if text is None:
            return default
        try:
            return load(text)
        except (ValueError, TypeError):
            return default

    return parse


def _parse_retry_after(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        seconds = int(text)
    except ValueError:
        return parse_http_date(text)
    try:
        return datetime.now(timezone.utc) + timedelta(seconds=seconds)
    except OverflowError:
        return None


def _parse_content_range(text: str | None) -> ContentRange:
    # An unset object when absent or invalid, so that it can be filled in.
    return parse_content_range_header(text) or ContentRange(None, None, None)


def _parse_www_authenticate(text: str | None) -> WWWAuthenticate:
    return WWWAuthenticate.from_header(text) or WWWAuthenticate("basic")


def _parse_present(text: str | None) -> bool:
    return text is not None


# -- serialize functions: value -> header text (None removes the header) ------------


def _dump_text(value: object) -> Any:
    # Headers turns the value into text and refuses CR, LF and NUL.
    return value


def _dump_date(value: datetime | date | int | float | None) -> str | None:
    return None if value is None else http_date(value)


def _dump_retry_after(value: datetime | timedelta | int | str | None) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return http_date(value)
    if isinstance(value, timedelta):
        return str(int(value.total_seconds()))
    return value


def _dump_set(value: str | Mapping[str, Any] | Iterable[Any] | None) -> str | None:
    if not value:
        return None
    if isinstance(value, str):
        return value
    return dump_header(value)


def _dump_list(value: str | Mapping[str, Any] | Iterable[Any] | None) -> str | None:
    if value is None:
        return None
    # A str is one value; Werkzeug would split it into characters.
    if isinstance(value, str):
        return value
    return dump_header(value)


def _dump_cache_control(value: str | Mapping[str, Any] | None) -> str | None:
    if not value:
        return None
    if isinstance(value, str):
        return value
    return dump_header(value if isinstance(value, dict) else dict(value)) or None


def _dump_content_range(value: ContentRange | str | None) -> str | None:
    if not value:
        return None
    if isinstance(value, str):
        return value
    return value.to_header() or None


def _dump_www_authenticate(value: WWWAuthenticate | list[WWWAuthenticate] | None) -> HeaderText:
    if not value:
        return None
    if isinstance(value, list):
        return [item.to_header() for item in value]
    return value.to_header()


def _dump_csp(value: ContentSecurityPolicy | Mapping[str, str] | str | None) -> str | None:
    if not value:
        return None
    if isinstance(value, str):
        return value
    return dump_csp_header(value) or None


def _dump_true(value: bool | None) -> str | None:
    return "true" if value is True else None


def _dump_str(value: object) -> str | None:
    return None if value is None else str(value)


def _dump_policy(policies: type[COOP] | type[COEP]) -> Callable[[Any], str | None]:
    def dump(value: Any) -> str | None:
        if value is None:
            return None
        text = getattr(value, "value", value)
        try:
            return str(policies(text).value)
        except ValueError:
            allowed = ", ".join(repr(member.value) for member in policies)
            raise HeaderValueError(
                f"{policies.__name__} value must be one of {allowed}, got {describe(value)}"
            ) from None

    return dump


# -- the table ------------------------------------------------------------------

PLAIN = 0
"""The getter parses the header text; the value is not linked to the response."""
LIVE = 1
"""The getter's value writes the header back whenever it is edited."""
LIVE_WHEN_SET = 2
"""As LIVE, and an object assigned to the attribute becomes linked as well."""


class HeaderProperty(NamedTuple):
    """One row of the table: how an attribute maps to a header."""

    attribute: str
    header: str
    parse: Callable[[str | None], Any] | None  # None: the header text itself
    serialize: Callable[[Any], HeaderText]
    kind: int
    doc: str


_age = parse_age
_date = parse_http_date
_int_or_none = _parse_or(int)
_set_or_none = _parse_or(parse_set_header)

HEADER_PROPERTIES: tuple[HeaderProperty, ...] = tuple(
    HeaderProperty(*row)
    for row in (
        # attribute, header, parse, serialize, kind, doc
        ("cache_control", "Cache-Control", parse_cache_control_header, _dump_cache_control, LIVE,
         "Cache-Control as a live ResponseCacheControl."),
        ("vary", "Vary", parse_set_header, _dump_set, LIVE,
         "Vary as a live HeaderSet."),
        ("allow", "Allow", parse_set_header, _dump_set, LIVE,
         "Allow as a live HeaderSet of methods."),
        ("content_language", "Content-Language", parse_set_header, _dump_set, LIVE,
         "Content-Language as a live HeaderSet."),
        ("expires", "Expires", _date, _dump_date, PLAIN,
         "Expires as an aware UTC datetime; naive datetimes set are UTC."),
        ("last_modified", "Last-Modified", _date, _dump_date, PLAIN,
         "Last-Modified as an aware UTC datetime; naive datetimes set are UTC."),
        ("date", "Date", _date, _dump_date, PLAIN,
         "Date as an aware UTC datetime; naive datetimes set are UTC."),
        ("age", "Age", _age, dump_age, PLAIN,
         "Age as a timedelta; set a timedelta or a number of seconds."),
        ("retry_after", "Retry-After", _parse_retry_after, _dump_retry_after, PLAIN,
         "Retry-After as a datetime; set a datetime or a number of seconds."),
        ("content_encoding", "Content-Encoding", None, _dump_text, PLAIN,
         "The Content-Encoding header."),
        ("content_location", "Content-Location", None, _dump_text, PLAIN,
         "The Content-Location header."),
        ("content_md5", "Content-MD5", None, _dump_text, PLAIN,
         "The Content-MD5 header."),
        ("accept_ranges", "Accept-Ranges", None, _dump_text, PLAIN,
         "The Accept-Ranges header, such as 'bytes' or 'none'."),
        ("content_range", "Content-Range", _parse_content_range, _dump_content_range, LIVE,
         "Content-Range as a live ContentRange (unset when absent)."),
        ("www_authenticate", "WWW-Authenticate", _parse_www_authenticate,
         _dump_www_authenticate, LIVE_WHEN_SET,
         "The first WWW-Authenticate challenge, live; assign a list to send several."),
        ("content_security_policy", "Content-Security-Policy", parse_csp_header, _dump_csp,
         LIVE, "Content-Security-Policy as a live ContentSecurityPolicy."),
        ("content_security_policy_report_only", "Content-Security-Policy-Report-Only",
         parse_csp_header, _dump_csp, LIVE,
         "Content-Security-Policy-Report-Only as a live ContentSecurityPolicy."),
        ("access_control_allow_credentials", "Access-Control-Allow-Credentials",
         _parse_present, _dump_true, PLAIN,
         "True when credentials may be shared; setting True writes 'true'."),
        ("access_control_allow_headers", "Access-Control-Allow-Headers", _set_or_none,
         _dump_list, PLAIN, "Headers a cross-origin request may send (a HeaderSet)."),
        ("access_control_allow_methods", "Access-Control-Allow-Methods", _set_or_none,
         _dump_list, PLAIN, "Methods a cross-origin request may use (a HeaderSet)."),
        ("access_control_allow_origin", "Access-Control-Allow-Origin", None, _dump_text,
         PLAIN, "The origin, or '*', that may make cross-origin requests."),
        ("access_control_expose_headers", "Access-Control-Expose-Headers", _set_or_none,
         _dump_list, PLAIN, "Headers the browser may show to scripts (a HeaderSet)."),
        ("access_control_max_age", "Access-Control-Max-Age", _int_or_none, _dump_str,
         PLAIN, "Seconds the access-control answer may be cached."),
        ("cross_origin_opener_policy", "Cross-Origin-Opener-Policy",
         _parse_or(COOP, COOP.UNSAFE_NONE), _dump_policy(COOP), PLAIN,
         "Cross-Origin-Opener-Policy as a COOP member (UNSAFE_NONE when absent)."),
        ("cross_origin_embedder_policy", "Cross-Origin-Embedder-Policy",
         _parse_or(COEP, COEP.UNSAFE_NONE), _dump_policy(COEP), PLAIN,
         "Cross-Origin-Embedder-Policy as a COEP member (UNSAFE_NONE when absent)."),
    )
)  # fmt: skip


def _write(headers: Headers, name: str, text: HeaderText) -> None:
    if text is None:
        del headers[name]
    elif type(text) is list:
        headers.setlist(name, text)
    else:
        headers[name] = text


def _make_property(row: HeaderProperty) -> property:
    name, parse, serialize, kind = row.header, row.parse, row.serialize, row.kind

    def link(owner: Any, value: Any) -> None:
        def on_update(changed: Any) -> None:
            _write(owner.headers, name, serialize(changed))

        value.on_update = on_update

    fget: Callable[[Any], Any]
    if parse is None:

        def fget(self: Any) -> Any:
            return self.headers.get(name)

    elif kind == PLAIN:

        def fget(self: Any) -> Any:
            return parse(self.headers.get(name))

    else:

        def fget(self: Any) -> Any:
            value = parse(self.headers.get(name))
            link(self, value)
            return value

    def fset(self: Any, value: Any) -> None:
        _write(self.headers, name, serialize(value))
        if kind == LIVE_WHEN_SET and value and not isinstance(value, (str, list)):
            link(self, value)

    def fdel(self: Any) -> None:
        del self.headers[name]

    return property(fget, fset, fdel, doc=row.doc)


class ResponseHeaderProperties:
    """Mixin adding the typed header attributes to a class with a ``headers`` attribute.

    The attributes are generated from :data:`HEADER_PROPERTIES`; assigning
    ``None`` or deleting one removes its header.
    """

    __slots__ = ()

    if TYPE_CHECKING:
        headers: Headers

        cache_control: _Typed[ResponseCacheControl, str | Mapping[str, Any] | None]
        vary: _Typed[HeaderSet, _SetInput]
        allow: _Typed[HeaderSet, _SetInput]
        content_language: _Typed[HeaderSet, _SetInput]
        expires: _Typed[datetime | None, _DateInput]
        last_modified: _Typed[datetime | None, _DateInput]
        date: _Typed[datetime | None, _DateInput]
        age: _Typed[timedelta | None, timedelta | int | None]
        retry_after: _Typed[datetime | None, datetime | timedelta | int | str | None]
        content_encoding: _Typed[str | None, str | None]
        content_location: _Typed[str | None, str | None]
        content_md5: _Typed[str | None, str | None]
        accept_ranges: _Typed[str | None, str | None]
        content_range: _Typed[ContentRange, ContentRange | str | None]
        www_authenticate: _Typed[WWWAuthenticate, WWWAuthenticate | list[WWWAuthenticate] | None]
        content_security_policy: _Typed[
            ContentSecurityPolicy, ContentSecurityPolicy | Mapping[str, str] | str | None
        ]
        content_security_policy_report_only: _Typed[
            ContentSecurityPolicy, ContentSecurityPolicy | Mapping[str, str] | str | None
        ]
        access_control_allow_credentials: _Typed[bool, bool | None]
        access_control_allow_headers: _Typed[HeaderSet | None, _SetInput]
        access_control_allow_methods: _Typed[HeaderSet | None, _SetInput]
        access_control_allow_origin: _Typed[str | None, str | None]
        access_control_expose_headers: _Typed[HeaderSet | None, _SetInput]
        access_control_max_age: _Typed[int | None, int | str | None]
        cross_origin_opener_policy: _Typed[COOP, COOP | str | None]
        cross_origin_embedder_policy: _Typed[COEP, COEP | str | None]


for _row in HEADER_PROPERTIES:
    setattr(ResponseHeaderProperties, _row.attribute, _make_property(_row))
del _row
