"""Typed header attributes: differential tests against werkzeug.wrappers.Response."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Any

import pytest
import werkzeug.http as wh
from werkzeug.datastructures import (
    ContentRange as WContentRange,
    ContentSecurityPolicy as WCSP,
    WWWAuthenticate as WAuth,
)
from werkzeug.wrappers import Response as WResponse

from erlen.errors import ArgumentTypeError, HeaderValueError
from erlen.http import header_types as ht
from erlen.http.headers import Headers
from erlen.response_properties import HEADER_PROPERTIES, ResponseHeaderProperties

HEADER = {row.attribute: row.header for row in HEADER_PROPERTIES}
UTC = timezone.utc


class Holder(ResponseHeaderProperties):
    """The mixin on its own, with nothing but a ``headers`` attribute."""

    __slots__ = ("headers",)

    def __init__(self) -> None:
        self.headers = Headers()


def erlen_response() -> Any:
    from erlen.response import Response

    return Response()


@pytest.fixture(params=["mixin", "Response"])
def make(request: pytest.FixtureRequest) -> Callable[[], Any]:
    if request.param == "mixin":
        return Holder
    from erlen.response import Response

    if not issubclass(Response, ResponseHeaderProperties):
        pytest.skip("Response does not use the mixin yet")
    return erlen_response


class Pair:
    """A value whose type differs between erlen and Werkzeug (built fresh for each)."""

    def __init__(self, ours: Callable[[], Any], theirs: Callable[[], Any]) -> None:
        self.ours = ours
        self.theirs = theirs

    def __repr__(self) -> str:
        return f"Pair({self.ours()!r})"


def split(value: Any) -> tuple[Any, Any]:
    return (value.ours(), value.theirs()) if isinstance(value, Pair) else (value, value)


def view(value: Any) -> Any:
    """A comparable form of a getter's value, the same for erlen and Werkzeug types."""
    name = type(value).__name__
    if name == "HeaderSet":
        return ("set", list(value))
    if name in ("ResponseCacheControl", "ContentSecurityPolicy"):
        return (name, dict(value), value.to_header())
    if name == "ContentRange":
        return ("range", value.units, value.start, value.stop, value.length, value.to_header())
    if name == "WWWAuthenticate":
        return ("auth", value.type, value.token, dict(value.parameters), value.to_header())
    if isinstance(value, Enum):
        return ("enum", value.value)
    return value


def header_values(response: Any, attribute: str) -> list[str]:
    return list(response.headers.getlist(HEADER[attribute]))


def assert_getter_matches(attribute: str, ours: Any, theirs: Any) -> None:
    if attribute == "retry_after":
        text = ours.headers.get("Retry-After")
        if text is not None and text.strip().lstrip("-").isdigit():
            # A number of seconds is read as "now + seconds": check the window.
            before = datetime.now(UTC)
            value = ours.retry_after
            after = datetime.now(UTC)
            seconds = timedelta(seconds=int(text))
            assert before + seconds - timedelta(seconds=1) <= value <= after + seconds
            assert isinstance(theirs.retry_after, datetime)
            return
    assert view(getattr(ours, attribute)) == view(getattr(theirs, attribute))


# -- setting values --------------------------------------------------------------------------

AWARE_PLUS_TWO = datetime(2024, 2, 29, 13, 5, 9, tzinfo=timezone(timedelta(hours=2)))
SET_ROWS: list[tuple[str, Any]] = [
    ("vary", "Accept"),
    ("vary", "Accept, Cookie"),
    ("vary", ["Accept", "Cookie"]),
    ("vary", ("Accept-Encoding",)),
    ("vary", ["x y", 'q"uote']),
    ("vary", []),
    ("vary", ""),
    ("allow", ["GET", "HEAD", "POST"]),
    ("allow", "GET, POST"),
    ("content_language", ["en-US", "de"]),
    ("content_language", {"en": None, "q": "0.5"}),
    ("expires", datetime(2015, 10, 21, 7, 28)),
    ("expires", datetime(2015, 10, 21, 7, 28, 59, 999999, tzinfo=UTC)),
    ("expires", AWARE_PLUS_TWO),
    ("expires", date(2030, 1, 1)),
    ("expires", 0),
    ("expires", 1700000000),
    ("expires", 1.5e9),
    ("expires", 1699999999.9999),
    ("last_modified", datetime(1999, 12, 31, 23, 59, 59)),
    ("last_modified", AWARE_PLUS_TWO),
    ("last_modified", 86400),
    ("date", datetime(2024, 1, 1, tzinfo=UTC)),
    ("date", date(2000, 2, 29)),
    ("age", 0),
    ("age", 60),
    ("age", timedelta(minutes=5)),
    ("age", timedelta(seconds=1.7)),
    ("age", "42"),
    ("age", 5.9),
    ("retry_after", 120),
    ("retry_after", "120"),
    ("retry_after", datetime(2030, 5, 6, 7, 8, 9)),
    ("retry_after", AWARE_PLUS_TWO),
    ("retry_after", "Wed, 21 Oct 2015 07:28:00 GMT"),
    ("content_encoding", "gzip"),
    ("content_encoding", ""),
    ("content_encoding", 5),
    ("content_location", "/files/a.txt"),
    ("content_md5", "Q2hlY2sgSW50ZWdyaXR5IQ=="),
    ("accept_ranges", "bytes"),
    ("accept_ranges", "none"),
    ("content_range", "bytes 0-99/200"),
    ("content_range", ""),
    (
        "content_range",
        Pair(
            lambda: ht.ContentRange("bytes", 0, 100, 1000),
            lambda: WContentRange("bytes", 0, 100, 1000),
        ),
    ),
    (
        "content_range",
        Pair(
            lambda: ht.ContentRange("bytes", None, None, 50),
            lambda: WContentRange("bytes", None, None, 50),
        ),
    ),
    (
        "content_range",
        Pair(lambda: ht.ContentRange(None, None, None), lambda: WContentRange(None, None, None)),
    ),
    (
        "www_authenticate",
        Pair(
            lambda: ht.WWWAuthenticate("basic", {"realm": "Login Required"}),
            lambda: WAuth("basic", {"realm": "Login Required"}),
        ),
    ),
    (
        "www_authenticate",
        Pair(
            lambda: [ht.WWWAuthenticate("bearer", token="abc"), ht.WWWAuthenticate("basic")],
            lambda: [WAuth("bearer", token="abc"), WAuth("basic")],
        ),
    ),
    (
        "www_authenticate",
        Pair(
            lambda: ht.WWWAuthenticate("digest", {"realm": "r", "nonce": "n", "stale": "false"}),
            lambda: WAuth("digest", {"realm": "r", "nonce": "n", "stale": "false"}),
        ),
    ),
    ("www_authenticate", []),
    ("content_security_policy", "default-src 'self'"),
    ("content_security_policy", ""),
    (
        "content_security_policy",
        Pair(
            lambda: ht.ContentSecurityPolicy({"default-src": "'self'", "img-src": "*"}),
            lambda: WCSP({"default-src": "'self'", "img-src": "*"}),
        ),
    ),
    ("content_security_policy_report_only", "script-src 'none'; report-uri /r"),
    ("access_control_allow_credentials", True),
    ("access_control_allow_credentials", False),
    ("access_control_allow_credentials", 1),
    ("access_control_allow_headers", ["X-Token", "Content-Type"]),
    ("access_control_allow_headers", []),
    ("access_control_allow_methods", ("GET", "POST", "DELETE")),
    ("access_control_allow_origin", "*"),
    ("access_control_allow_origin", "https://app.example"),
    ("access_control_expose_headers", ["X-Total-Count"]),
    ("access_control_max_age", 600),
    ("access_control_max_age", "600"),
    ("access_control_max_age", 5.5),
    ("cross_origin_opener_policy", Pair(lambda: ht.COOP.SAME_ORIGIN, lambda: wh.COOP.SAME_ORIGIN)),
    (
        "cross_origin_opener_policy",
        Pair(lambda: ht.COOP.SAME_ORIGIN_ALLOW_POPUPS, lambda: wh.COOP.SAME_ORIGIN_ALLOW_POPUPS),
    ),
    ("cross_origin_opener_policy", Pair(lambda: ht.COOP.UNSAFE_NONE, lambda: wh.COOP.UNSAFE_NONE)),
    (
        "cross_origin_embedder_policy",
        Pair(lambda: ht.COEP.REQUIRE_CORP, lambda: wh.COEP.REQUIRE_CORP),
    ),
]


@pytest.mark.parametrize(("attribute", "value"), SET_ROWS)
def test_set_matches_werkzeug(make: Callable[[], Any], attribute: str, value: Any) -> None:
    ours, theirs = make(), WResponse()
    our_value, their_value = split(value)
    setattr(ours, attribute, our_value)
    setattr(theirs, attribute, their_value)
    assert header_values(ours, attribute) == header_values(theirs, attribute)
    assert_getter_matches(attribute, ours, theirs)


def test_every_attribute_has_set_rows() -> None:
    covered = {attribute for attribute, _ in SET_ROWS}
    assert covered == set(HEADER) - {"cache_control"}


def test_table_matches_werkzeug_attributes() -> None:
    for row in HEADER_PROPERTIES:
        assert hasattr(WResponse, row.attribute), row.attribute
        assert isinstance(getattr(ResponseHeaderProperties, row.attribute), property)
    assert HEADER["content_security_policy_report_only"] == "Content-Security-Policy-Report-Only"


# -- reading header text ------------------------------------------------------------------------

PARSE_ROWS: list[tuple[str, str]] = [
    ("cache_control", "max-age=300, public"),
    ("cache_control", "  max-age = 300 ,public,,  no-cache"),
    ("cache_control", 'no-cache="Set-Cookie, X-Foo", private'),
    ("cache_control", 'max-age="60", s-maxage=abc'),
    ("cache_control", ""),
    ("vary", "Accept,Cookie"),
    ("vary", '  Accept , "quoted, item" ,,'),
    ("vary", "*"),
    ("allow", "GET, HEAD"),
    ("content_language", "en, de-AT"),
    ("vary", ""),
    ("expires", "Wed, 21 Oct 2015 07:28:00 GMT"),
    ("expires", "Sun, 06 Nov 1994 08:49:37 GMT"),
    ("expires", "Sunday, 06-Nov-94 08:49:37 GMT"),
    ("expires", "Sun Nov  6 08:49:37 1994"),
    ("expires", "0"),
    ("expires", "garbage"),
    ("expires", ""),
    ("last_modified", "Thu, 01 Jan 1970 00:00:00 GMT"),
    ("date", "Mon, 29 Feb 2016 23:59:59 GMT"),
    ("age", "60"),
    ("age", "0"),
    ("age", " 60 "),
    ("age", "-1"),
    ("age", "soon"),
    ("age", ""),
    ("retry_after", "Wed, 21 Oct 2015 07:28:00 GMT"),
    ("retry_after", "120"),
    ("retry_after", "later"),
    ("content_encoding", "gzip"),
    ("content_location", "/a"),
    ("content_md5", "abc=="),
    ("accept_ranges", "bytes"),
    ("content_range", "bytes 0-99/200"),
    ("content_range", " bytes 0-99 /200"),
    ("content_range", "bytes */1000"),
    ("content_range", "bytes 5-1/10"),
    ("content_range", "nonsense"),
    ("www_authenticate", 'Basic realm="Login Required"'),
    ("www_authenticate", "Bearer abc.def=="),
    ("www_authenticate", 'Digest realm="r", nonce="n"'),
    ("www_authenticate", ""),
    ("content_security_policy", "default-src 'self'; img-src *"),
    ("content_security_policy", "  default-src  'self' ; broken ;"),
    ("content_security_policy_report_only", "script-src 'none'"),
    ("access_control_allow_credentials", "true"),
    ("access_control_allow_credentials", "false"),
    ("access_control_allow_headers", "X-A, x-b"),
    ("access_control_allow_methods", "GET,POST"),
    ("access_control_allow_methods", ""),
    ("access_control_allow_origin", "*"),
    ("access_control_expose_headers", '"X-Quoted", X-Plain'),
    ("access_control_max_age", "600"),
    ("access_control_max_age", " 600 "),
    ("access_control_max_age", "ten"),
    ("cross_origin_opener_policy", "same-origin"),
    ("cross_origin_opener_policy", "bogus"),
    ("cross_origin_opener_policy", ""),
    ("cross_origin_embedder_policy", "require-corp"),
]


@pytest.mark.parametrize(("attribute", "text"), PARSE_ROWS)
def test_reading_header_text_matches_werkzeug(
    make: Callable[[], Any], attribute: str, text: str
) -> None:
    ours, theirs = make(), WResponse()
    ours.headers[HEADER[attribute]] = text
    theirs.headers[HEADER[attribute]] = text
    assert_getter_matches(attribute, ours, theirs)


@pytest.mark.parametrize("row", HEADER_PROPERTIES, ids=lambda row: row.attribute)
def test_reading_absent_header_matches_werkzeug(make: Callable[[], Any], row: Any) -> None:
    ours, theirs = make(), WResponse()
    assert_getter_matches(row.attribute, ours, theirs)
    assert header_values(ours, row.attribute) == []


# -- live edits ---------------------------------------------------------------------------------

Edit = Callable[[Any], object]
LIVE_EDITS: list[tuple[str, list[Edit]]] = [
    (
        "cache_control",
        [
            lambda r: setattr(r.cache_control, "max_age", 5),
            lambda r: setattr(r.cache_control, "public", True),
            lambda r: setattr(r.cache_control, "no_cache", True),
            lambda r: setattr(r.cache_control, "no_cache", "Set-Cookie"),
            lambda r: setattr(r.cache_control, "s_maxage", "60"),
            lambda r: setattr(r.cache_control, "max_age", None),
            lambda r: setattr(r.cache_control, "public", False),
            lambda r: setattr(r.cache_control, "no_cache", None),
            lambda r: setattr(r.cache_control, "s_maxage", False),
        ],
    ),
    (
        "cache_control",
        [
            lambda r: setattr(r.cache_control, "no_store", True),
            lambda r: setattr(r.cache_control, "must_revalidate", True),
            lambda r: setattr(r.cache_control, "private", "Authorization"),
            lambda r: setattr(r.cache_control, "immutable", True),
            lambda r: setattr(r.cache_control, "stale_while_revalidate", 30),
            lambda r: setattr(r.cache_control, "stale_if_error", 600),
            lambda r: r.cache_control.__setitem__("community", "UCI"),
            lambda r: r.cache_control.pop("no-store"),
            lambda r: r.cache_control.clear(),
        ],
    ),
    (
        "cache_control",
        [
            lambda r: r.headers.__setitem__("Cache-Control", "max-age=1, public"),
            lambda r: setattr(r.cache_control, "max_age", 2),
            lambda r: setattr(r.cache_control, "proxy_revalidate", True),
            lambda r: setattr(r.cache_control, "must_understand", True),
            lambda r: setattr(r.cache_control, "no_transform", True),
        ],
    ),
    (
        "vary",
        [
            lambda r: r.vary.add("Accept"),
            lambda r: r.vary.add("accept"),
            lambda r: r.vary.add("Cookie"),
            lambda r: r.vary.update(["Origin", "Accept-Encoding"]),
            lambda r: r.vary.discard("cookie"),
            lambda r: r.vary.discard("missing"),
            lambda r: r.vary.clear(),
        ],
    ),
    (
        "allow",
        [
            lambda r: r.headers.__setitem__("Allow", "GET, HEAD"),
            lambda r: r.allow.add("POST"),
            lambda r: r.allow.remove("get"),
            lambda r: r.allow.__delitem__(0),
        ],
    ),
    (
        "content_language",
        [lambda r: r.content_language.add("en"), lambda r: r.content_language.add("de-AT")],
    ),
    (
        "content_security_policy",
        [
            lambda r: setattr(r.content_security_policy, "default_src", "'self'"),
            lambda r: setattr(
                r.content_security_policy, "script_src", "'self' https://cdn.example"
            ),
            lambda r: setattr(r.content_security_policy, "img_src", "*"),
            lambda r: setattr(r.content_security_policy, "default_src", None),
            lambda r: r.content_security_policy.clear(),
        ],
    ),
    (
        "content_security_policy_report_only",
        [
            lambda r: setattr(r.content_security_policy_report_only, "report_uri", "/csp"),
            lambda r: setattr(r.content_security_policy_report_only, "report_uri", None),
        ],
    ),
    (
        "content_range",
        [
            lambda r: r.content_range.set(0, 100, 1000),
            lambda r: setattr(r.content_range, "length", 2000),
            lambda r: r.content_range.set(None, None, 5),
            lambda r: r.content_range.unset(),
        ],
    ),
    (
        "www_authenticate",
        [
            lambda r: r.www_authenticate.__setitem__("realm", "Login"),
            lambda r: setattr(r.www_authenticate, "charset", "UTF-8"),
            lambda r: r.www_authenticate.__delitem__("realm"),
        ],
    ),
]


@pytest.mark.parametrize(("attribute", "edits"), LIVE_EDITS)
def test_live_edits_match_werkzeug(
    make: Callable[[], Any], attribute: str, edits: list[Edit]
) -> None:
    ours, theirs = make(), WResponse()
    for edit in edits:
        edit(ours)
        edit(theirs)
        assert header_values(ours, attribute) == header_values(theirs, attribute)
        assert_getter_matches(attribute, ours, theirs)


def test_example_from_the_brief(make: Callable[[], Any]) -> None:
    response = make()
    response.cache_control.max_age = 5
    response.cache_control.public = True
    response.cache_control.no_cache = True
    response.vary.add("Accept")
    response.expires = datetime(2030, 1, 2, 3, 4, 5)
    assert response.headers["Cache-Control"] == "max-age=5, public, no-cache"
    assert response.headers["Vary"] == "Accept"
    assert response.headers["Expires"] == "Wed, 02 Jan 2030 03:04:05 GMT"
    assert response.expires == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert response.cache_control.max_age == 5


def test_www_authenticate_assigned_object_stays_linked(make: Callable[[], Any]) -> None:
    ours, theirs = make(), WResponse()
    our_auth, their_auth = ht.WWWAuthenticate("basic"), WAuth("basic")
    ours.www_authenticate = our_auth
    theirs.www_authenticate = their_auth
    our_auth["realm"] = "Later"
    their_auth["realm"] = "Later"
    assert header_values(ours, "www_authenticate") == header_values(theirs, "www_authenticate")
    assert ours.headers["WWW-Authenticate"] == "Basic realm=Later"


# -- deliberate differences ----------------------------------------------------------------------

NONE_ROWS = [row.attribute for row in HEADER_PROPERTIES]


@pytest.mark.parametrize("attribute", NONE_ROWS)
def test_setting_none_removes_the_header(make: Callable[[], Any], attribute: str) -> None:
    # Werkzeug writes 'None' (age, content_encoding, ...), the current time
    # (expires, date, last_modified) or raises (COOP, access_control_*).
    response = make()
    response.headers[HEADER[attribute]] = "x"
    setattr(response, attribute, None)
    assert HEADER[attribute] not in response.headers
    response.headers[HEADER[attribute]] = "x"
    delattr(response, attribute)
    assert HEADER[attribute] not in response.headers


def test_werkzeug_writes_none_or_now_where_erlen_removes() -> None:
    theirs = WResponse()
    theirs.age = None
    theirs.content_encoding = None  # type: ignore[assignment]
    theirs.expires = None
    assert theirs.headers["Age"] == "None"
    assert theirs.headers["Content-Encoding"] == "None"
    assert "Expires" in theirs.headers


def test_list_attribute_takes_a_str_as_one_value(make: Callable[[], Any]) -> None:
    theirs = WResponse()
    theirs.access_control_allow_methods = "GET"  # type: ignore[assignment]
    assert theirs.headers["Access-Control-Allow-Methods"] == "G, E, T"
    ours = make()
    ours.access_control_allow_methods = "GET"
    assert ours.headers["Access-Control-Allow-Methods"] == "GET"
    assert list(ours.access_control_allow_methods) == ["GET"]


def test_retry_after_accepts_a_timedelta(make: Callable[[], Any]) -> None:
    theirs = WResponse()
    theirs.retry_after = timedelta(minutes=2)  # type: ignore[assignment]
    assert theirs.headers["Retry-After"] == "0:02:00"
    ours = make()
    ours.retry_after = timedelta(minutes=2)
    assert ours.headers["Retry-After"] == "120"


def test_retry_after_overflow_reads_as_none(make: Callable[[], Any]) -> None:
    ours = make()
    ours.headers["Retry-After"] = "9" * 30
    assert ours.retry_after is None


def test_report_only_header_name_is_spelled_correctly(make: Callable[[], Any]) -> None:
    theirs = WResponse()
    theirs.content_security_policy_report_only = "default-src 'self'"
    assert ("Content-Security-policy-report-only", "default-src 'self'") in list(theirs.headers)
    ours = make()
    ours.content_security_policy_report_only = "default-src 'self'"
    assert ("Content-Security-Policy-Report-Only", "default-src 'self'") in list(ours.headers)


def test_cache_control_can_be_assigned(make: Callable[[], Any]) -> None:
    # Werkzeug's cache_control has no setter.
    with pytest.raises(AttributeError):
        WResponse().cache_control = "no-store"  # type: ignore[misc,assignment]
    ours = make()
    ours.cache_control = "no-store"
    assert ours.cache_control.no_store is True
    ours.cache_control = {"max-age": "5", "public": None}
    assert ours.headers["Cache-Control"] == "max-age=5, public"
    ours.cache_control = ht.ResponseCacheControl()
    assert "Cache-Control" not in ours.headers


def test_cross_origin_policy_accepts_its_text(make: Callable[[], Any]) -> None:
    ours = make()
    ours.cross_origin_opener_policy = "same-origin"
    assert ours.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert ours.cross_origin_opener_policy is ht.COOP.SAME_ORIGIN
    with pytest.raises(HeaderValueError, match="COEP"):
        ours.cross_origin_embedder_policy = "credentialless-ish"
    assert "Cross-Origin-Embedder-Policy" not in ours.headers


# -- bad input: refused at the write, headers unchanged --------------------------------------------

INJECTIONS = ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\x00b"]
BAD_WRITES: list[tuple[str, Callable[[Any, str], object]]] = [
    ("vary.add", lambda r, bad: r.vary.add(bad)),
    ("vary.update", lambda r, bad: r.vary.update(["Origin", bad])),
    ("vary =", lambda r, bad: setattr(r, "vary", ["Origin", bad])),
    ("vary = str", lambda r, bad: setattr(r, "vary", bad)),
    ("allow.add", lambda r, bad: r.allow.add(bad)),
    ("no_cache", lambda r, bad: setattr(r.cache_control, "no_cache", bad)),
    ("private", lambda r, bad: setattr(r.cache_control, "private", bad)),
    ("directive", lambda r, bad: r.cache_control.__setitem__(bad, None)),
    ("cache_control =", lambda r, bad: setattr(r, "cache_control", bad)),
    ("content_encoding", lambda r, bad: setattr(r, "content_encoding", bad)),
    ("content_location", lambda r, bad: setattr(r, "content_location", bad)),
    ("allow_origin", lambda r, bad: setattr(r, "access_control_allow_origin", bad)),
    ("allow_headers", lambda r, bad: setattr(r, "access_control_allow_headers", ["X", bad])),
    ("retry_after", lambda r, bad: setattr(r, "retry_after", bad)),
    ("max_age", lambda r, bad: setattr(r, "access_control_max_age", bad)),
    ("csp attr", lambda r, bad: setattr(r.content_security_policy, "default_src", bad)),
    ("csp =", lambda r, bad: setattr(r, "content_security_policy", bad)),
    ("auth param", lambda r, bad: setattr(r.www_authenticate, "realm", bad)),
    ("auth token", lambda r, bad: setattr(r.www_authenticate, "token", bad)),
    ("content_range =", lambda r, bad: setattr(r, "content_range", bad)),
    ("content_range units", lambda r, bad: setattr(r.content_range, "units", bad)),
    ("coop", lambda r, bad: setattr(r, "cross_origin_opener_policy", bad)),
]


@pytest.mark.parametrize("bad", INJECTIONS)
@pytest.mark.parametrize(("name", "write"), BAD_WRITES, ids=[name for name, _ in BAD_WRITES])
def test_header_injection_is_refused_and_headers_unchanged(
    make: Callable[[], Any], name: str, write: Callable[[Any, str], object], bad: str
) -> None:
    response = make()
    response.vary = ["Accept"]
    response.cache_control.max_age = 5
    response.headers["Content-Range"] = "bytes 0-0/1"
    before = list(response.headers)
    with pytest.raises(HeaderValueError):
        write(response, bad)
    assert list(response.headers) == before


def test_bytes_are_refused(make: Callable[[], Any]) -> None:
    response = make()
    with pytest.raises(ArgumentTypeError):
        response.vary.add(b"Accept")
    with pytest.raises(ArgumentTypeError):
        response.content_encoding = b"gzip"
    assert list(response.headers) == list(make().headers)


def test_bad_numbers_raise_value_errors(make: Callable[[], Any]) -> None:
    response = make()
    with pytest.raises(ValueError):
        response.age = -5
    with pytest.raises(ValueError):
        response.cache_control.max_age = "soon"
    with pytest.raises(ArgumentTypeError):
        response.expires = "tomorrow"
    assert list(response.headers) == list(make().headers)


def test_every_header_property_comes_from_the_one_table() -> None:
    # A hand-written property on Response (or a subclass in erlen) would shadow
    # the table's row silently; every row must be what the class resolves.
    from erlen.response import Response
    from erlen.response_properties import HEADER_PROPERTIES, ResponseHeaderProperties

    for row in HEADER_PROPERTIES:
        name = row[0] if isinstance(row, tuple) else row.name
        for klass in Response.__mro__:
            if name in vars(klass):
                assert klass is ResponseHeaderProperties, (name, klass)
                break
        else:
            raise AssertionError(f"{name} is not defined")
