"""Structured header values: differential tests against werkzeug.http, properties, bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import werkzeug.http as wh
from hypothesis import given, settings, strategies as st
from werkzeug.datastructures import (
    ContentRange as WContentRange,
    ContentSecurityPolicy as WCSP,
    HeaderSet as WHeaderSet,
    ResponseCacheControl as WCacheControl,
    WWWAuthenticate as WAuth,
)

from erlen.errors import ArgumentTypeError, HeaderValueError
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
    is_byte_range_valid,
    parse_age,
    parse_cache_control_header,
    parse_content_range_header,
    parse_csp_header,
    parse_dict_header,
    parse_list_header,
    parse_set_header,
)

# -- list, dict and dump --------------------------------------------------------------

LIST_HEADERS = [
    "",
    "a",
    "a,b",
    "a, b ,c",
    "  a ,\t b\t",
    ",,a,,",
    '"quoted, value", token',
    '"a\\"b", c',
    '"a\\\\", b',
    'x"y, z"w',
    '"unclosed, a',
    '"a" "b", c',
    '""',
    '"", a',
    "a\\, b",
    '"\\q"',
    "Accept, accept, ACCEPT",
    "en-US, de",
    "   ",
    '"trailing\\"',
    'a="b, c", d',
]


@pytest.mark.parametrize("value", LIST_HEADERS)
def test_parse_list_header_matches_werkzeug(value: str) -> None:
    assert parse_list_header(value) == wh.parse_list_header(value)


DICT_HEADERS = [
    "",
    "a=b",
    "max-age=5, public",
    'no-cache="Set-Cookie, X-Foo", private',
    "a = b ,c=  d",
    "=x, y",
    "k=",
    'k=""',
    "k*=utf-8''%E2%82%AC",
    "k*=UTF-8''caf%C3%A9",
    "k*=iso-8859-1''%E9",
    "k*=koi8-r''%C1",
    "k*=plain",
    'k*="quoted"',
    "dup=1, dup=2",
    'a="b\\"c"',
    "a=b=c",
    "max-age=60,  s-maxage = 120 ,must-revalidate",
]


@pytest.mark.parametrize("value", DICT_HEADERS)
def test_parse_dict_header_matches_werkzeug(value: str) -> None:
    assert parse_dict_header(value) == wh.parse_dict_header(value)


DUMPS: list[Any] = [
    [],
    ["a"],
    ["a", "b c", 'd"e', "", "f\\g"],
    ("x", 1, 2.5),
    {"a": "b"},
    {"max-age": "5", "public": None, "no-cache": "Set-Cookie, X"},
    {"k*": "utf-8''%20", "empty": ""},
    {"n": 5},
]


@pytest.mark.parametrize("value", DUMPS)
def test_dump_header_matches_werkzeug(value: Any) -> None:
    assert dump_header(value) == wh.dump_header(value)


header_text = st.text(alphabet=st.sampled_from(list("ab, \t\"\\=*;'%E9é-")), max_size=30)


@settings(max_examples=300, deadline=None)
@given(header_text)
def test_parse_list_and_dict_header_property(value: str) -> None:
    assert parse_list_header(value) == wh.parse_list_header(value)
    assert parse_dict_header(value) == wh.parse_dict_header(value)


# -- Cache-Control ----------------------------------------------------------------------

CC_ATTRIBUTES = [
    "no_cache",
    "no_store",
    "no_transform",
    "must_revalidate",
    "proxy_revalidate",
    "must_understand",
    "private",
    "public",
    "immutable",
    "max_age",
    "s_maxage",
    "stale_while_revalidate",
    "stale_if_error",
]

CC_HEADERS = [
    None,
    "",
    "no-cache",
    "no-cache, no-store, must-revalidate",
    "max-age=300, public",
    "max-age = 300 ,  s-maxage=600",
    'max-age="300"',
    "max-age=abc",
    "max-age",
    "max-age=-1",
    'no-cache="Set-Cookie, X-Foo"',
    'private="Authorization", immutable',
    "private, proxy-revalidate, no-transform, must-understand",
    "stale-while-revalidate=30, stale-if-error=86400",
    "public,,max-age=1",
    "community=UCI, max-age=1",
    "ext*=utf-8''a%20b",
]


def cc_view(cc: Any) -> tuple[Any, ...]:
    return (dict(cc), [getattr(cc, name) for name in CC_ATTRIBUTES], cc.to_header(), str(cc))


@pytest.mark.parametrize("value", CC_HEADERS)
def test_parse_cache_control_matches_werkzeug(value: str | None) -> None:
    ours = parse_cache_control_header(value)
    theirs = wh.parse_cache_control_header(value, None, WCacheControl)
    assert cc_view(ours) == cc_view(theirs)
    assert repr(ours) == repr(theirs)


CC_EDITS: list[list[tuple[str, Any]]] = [
    [("max_age", 5), ("public", True), ("no_cache", True)],
    [("max_age", "60"), ("s_maxage", 120.9)],
    [("no_cache", "Set-Cookie, X-Foo"), ("private", "Authorization")],
    [("no_cache", True), ("no_cache", False)],
    [("no_cache", "x"), ("no_cache", None)],
    [("max_age", 5), ("max_age", None)],
    [("max_age", 5), ("max_age", False)],
    [("max_age", True)],
    [("public", 1), ("public", 0)],
    [("private", True), ("public", True), ("private", None)],
    [("immutable", True), ("must_understand", True), ("no_transform", True)],
    [("stale_while_revalidate", 30), ("stale_if_error", 0)],
    [("must_revalidate", True), ("proxy_revalidate", True), ("no_store", True)],
    [("max_age", 0)],
    [("no_cache", "")],
    [("no_cache", 'quote"inside')],
]


@pytest.mark.parametrize("edits", CC_EDITS)
def test_cache_control_edits_match_werkzeug(edits: list[tuple[str, Any]]) -> None:
    ours_calls: list[str] = []
    theirs_calls: list[str] = []
    ours = ResponseCacheControl((), lambda cc: ours_calls.append(cc.to_header()))
    theirs = WCacheControl((), lambda cc: theirs_calls.append(cc.to_header()))
    for name, value in edits:
        setattr(ours, name, value)
        setattr(theirs, name, value)
        assert cc_view(ours) == cc_view(theirs)
    assert ours_calls == theirs_calls


def test_cache_control_dict_api_and_delete() -> None:
    cc = ResponseCacheControl({"max-age": "5"})
    cc["public"] = None
    cc.setdefault("no-store")
    assert cc.to_header() == "max-age=5, public, no-store"
    del cc.max_age
    assert "max-age" not in cc
    cc.update({"s-maxage": "10"}, private=None)
    assert cc.pop("public", "gone") is None
    assert cc.popitem() == ("private", None)
    cc |= {"immutable": None}
    assert cc.to_header() == "no-store, s-maxage=10, immutable"
    cc.clear()
    assert cc.to_header() == ""


def test_cache_control_bad_number_raises_value_error_and_keeps_state() -> None:
    cc = ResponseCacheControl({"max-age": "5"})
    with pytest.raises(ValueError, match="max-age"):
        cc.max_age = "soon"  # type: ignore[assignment]
    assert dict(cc) == {"max-age": "5"}
    with pytest.raises(ValueError):
        WCacheControl().max_age = "soon"  # type: ignore[assignment]


directive_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12).filter(
    lambda name: name[0] != "-" and name[-1] != "-"
)
directive_values = st.none() | st.text(
    alphabet=st.characters(blacklist_characters="\r\n\x00", codec="utf-8"),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(directive_names, directive_values, max_size=6))
def test_cache_control_round_trip(directives: dict[str, str | None]) -> None:
    text = ResponseCacheControl(directives).to_header()
    assert text == wh.dump_header(directives)
    parsed = parse_cache_control_header(text)
    assert dict(parsed) == directives
    assert dict(parsed) == dict(wh.parse_cache_control_header(text, None, WCacheControl))


# -- HeaderSet ---------------------------------------------------------------------------

SET_OPERATIONS: list[list[tuple[str, tuple[Any, ...]]]] = [
    [("add", ("Accept",)), ("add", ("Cookie",)), ("add", ("accept",))],
    [("update", (["A", "b", "C"],)), ("discard", ("b",)), ("discard", ("zzz",))],
    [("add", ("x y",)), ("add", ('q"uote',)), ("add", ("",))],
    [("update", (["a", "b"],)), ("clear", ())],
    [("update", ([],)), ("add", ("gzip",)), ("remove", ("gzip",)), ("add", ("br",))],
    [("update", (["a", "b", "c"],)), ("__delitem__", (1,)), ("__setitem__", (0, "Z"))],
]


def set_view(items: Any) -> tuple[Any, ...]:
    return (
        list(items),
        len(items),
        bool(items),
        items.to_header(),
        str(items),
        repr(items),
        items.as_set(),
        items.as_set(preserve_casing=True),
        [items.find(name) for name in ("a", "A", "accept", "nope")],
        ["ACCEPT" in items, "b" in items, "nope" in items],
    )


@pytest.mark.parametrize("operations", SET_OPERATIONS)
def test_header_set_operations_match_werkzeug(
    operations: list[tuple[str, tuple[Any, ...]]],
) -> None:
    ours_calls: list[str] = []
    theirs_calls: list[str] = []
    ours = HeaderSet(None, lambda s: ours_calls.append(s.to_header()))
    theirs = WHeaderSet(None, lambda s: theirs_calls.append(s.to_header()))
    for name, args in operations:
        getattr(ours, name)(*args)
        getattr(theirs, name)(*args)
        assert set_view(ours) == set_view(theirs)
    assert ours_calls == theirs_calls


@pytest.mark.parametrize(
    "value", [None, "", "Accept", "Accept, Cookie", ' "a, b" ,c', "en-US,de;q=0.5", "*"]
)
def test_parse_set_header_matches_werkzeug(value: str | None) -> None:
    assert set_view(parse_set_header(value)) == set_view(wh.parse_set_header(value))


def test_header_set_index_and_errors() -> None:
    items = HeaderSet(["Accept", "Cookie"])
    assert items.index("cookie") == 1
    assert items[0] == "Accept"
    with pytest.raises(IndexError):
        items.index("nope")
    with pytest.raises(KeyError):
        items.remove("nope")
    assert 5 not in items  # type: ignore[comparison-overlap]
    assert items == HeaderSet(["Accept", "Cookie"])


def test_header_set_remove_is_case_insensitive() -> None:
    # Werkzeug drops the lowercased key but keeps the item, so it is still sent.
    theirs = WHeaderSet(["Accept"])
    theirs.remove("ACCEPT")
    assert theirs.to_header() == "Accept"
    ours = HeaderSet(["Accept"])
    ours.remove("ACCEPT")
    assert ours.to_header() == ""
    assert list(ours) == []


def test_header_set_keeps_one_of_items_equal_ignoring_case() -> None:
    # Werkzeug keeps both, so len() (1) disagrees with iteration (2 items).
    assert list(WHeaderSet(["Accept", "accept"])) == ["Accept", "accept"]
    ours = parse_set_header("Accept, accept, Cookie")
    assert list(ours) == ["Accept", "Cookie"]
    assert len(ours) == 2
    ours[1] = "ACCEPT"
    assert list(ours) == ["ACCEPT"]


set_items = st.lists(
    st.text(
        alphabet=st.characters(blacklist_characters="\r\n\x00", codec="utf-8"),
        min_size=1,
        max_size=10,
    ).filter(lambda item: item.strip(" \t") == item and item.strip() != ""),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(set_items)
def test_header_set_round_trip(items: list[str]) -> None:
    original = HeaderSet(items)
    text = original.to_header()
    assert text == WHeaderSet(list(original)).to_header()
    parsed = parse_set_header(text)
    assert list(parsed) == list(original)


# -- Content-Security-Policy --------------------------------------------------------------

CSP_HEADERS = [
    None,
    "",
    "default-src 'self'",
    "default-src 'self'; img-src *; script-src https://a.example https://b.example",
    "  default-src   'self' ;;  bad ; upgrade-insecure-requests ;report-uri /r  ",
    "script-src\t'none'",
]


@pytest.mark.parametrize("value", CSP_HEADERS)
def test_parse_csp_matches_werkzeug(value: str | None) -> None:
    ours = parse_csp_header(value)
    theirs = wh.parse_csp_header(value)
    assert dict(ours) == dict(theirs)
    assert ours.to_header() == theirs.to_header() == wh.dump_csp_header(theirs)
    assert repr(ours) == repr(theirs)


def test_csp_attributes_match_werkzeug() -> None:
    names = [name for name in dir(WCSP) if isinstance(getattr(WCSP, name), property)]
    ours, theirs = ContentSecurityPolicy(), WCSP()
    for index, name in enumerate(names):
        setattr(ours, name, f"'self' https://{index}.example")
        setattr(theirs, name, f"'self' https://{index}.example")
    assert ours.to_header() == theirs.to_header() == dump_csp_header(ours)
    for name in names[::2]:
        setattr(ours, name, None)
        setattr(theirs, name, None)
        assert getattr(ours, name) is None
    del ours.img_src
    del theirs.img_src
    assert dict(ours) == dict(theirs)
    assert [getattr(ours, name) for name in names] == [getattr(theirs, name) for name in names]


# -- Content-Range -------------------------------------------------------------------------

CONTENT_RANGES = [
    None,
    "",
    "bytes 0-99/200",
    "bytes 0-0/1",
    "bytes */200",
    "bytes */*",
    "bytes 0-99/*",
    " bytes 0-99 /200 ",
    "bytes 100-99/200",
    "bytes 0-200/200",
    "bytes 0-99",
    "bytes -1-5/10",
    "bytes +0-5/10",
    "bytes 0-x/10",
    "bytes 0_0-5/10",
    "items 5-9/10",
    "bytes 5/10",
    "bytes */-1",
]


def range_view(value: Any) -> Any:
    if value is None:
        return None
    return (value.units, value.start, value.stop, value.length, value.to_header(), bool(value))


@pytest.mark.parametrize("value", CONTENT_RANGES)
def test_parse_content_range_matches_werkzeug(value: str | None) -> None:
    ours = parse_content_range_header(value)
    theirs = wh.parse_content_range_header(value)
    assert range_view(ours) == range_view(theirs)
    if ours is not None:
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    "args",
    [(0, 10, 100), (None, None, 100), (None, None, None), (5, 6, None), (0, 1, 1)],
)
def test_content_range_set_and_edit_match_werkzeug(args: tuple[Any, ...]) -> None:
    ours_calls: list[str] = []
    theirs_calls: list[str] = []
    ours = ContentRange(None, None, None, on_update=lambda r: ours_calls.append(r.to_header()))
    theirs = WContentRange(None, None, None, on_update=lambda r: theirs_calls.append(r.to_header()))
    ours.set(*args)
    theirs.set(*args)
    assert range_view(ours) == range_view(theirs)
    ours.length = 1000
    theirs.length = 1000
    ours.units = "items"
    theirs.units = "items"
    assert range_view(ours) == range_view(theirs)
    ours.unset()
    theirs.unset()
    assert range_view(ours) == range_view(theirs)
    assert ours_calls == theirs_calls


@pytest.mark.parametrize(
    "args", [(5, None, 10), (None, 5, 10), (5, 5, 10), (5, 6, 5), (-1, 5, None), (None, None, -1)]
)
def test_invalid_content_range_raises_value_error_even_under_optimize(
    args: tuple[Any, ...],
) -> None:
    # Werkzeug checks with `assert`, which `python -O` removes.
    assert not wh.is_byte_range_valid(*args)
    assert not is_byte_range_valid(*args)
    rng = ContentRange("bytes", 0, 1, 10)
    with pytest.raises(HeaderValueError, match="not a valid byte range"):
        rng.set(*args)
    assert rng.to_header() == "bytes 0-0/10"


def test_content_range_parts_must_be_ints() -> None:
    rng = ContentRange("bytes", 0, 1, 10)
    with pytest.raises(ArgumentTypeError):
        rng.start = "1\r\nX: y"  # type: ignore[assignment]
    with pytest.raises(ArgumentTypeError):
        rng.set(0, True, 10)
    assert rng.to_header() == "bytes 0-0/10"


# -- WWW-Authenticate -----------------------------------------------------------------------

AUTH_HEADERS = [
    None,
    "",
    "Basic",
    'Basic realm="Login Required"',
    "basic realm=site, charset=UTF-8",
    "Bearer abc.def-ghi",
    "Bearer token68==",
    "Bearer realm=example, error=invalid_token",
    'Digest realm="x", nonce="abc", qop="auth", algorithm=MD5, opaque="o"',
    "Digest realm=plain, stale=false",
    "Negotiate",
    "NEGOTIATE   a1b2=",
]


def auth_view(value: Any) -> Any:
    if value is None:
        return None
    return (value.type, value.token, dict(value.parameters), value.to_header(), repr(value))


@pytest.mark.parametrize("value", AUTH_HEADERS)
def test_www_authenticate_from_header_matches_werkzeug(value: str | None) -> None:
    assert auth_view(WWWAuthenticate.from_header(value)) == auth_view(WAuth.from_header(value))


def test_www_authenticate_item_and_attribute_edits_match_werkzeug() -> None:
    ours_calls: list[str] = []
    theirs_calls: list[str] = []
    ours = WWWAuthenticate("digest", {"realm": "r"})
    theirs = WAuth("digest", {"realm": "r"})
    ours.on_update = lambda a: ours_calls.append(a.to_header())
    theirs._on_update = lambda a: theirs_calls.append(a.to_header())
    for auth in (ours, theirs):
        auth["nonce"] = "n1"
        auth.opaque = "o"
        auth["missing"] = None
        auth["realm"] = None
        del auth["opaque"]
        del auth.nonce
        auth.charset = "UTF-8"
    assert auth_view(ours) == auth_view(theirs)
    assert ours_calls == theirs_calls
    assert ours.get("charset") == "UTF-8" and "charset" in ours and ours.realm is None
    assert ours == WWWAuthenticate("digest", {"charset": "UTF-8"})
    assert ours != WWWAuthenticate("basic", {"charset": "UTF-8"})


def test_www_authenticate_token_and_type_setters_change_the_challenge() -> None:
    # In Werkzeug `auth.token = x` stores a parameter named "token" instead.
    theirs = WAuth("bearer")
    theirs.token = "abc"
    assert theirs.to_header() == "Bearer token=abc"
    ours = WWWAuthenticate("bearer")
    ours.token = "abc"
    assert ours.to_header() == "Bearer abc"
    ours.type = "DPoP"
    ours.parameters = {"realm": "r"}
    ours.token = None
    assert ours.to_header() == "Dpop realm=r"


# -- Age and policies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [None, "", "0", "60", " 60 ", "-1", "abc", "1.5", "999999999999999999999"]
)
def test_parse_age_matches_werkzeug(value: str | None) -> None:
    assert parse_age(value) == wh.parse_age(value)


@pytest.mark.parametrize(
    "value", [None, 0, 60, 5.9, "42", timedelta(hours=1), timedelta(seconds=1.7), True]
)
def test_dump_age_matches_werkzeug(value: Any) -> None:
    assert dump_age(value) == wh.dump_age(value)


@pytest.mark.parametrize("value", [-1, timedelta(seconds=-5), "abc"])
def test_dump_age_bad_value_raises_value_error(value: Any) -> None:
    with pytest.raises(HeaderValueError):
        dump_age(value)
    with pytest.raises(ValueError):
        wh.dump_age(value)


def test_policy_enums_match_werkzeug() -> None:
    assert [(m.name, m.value) for m in COOP] == [(m.name, m.value) for m in wh.COOP]
    assert [(m.name, m.value) for m in COEP] == [(m.name, m.value) for m in wh.COEP]


# -- bad input: CR, LF and NUL never get in -----------------------------------------------------

INJECTIONS = ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\x00b"]


@pytest.mark.parametrize("bad", INJECTIONS)
def test_header_injection_in_set_items_is_refused(bad: str) -> None:
    calls: list[HeaderSet] = []
    items = HeaderSet(["Accept"], calls.append)
    edits: list[Callable[[], None]] = [
        lambda: items.add(bad),
        lambda: items.update(["Cookie", bad]),
        lambda: items.__setitem__(0, bad),
    ]
    for edit in edits:
        with pytest.raises(HeaderValueError):
            edit()
        assert list(items) == ["Accept"]
    assert calls == []
    with pytest.raises(HeaderValueError):
        HeaderSet(["ok", bad])


def test_header_set_refuses_non_text_items() -> None:
    items = HeaderSet(["Accept"])
    with pytest.raises(ArgumentTypeError):
        items.add(b"Cookie")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError):
        items.update("Cookie")  # a str would be split into characters
    assert list(items) == ["Accept"]


@pytest.mark.parametrize("bad", INJECTIONS)
def test_header_injection_in_cache_control_is_refused(bad: str) -> None:
    calls: list[Any] = []
    cc = ResponseCacheControl({"public": None}, calls.append)
    edits: list[Callable[[], object]] = [
        lambda: setattr(cc, "no_cache", bad),
        lambda: setattr(cc, "private", bad),
        lambda: cc.__setitem__("x", bad),
        lambda: cc.__setitem__(bad, None),
        lambda: cc.update({"ok": "1", "x": bad}),
        lambda: cc.setdefault(bad),
    ]
    for edit in edits:
        with pytest.raises(HeaderValueError):
            edit()
        assert dict(cc) == {"public": None}
    assert calls == []


@pytest.mark.parametrize("bad", INJECTIONS)
def test_header_injection_in_csp_auth_and_range_is_refused(bad: str) -> None:
    csp = ContentSecurityPolicy({"default-src": "'self'"})
    with pytest.raises(HeaderValueError):
        csp.script_src = bad
    assert dict(csp) == {"default-src": "'self'"}
    auth = WWWAuthenticate("basic", {"realm": "r"})
    auth_edits: list[Callable[[], object]] = [
        lambda: setattr(auth, "realm", bad),
        lambda: setattr(auth, "token", bad),
        lambda: setattr(auth, "type", bad),
        lambda: auth.__setitem__(bad, "x"),
    ]
    for edit in auth_edits:
        with pytest.raises(HeaderValueError):
            edit()
    assert auth.to_header() == "Basic realm=r"
    rng = ContentRange("bytes", 0, 1, 10)
    with pytest.raises(HeaderValueError):
        rng.units = bad
    assert rng.to_header() == "bytes 0-0/10"
