"""Headers: differential tests against Werkzeug, properties, and bad input."""

from __future__ import annotations

import copy
import pickle
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st
from werkzeug.datastructures import Headers as WerkzeugHeaders, MultiDict

from erlen.errors import ArgumentTypeError, HeaderValueError, LocationValueError
from erlen.http.headers import (
    Headers,
    dump_options,
    find_unsafe_char,
    replace_header,
    validate_header_name,
    validate_header_value,
)
from erlen.http.urls import iri_to_uri

Op = tuple[str, tuple[Any, ...], dict[str, Any]]


def op(name: str, *args: Any, **kwargs: Any) -> Op:
    return name, args, kwargs


def run(headers: Any, ops: list[Op]) -> list[Any]:
    """Apply ``ops`` and return what each returned (generators listed)."""
    results: list[Any] = []
    for name, args, kwargs in ops:
        try:
            result = getattr(headers, name)(*args, **kwargs)
        except KeyError as error:
            result = ("KeyError", error.args)
        except IndexError:
            result = "IndexError"
        if isinstance(result, Iterator):
            result = list(result)
        if isinstance(result, (Headers, WerkzeugHeaders)):
            result = ("Headers", list(result))
        results.append(result)
    return results


def assert_same(ours: Headers, theirs: WerkzeugHeaders) -> None:
    assert list(ours) == list(theirs)
    assert ours._list == theirs._list
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)
    assert ours.to_wsgi_list() == theirs.to_wsgi_list()
    assert len(ours) == len(theirs)
    assert list(ours.keys()) == list(theirs.keys())
    assert list(ours.keys(lower=True)) == list(theirs.keys(lower=True))
    assert list(ours.values()) == list(theirs.values())
    assert list(ours.items(lower=True)) == list(theirs.items(lower=True))
    for name in {name.lower() for name, _ in theirs} | {"missing"}:
        for key in (name, name.upper(), name.title()):
            assert ours.get(key) == theirs.get(key)
            assert ours.getlist(key) == theirs.getlist(key)
            assert ours.get_all(key) == theirs.get_all(key)
            assert (key in ours) == (key in theirs)


# -- construction ----------------------------------------------------------

CONSTRUCTOR_INPUTS: list[Any] = [
    None,
    {},
    [],
    {"X-A": "1"},
    {"Content-Type": "text/html", "X-Count": 3},
    {"Set-Cookie": ["a=1", "b=2"], "X-T": ("x", "y"), "X-One": "z"},
    {"X-Set": {"only"}},
    {"X-Frozen": frozenset({"f"})},
    {"X-None": None, "X-Float": 1.5, "X-Bool": True},
    [("A", "1"), ("a", "2"), ("B", "3")],
    [("X-Empty", "")],
    (("Tuple", "pairs"),),
    [["List", "pair"]],
    iter([("From", "iterator")]),
    (pair for pair in [("From", "generator")]),
    [("Latin-1", "caf\u00e9 \u00a0\u00ff")],
    [("X", " padded ")],
    [("X", "tab\there")],
    [("!#$%&'*+-.^_`|~09AZaz", "all token chars")],
    MultiDict([("M", "1"), ("M", "2"), ("N", "3")]),
    [("Many", str(i)) for i in range(20)],
]


@pytest.mark.parametrize("defaults", CONSTRUCTOR_INPUTS)
def test_constructor_matches_werkzeug(defaults: Any) -> None:
    if isinstance(defaults, Iterator):
        items = list(defaults)
        ours, theirs = Headers(iter(items)), WerkzeugHeaders(iter(items))
    else:
        ours, theirs = Headers(defaults), WerkzeugHeaders(defaults)
    assert_same(ours, theirs)


def test_constructor_from_headers_copies() -> None:
    source = Headers([("A", "1"), ("B", "2")])
    clone = Headers(source)
    assert list(clone) == list(source)
    clone.add("C", "3")
    assert "C" not in source


# -- operation sequences ---------------------------------------------------

BASE = [("Content-Type", "text/html"), ("X-A", "1"), ("x-a", "2"), ("Set-Cookie", "s=1")]

OP_SEQUENCES: list[list[Op]] = [
    [op("add", "X-New", "v")],
    [op("add", "x-a", "3")],
    [op("add", "X-Int", 42), op("add", "X-Float", 0.5), op("add", "X-None", None)],
    [op("add", "Content-Disposition", "attachment", filename="a.txt")],
    [op("add", "Content-Disposition", "attachment", filename="a b.txt")],
    [op("add", "Content-Disposition", "attachment", filename='q"uo\\te')],
    [op("add", "Content-Disposition", "attachment", filename="")],
    [op("add", "Content-Disposition", "inline", filename=None, size=10)],
    [op("add", "Content-Type", "text/plain", charset="utf-8")],
    [op("add", "X", "v", long_name_here="1", other="a;b", **{"filename*": "UTF-8''a%20b"})],
    [op("add", "X", "v", caf="\u00e9")],
    [op("add", "X", None, only="param")],
    [op("add_header", "X-Via-Alias", "v", p="1")],
    [op("set", "X-A", "new")],
    [op("set", "x-A", "case")],
    [op("set", "Missing", "appended")],
    [op("set", "Content-Type", "text/plain", charset="utf-8")],
    [op("set", "X-A", 7)],
    [op("__setitem__", "X-A", "item")],
    [op("__setitem__", "New", "item")],
    [op("__setitem__", 0, ("Replaced", "pair"))],
    [op("__setitem__", -1, ("Last", 5))],
    [op("__setitem__", slice(1, 3), [("S1", "a"), ("S2", 2)])],
    [op("__setitem__", slice(0, 0), [("Front", "f")])],
    [op("__getitem__", "x-a")],
    [op("__getitem__", "CONTENT-TYPE")],
    [op("__getitem__", "missing")],
    [op("__getitem__", 0)],
    [op("__getitem__", -1)],
    [op("__getitem__", slice(1, 3))],
    [op("__getitem__", slice(None, None, -1))],
    [op("__delitem__", "x-A")],
    [op("__delitem__", "missing")],
    [op("__delitem__", 0)],
    [op("__delitem__", slice(0, 2))],
    [op("get", "X-A")],
    [op("get", "missing", "dflt")],
    [op("get", "X-A", type=int)],
    [op("get", "Content-Type", -1, int)],
    [op("get", "missing", type=int)],
    [op("getlist", "x-a")],
    [op("getlist", "X-A", int)],
    [op("getlist", "Content-Type", int)],
    [op("getlist", "missing")],
    [op("get_all", "X-A")],
    [op("setdefault", "X-A", "ignored")],
    [op("setdefault", "New", "used")],
    [op("setdefault", "New", 3)],
    [op("setlistdefault", "X-A", ["ignored"])],
    [op("setlistdefault", "New", ["a", "b"])],
    [op("setlistdefault", "New", [])],
    [op("setlist", "X-A", ["p", "q", "r"])],
    [op("setlist", "X-A", [])],
    [op("setlist", "Missing", [])],
    [op("setlist", "New", ("t1", 2))],
    [op("setlist", "x-a", ["single"])],
    [op("extend", {"X-A": "3", "New": ["n1", "n2"]})],
    [op("extend", [("X-A", "3"), ("x-a", "4")])],
    [op("extend", None, K1="v", K2=["a", "b"])],
    [op("extend", MultiDict([("M", "1"), ("M", "2")]))],
    [op("extend", WerkzeugHeaders([("H", "1")]))],
    [op("update", {"X-A": "only", "New": "n"})],
    [op("update", {"X-A": ["u1", "u2"], "Content-Type": ("a", "b")})],
    [op("update", {"X-A": []})],
    [op("update", [("X-A", "1st"), ("x-a", "2nd"), ("New", "n")])],
    [op("update", None, X_A="kw", Other=["o1", "o2"])],
    [op("update", MultiDict([("X-A", "m1"), ("X-A", "m2")]))],
    [op("remove", "X-A")],
    [op("remove", "missing")],
    [op("pop")],
    [op("pop", None)],
    [op("pop", 0)],
    [op("pop", -2)],
    [op("pop", "x-a")],
    [op("pop", "missing")],
    [op("pop", "missing", "dflt")],
    [op("pop", "missing", None)],
    [op("pop", 99)],
    [op("popitem")],
    [op("clear"), op("pop")],
    [op("clear"), op("set", "Only", "one")],
    [op("clear"), op("setlist", "Only", ["a", "b"])],
    [op("__contains__", "X-A"), op("__contains__", "x-b"), op("__contains__", "")],
    [op("__len__")],
    [op("copy")],
    [op("__copy__")],
    [op("keys"), op("keys", True), op("values"), op("items"), op("items", lower=True)],
    [op("to_wsgi_list")],
    [op("__str__"), op("__repr__")],
    [op("add", "A", "1"), op("set", "a", "2"), op("add", "A", "3"), op("remove", "a")],
    [op("set", "X-A", "s"), op("add", "X-A", "t"), op("setlist", "X-A", ["u"]), op("pop", "x-a")],
]


@pytest.mark.parametrize("ops", OP_SEQUENCES, ids=lambda ops: "+".join(o[0] for o in ops))
@pytest.mark.parametrize("start", [[], BASE], ids=["empty", "base"])
def test_operations_match_werkzeug(start: list[tuple[str, str]], ops: list[Op]) -> None:
    ours, theirs = Headers(start), WerkzeugHeaders(start)
    assert run(ours, ops) == run(theirs, ops)
    assert_same(ours, theirs)


def test_update_from_headers_matches_werkzeug() -> None:
    other = [("X-A", "1"), ("x-a", "2"), ("New", "n")]
    ours, theirs = Headers(BASE), WerkzeugHeaders(BASE)
    ours.update(Headers(other))
    theirs.update(WerkzeugHeaders(other))
    assert_same(ours, theirs)


@pytest.mark.parametrize(
    "other",
    [{"X-A": "or"}, {"New": ["a", "b"]}, {}],
)
def test_or_operators_match_werkzeug(other: dict[str, Any]) -> None:
    ours, theirs = Headers(BASE), WerkzeugHeaders(BASE)
    merged_ours, merged_theirs = ours | other, theirs | other
    assert list(merged_ours) == list(merged_theirs)
    assert list(ours) == BASE
    ours |= other
    theirs |= other
    assert_same(ours, theirs)
    ours |= [("Pair", "p")]
    theirs |= [("Pair", "p")]
    assert_same(ours, theirs)


def test_or_with_non_mapping_is_type_error() -> None:
    with pytest.raises(TypeError):
        Headers(BASE) | Headers(BASE)  # type: ignore[operator]
    with pytest.raises(TypeError):
        WerkzeugHeaders(BASE) | WerkzeugHeaders(BASE)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ([("A", "1")], [("a", "1")]),
        ([("A", "1"), ("B", "2")], [("B", "2"), ("A", "1")]),
        ([("A", "1"), ("A", "1")], [("A", "1")]),
        ([("A", "1")], [("A", "2")]),
        ([("A", "1")], [("A", "1"), ("B", "2")]),
        ([], []),
    ],
)
def test_equality_matches_werkzeug(
    left: list[tuple[str, str]], right: list[tuple[str, str]]
) -> None:
    assert (Headers(left) == Headers(right)) == (WerkzeugHeaders(left) == WerkzeugHeaders(right))
    assert Headers(left) != left
    assert Headers(left).__eq__(WerkzeugHeaders(left)) is NotImplemented


def test_unhashable() -> None:
    with pytest.raises(TypeError):
        hash(Headers())


def test_str_of_empty_and_single() -> None:
    assert str(Headers()) == str(WerkzeugHeaders()) == "\r\n"
    assert str(Headers([("A", "1")])) == "A: 1\r\n\r\n"


def test_get_type_error_from_converter_propagates_like_werkzeug() -> None:
    def boom(value: str) -> int:
        raise TypeError(value)

    for headers in (Headers(BASE), WerkzeugHeaders(BASE)):
        with pytest.raises(TypeError):
            headers.get("X-A", type=boom)


def test_slice_and_copy_keep_the_subclass() -> None:
    class MyHeaders(Headers):
        __slots__ = ()

    headers = MyHeaders(BASE)
    assert type(headers[1:]) is MyHeaders
    assert type(headers.copy()) is MyHeaders
    assert type(copy.copy(headers)) is MyHeaders
    assert repr(headers).startswith("MyHeaders([")


def test_copy_is_independent() -> None:
    headers = Headers(BASE)
    for clone in (headers.copy(), copy.copy(headers), copy.deepcopy(headers)):
        clone.add("Extra", "1")
        assert "Extra" not in headers
        assert clone._list is not headers._list


def test_pickle_round_trip() -> None:
    headers = Headers(BASE)
    assert list(pickle.loads(pickle.dumps(headers))) == BASE


def test_from_trusted_adopts_the_list() -> None:
    pairs = [("Content-Type", "text/plain")]
    headers = Headers._from_trusted(pairs)
    assert headers._list is pairs
    headers.add("X", "1")
    assert pairs[-1] == ("X", "1")


def test_slots_only() -> None:
    assert Headers.__slots__ == ("_list",)
    with pytest.raises(AttributeError):
        Headers().other = 1  # type: ignore[attr-defined]


# -- dump_options ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "options"),
    [
        ("attachment", {"filename": "a.txt"}),
        ("attachment", {"filename": "with space.txt"}),
        ("attachment", {"filename": ""}),
        ("attachment", {"filename": 'q"\\'}),
        ("text/html", {"charset": "utf-8", "skip": None}),
        (None, {"a": "b"}),
        ("x", {"n": 5, "f": 1.5, "t": True}),
        ("x", {"filename*": "UTF-8''%e2%82%ac"}),
        ("x", {"k": "caf\u00e9"}),
        ("x", {"k": "a;b,c=d"}),
        ("x", {}),
    ],
)
def test_dump_options_matches_werkzeug(value: str | None, options: dict[str, Any]) -> None:
    from werkzeug.http import dump_options_header

    assert dump_options(value, options) == dump_options_header(value, options)


# -- properties --------------------------------------------------------------

token = st.text(
    alphabet="!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    min_size=1,
    max_size=8,
)
small_token = st.sampled_from(["A", "a", "X-Y", "x-y", "Set-Cookie", "SET-COOKIE", "b"])
# What a header value may hold: HTAB and Latin-1 without control characters.
safe_value = st.text(
    st.characters(max_codepoint=0xFF, exclude_categories=["Cc"], include_characters="\t"),
    max_size=12,
)
any_text = st.text(max_size=12)
pairs = st.lists(st.tuples(small_token | token, safe_value), max_size=6)

write_op = st.one_of(
    st.tuples(st.just("add"), st.tuples(small_token, safe_value)),
    st.tuples(st.just("set"), st.tuples(small_token, safe_value)),
    st.tuples(st.just("__setitem__"), st.tuples(small_token, safe_value)),
    st.tuples(st.just("setdefault"), st.tuples(small_token, safe_value)),
    st.tuples(st.just("setlist"), st.tuples(small_token, st.lists(safe_value, max_size=3))),
    st.tuples(st.just("setlistdefault"), st.tuples(small_token, st.lists(safe_value, max_size=3))),
    st.tuples(st.just("extend"), st.tuples(pairs)),
    st.tuples(st.just("update"), st.tuples(pairs)),
    st.tuples(
        st.just("update"),
        st.tuples(st.dictionaries(small_token, safe_value | st.lists(safe_value, max_size=2))),
    ),
    st.tuples(st.just("remove"), st.tuples(small_token)),
    st.tuples(st.just("__delitem__"), st.tuples(small_token)),
    st.tuples(st.just("pop"), st.tuples(small_token, st.none())),
    st.tuples(st.just("get"), st.tuples(small_token)),
    st.tuples(st.just("getlist"), st.tuples(small_token)),
    st.tuples(st.just("__contains__"), st.tuples(small_token)),
)


@settings(max_examples=300)
@given(start=pairs, ops=st.lists(write_op, max_size=8))
def test_property_random_operations_match_werkzeug(
    start: list[tuple[str, str]], ops: list[tuple[str, tuple[Any, ...]]]
) -> None:
    sequence: list[Op] = [(name, args, {}) for name, args in ops]
    ours, theirs = Headers(start), WerkzeugHeaders(start)
    assert run(ours, sequence) == run(theirs, sequence)
    assert_same(ours, theirs)


@given(start=pairs, name=small_token, value=safe_value)
def test_property_lookup_ignores_case(start: list[tuple[str, str]], name: str, value: str) -> None:
    headers = Headers(start)
    headers.add(name, value)
    for key in (name, name.lower(), name.upper(), name.swapcase()):
        assert key in headers
        assert headers.getlist(key)[-1] == value


@given(start=pairs)
def test_property_insertion_order_kept(start: list[tuple[str, str]]) -> None:
    headers = Headers()
    for name, value in start:
        headers.add(name, value)
    assert list(headers) == start
    assert list(Headers(start)) == start


@given(start=pairs, name=small_token, values=st.lists(safe_value, min_size=1, max_size=4))
def test_property_set_leaves_one_add_appends(
    start: list[tuple[str, str]], name: str, values: list[str]
) -> None:
    headers = Headers(start)
    before = len(headers.getlist(name))
    for value in values:
        headers.add(name, value)
    assert len(headers.getlist(name)) == before + len(values)
    headers.set(name, "final")
    assert headers.getlist(name) == ["final"]
    assert headers[name] == "final"


def _write_attempts(name: Any, value: Any) -> list[Callable[[Headers], Any]]:
    return [
        lambda h: h.add(name, value),
        lambda h: h.add_header(name, value),
        lambda h: h.set(name, value),
        lambda h: h.__setitem__(name, value),
        lambda h: h.__setitem__(0, (name, value)),
        lambda h: h.__setitem__(slice(0, 1), [("Ok", "fine"), (name, value)]),
        lambda h: h.setdefault(name, value),
        lambda h: h.setlist(name, ["fine", value]),
        lambda h: h.setlistdefault(name, ["fine", value]),
        lambda h: h.extend({name: value}),
        lambda h: h.extend([("Ok", "fine"), (name, value)]),
        lambda h: h.extend({"Ok": "fine"}, **{name: value}) if isinstance(name, str) else None,
        lambda h: h.update({"Ok": "fine", name: value}),
        lambda h: h.update({"Ok": "fine", name: ["fine", value]}),
        lambda h: h.update([("Ok", "fine"), (name, value)]),
        lambda h: h.update(None, **{name: value}) if isinstance(name, str) else None,
        lambda h: h.add("Ok", "fine", **{"p": value}),
        lambda h: h.set("Ok", value, p="fine"),
        lambda h: h.__ior__({"Ok": "fine", name: value}),
        lambda h: h | {name: value},
    ]


WRITE_METHOD_COUNT = len(_write_attempts("x", "y"))


def _check_failed_write(start: list[tuple[str, str]], name: Any, value: Any) -> int:
    """Every write path either stores clean pairs or raises and changes nothing."""
    failures = 0
    for attempt in _write_attempts(name, value):
        headers = Headers([*start, ("Start", "s")])  # non-empty: index writes need a slot
        before = list(headers._list)
        try:
            result = attempt(headers)
        except (HeaderValueError, ArgumentTypeError):
            failures += 1
            assert headers._list == before
            continue
        for stored in [headers] + ([result] if isinstance(result, Headers) else []):
            for stored_name, stored_value in stored._list:
                assert type(stored_name) is str and type(stored_value) is str
                assert validate_header_name(stored_name) == stored_name
                assert not {"\r", "\n", "\0"} & set(stored_name + stored_value)
                if stored_name.lower() in ("location", "content-location"):
                    # An IRI is stored as given (as Werkzeug does) and made a
                    # URI when sent: what goes on the wire is what must be safe.
                    assert find_unsafe_char(iri_to_uri(stored_value)) is None, stored_value
                else:
                    assert find_unsafe_char(stored_value) is None, stored_value
    return failures


@settings(max_examples=150)
@given(start=pairs, name=any_text | token, value=any_text)
def test_property_no_unsafe_char_ever_stored(
    start: list[tuple[str, str]], name: str, value: str
) -> None:
    _check_failed_write(start, name, value)


# -- bad input ---------------------------------------------------------------

BAD_NAMES = [
    "",
    "Bad Name",
    " X",
    "X ",
    "X:",
    "X-Header: injected",
    "X\r\nInjected",
    "X\nY",
    "X\rY",
    "X\x00Y",
    "X\tY",
    "caf\u00e9",
    "\u212a",  # Kelvin sign, lowercases to ASCII k
    "X(Y)",
    "X,Y",
    "X;Y",
    "X=Y",
    'X"Y',
    "X/Y",
    "X@Y",
    "X[Y]",
    "X{Y}",
    "X\\Y",
    "X?",
    "\x7f",
]

BAD_VALUES = [
    ("\r", "CR"),
    ("\n", "LF"),
    ("\x00", "NUL"),
    ("a\r\nSet-Cookie: evil=1", "CR"),
    ("a\nLocation: http://evil", "LF"),
    ("a\rb", "CR"),
    ("ends\r\n", "CR"),
    ("\r\n\r\n<html>", "CR"),
    ("nul\x00byte", "NUL"),
    # every other control but HTAB, and anything Latin-1 cannot encode
    ("\x01\x7f", "U+0001"),
    ("a\x0bb", "U+000B"),
    ("a\x0cb", "U+000C"),
    ("a\x1cb", "U+001C"),
    ("a\x1fb", "U+001F"),
    ("del\x7f", "U+007F"),
    ("nel\x85Set-Cookie: a=1", "U+0085"),
    ("c1\x9f", "U+009F"),
    ("ls\u2028Set-Cookie: a=1", "U+2028"),
    ("ps\u2029", "U+2029"),
    ("caf\u00e9 \u2603", "U+2603"),
    ("bom\ufeff", "U+FEFF"),
    ("emoji\U0001f600", "U+1F600"),
    ("lone\ud800", "U+D800"),
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_header_name_rejected_on_every_write(name: str) -> None:
    with pytest.raises(HeaderValueError) as info:
        validate_header_name(name)
    assert repr(name) in str(info.value)
    # all but the two attempts that use only the value (as an option)
    assert _check_failed_write(BASE, name, "fine") == WRITE_METHOD_COUNT - 2


@pytest.mark.parametrize(("value", "label"), BAD_VALUES)
def test_header_injection_in_value_rejected_on_every_write(value: str, label: str) -> None:
    with pytest.raises(HeaderValueError) as info:
        validate_header_value("X-Test", value)
    assert "X-Test" in str(info.value)
    assert label in str(info.value)
    assert _check_failed_write(BASE, "X-Test", value) == WRITE_METHOD_COUNT


@pytest.mark.parametrize("value", [b"abc", bytearray(b"abc"), memoryview(b"abc")])
def test_bytes_value_rejected_naming_the_header(value: object) -> None:
    with pytest.raises(ArgumentTypeError, match="X-Bytes"):
        Headers().add("X-Bytes", value)
    with pytest.raises(ArgumentTypeError, match="X-Bytes"):
        Headers({"X-Bytes": value})
    with pytest.raises(ArgumentTypeError):
        Headers().add("X", "v", option=value)
    assert _check_failed_write(BASE, "X-Bytes", value) == WRITE_METHOD_COUNT


@pytest.mark.parametrize("name", [None, 1, b"X-Bytes", ("X",)])
def test_non_str_name_rejected(name: object) -> None:
    with pytest.raises(ArgumentTypeError):
        validate_header_name(name)
    with pytest.raises(ArgumentTypeError):
        Headers().add(name, "v")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError):
        Headers([(name, "v")])  # type: ignore[list-item]


@pytest.mark.parametrize(
    "defaults", ["not pairs", b"bytes", [("only-one",)], [("a", "b", "c")], [1], [None]]
)
def test_malformed_defaults_rejected(defaults: Any) -> None:
    with pytest.raises(ArgumentTypeError):
        Headers(defaults)
    headers = Headers(BASE)
    with pytest.raises(ArgumentTypeError):
        headers.extend(defaults)
    with pytest.raises(ArgumentTypeError):
        headers.update(defaults)
    assert list(headers) == BASE


def test_bad_option_name_rejected() -> None:
    with pytest.raises(HeaderValueError):
        Headers().add("X", "v", **{"bad name": "1"})
    with pytest.raises(HeaderValueError):
        dump_options("v", {"a=b": "1"})


def test_option_value_injection_rejected() -> None:
    headers = Headers(BASE)
    with pytest.raises(HeaderValueError):
        headers.add("Content-Disposition", "attachment", filename="a\r\nX: y")
    assert list(headers) == BASE


@pytest.mark.parametrize("key", [1.5, b"X-A", None])
def test_non_str_lookup_keys(key: Any) -> None:
    headers = Headers(BASE)
    assert (key in headers) is False
    with pytest.raises(ArgumentTypeError):
        headers.get(key)
    with pytest.raises(ArgumentTypeError):
        headers.getlist(key)
    with pytest.raises((ArgumentTypeError, TypeError)):
        headers[key]
    with pytest.raises((ArgumentTypeError, TypeError)):
        del headers[key]
    assert list(headers) == BASE


# -- deliberate differences from Werkzeug ------------------------------------


def test_werkzeug_accepts_bad_names_and_nul_erlen_does_not() -> None:
    theirs = WerkzeugHeaders()
    theirs.add("Bad Name: x", "v")
    theirs.add("X", "nul\x00")
    theirs[0] = ("Y\r\nZ", "v")
    assert len(theirs) == 2
    for name, value in [("Bad Name: x", "v"), ("X", "nul\x00"), ("Y\r\nZ", "v")]:
        with pytest.raises(HeaderValueError):
            Headers().add(name, value)


def test_werkzeug_stores_repr_of_bytes_erlen_refuses() -> None:
    theirs = WerkzeugHeaders()
    theirs.add("X", b"abc")
    assert theirs["X"] == "b'abc'"
    with pytest.raises(ArgumentTypeError):
        Headers().add("X", b"abc")


def test_options_with_non_str_value() -> None:
    with pytest.raises(TypeError):
        WerkzeugHeaders().add("X", 5, a="1")
    headers = Headers()
    headers.add("X", 5, a="1")
    assert headers["X"] == "5; a=1"


def test_setlist_with_empty_iterator_removes() -> None:
    theirs = WerkzeugHeaders(BASE)
    with pytest.raises(StopIteration):
        theirs.setlist("X-A", iter([]))
    ours = Headers(BASE)
    ours.setlist("X-A", iter([]))
    assert "X-A" not in ours


def test_str_subclass_value_checked_by_its_text() -> None:
    class Sneaky(str):
        def __contains__(self, item: object) -> bool:
            return False

    with pytest.raises(HeaderValueError):
        Headers().add("X", Sneaky("a\r\nb"))
    headers = Headers()
    headers.add(Sneaky("X-Name"), Sneaky("ok"))
    assert type(headers._list[0][0]) is str
    assert type(headers._list[0][1]) is str


def test_failed_multi_item_write_is_atomic() -> None:
    # Werkzeug applies the good items before reaching the bad one.
    theirs = WerkzeugHeaders(BASE)
    with pytest.raises(ValueError):
        theirs.extend([("Good", "1"), ("Bad", "a\nb")])
    assert "Good" in theirs
    ours = Headers(BASE)
    with pytest.raises(HeaderValueError):
        ours.extend([("Good", "1"), ("Bad", "a\nb")])
    assert list(ours) == BASE


# -- value alphabet: HTAB, visible ASCII, space and U+00A0-U+00FF only ----------


def _sendable(text: str) -> bool:
    """The rule, stated independently: Latin-1 encodable, no Cc character but HTAB."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return all(char == "\t" or unicodedata.category(char) != "Cc" for char in text)


@given(value=st.text(max_size=16))
def test_property_value_accepted_exactly_when_sendable(value: str) -> None:
    if _sendable(value):
        assert validate_header_value("X-A", value) == value
        assert find_unsafe_char(value) is None
    else:
        with pytest.raises(HeaderValueError) as info:
            validate_header_value("X-A", value)
        label = find_unsafe_char(value)
        assert label is not None and label in str(info.value)
        assert "X-A" in str(info.value)


@pytest.mark.parametrize(
    "value", ["tab\there", "caf\u00e9", "nbsp\u00a0", "\u00ff\u00a1", " ", "", "~!@#"]
)
def test_sendable_values_stored_as_werkzeug_stores_them(value: str) -> None:
    ours, theirs = Headers(), WerkzeugHeaders()
    ours["X-A"] = value
    theirs["X-A"] = value
    assert_same(ours, theirs)


def test_werkzeug_stores_values_latin1_cannot_encode() -> None:
    """Why erlen refuses them at the write: Werkzeug keeps them and the server fails later."""
    theirs = WerkzeugHeaders()
    theirs["X-A"] = "snow\u2603"
    with pytest.raises(UnicodeEncodeError):
        theirs["X-A"].encode("latin-1")
    with pytest.raises(HeaderValueError, match="U\\+2603"):
        Headers()["X-A"] = "snow\u2603"


def test_trusted_pairs_are_not_validated() -> None:
    headers = Headers._from_trusted([("X-A", "a\x0bb")])
    assert headers["X-A"] == "a\x0bb"


# -- Location and Content-Location: any IRI the adapters can convert ------------

URI_HEADER_NAMES = ["Location", "location", "LOCATION", "Content-Location", "content-LOCATION"]


@pytest.mark.parametrize("name", URI_HEADER_NAMES)
@pytest.mark.parametrize(
    "value",
    ["/a\x0bb", "http://\u2603.net/", "/caf\u00e9?q=\u2028", "http://ex.com/\x85", "/a b"],
)
def test_uri_headers_take_iris_and_store_them_as_given(name: str, value: str) -> None:
    # Werkzeug stores these and converts them when sending; so does erlen.
    ours, theirs = Headers(), WerkzeugHeaders()
    ours[name] = value
    theirs[name] = value
    assert_same(ours, theirs)


@pytest.mark.parametrize("name", URI_HEADER_NAMES)
@pytest.mark.parametrize(
    "value",
    [
        "http://ex\x85ample.com/",
        "http://ex\u2028ample.com/",
        "http://a..b/",
        "http://host:99999/",
        "http://host:port/",
        "http://[::1/",
        "/lone\ud800",
        "/a\r\nSet-Cookie: x=1",
        "/nul\x00",
    ],
)
def test_uri_headers_refuse_what_cannot_be_converted_at_the_write(name: str, value: str) -> None:
    headers = Headers([("X-Keep", "1")])
    with pytest.raises(LocationValueError):
        headers[name] = value
    with pytest.raises(LocationValueError):
        headers.add(name, value)
    with pytest.raises(LocationValueError):
        Headers({name: value})
    assert list(headers) == [("X-Keep", "1")]


def test_uri_header_rule_does_not_apply_to_other_names_of_the_same_length() -> None:
    with pytest.raises(HeaderValueError):
        Headers()["X-Locate"] = "http://\u2603.net/"
    assert Headers({"X-Locate": "http://[::1/"})["X-Locate"] == "http://[::1/"


# -- replace_header: the one "replace the first, drop the rest" rule ------------------

_NAMES = st.sampled_from(["X-A", "x-a", "X-B", "Content-Type", "content-type", "X-\u0130"])


@given(
    pairs=st.lists(st.tuples(_NAMES, st.text(max_size=3)), max_size=8),
    name=_NAMES,
    value=st.text(max_size=3),
)
def test_replace_header_replaces_the_first_and_drops_the_rest(
    pairs: list[tuple[str, str]], name: str, value: str
) -> None:
    # The rule written out one pair at a time: the C-loop version must agree.
    lowered = name.lower()
    expected: list[tuple[str, str]] = []
    replaced = False
    for pair in pairs:
        if pair[0].lower() != lowered:
            expected.append(pair)
        elif not replaced:
            expected.append((name, value))
            replaced = True
    if not replaced:
        expected.append((name, value))
    got = list(pairs)
    replace_header(got, name, value)
    assert got == expected
