"""orjson in the default JSON provider: used for plain values, and never a
byte different from the standard library's (and so from Flask's)."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import math
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st
from markupsafe import Markup

import erlen
import erlen.json as ej
from erlen.json import _orjson
from tests.support import make_twin_apps

orjson = pytest.importorskip("orjson")

COMPACT = {"separators": (",", ":")}
PRETTY = {"indent": 2}


class _App:
    """What a provider reads from its app."""

    def __init__(self, debug: bool = False) -> None:
        self.debug = debug
        self.response_class = erlen.Response
        self.json = ej.DefaultJSONProvider(self)


def _outcome(encode: Callable[[], str]) -> tuple[str, Any]:
    try:
        return "ok", encode()
    except Exception as error:  # both paths must fail alike, message included
        return "error", (type(error), str(error))


def _both(value: Any, kwargs: dict[str, Any], **settings_: Any) -> tuple[Any, Any]:
    provider = _App().json
    for name, setting in settings_.items():
        setattr(provider, name, setting)
    assert _orjson.orjson_active()
    with_orjson = _outcome(lambda: provider.dumps(value, **kwargs))
    saved = _orjson._loaded
    _orjson._loaded = False
    try:
        stdlib = _outcome(lambda: provider.dumps(value, **kwargs))
    finally:
        _orjson._loaded = saved
    return with_orjson, stdlib


# --- the values: every JSON type and every way orjson could differ -------------


class Color(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    LOW = 1


class Mood(str, enum.Enum):
    HAPPY = "happy"


class Text(str):
    pass


class Number(int):
    pass


class Real(float):
    pass


class Items(list):  # type: ignore[type-arg]
    pass


class Mapping(dict):  # type: ignore[type-arg]
    pass


Pair = collections.namedtuple("Pair", "left right")


@dataclasses.dataclass
class Point:
    x: int
    y: float


class Html:
    def __html__(self) -> str:
        return "<b>x</b>"


EDGE_FLOATS = [
    0.0,
    -0.0,
    1e-4,
    -1e-4,
    9.999999999999999e-5,
    1e-5,
    2.5e-5,
    1e-7,
    5e-324,
    1e15,
    9999999999999998.0,
    1e16,
    -1e16,
    1.7976931348623157e308,
    0.1,
    1 / 3,
    math.nan,
    math.inf,
    -math.inf,
]
EDGE_STRINGS = ["\x7f", "a\x7fb", "é", "\ud800", "\U0001f389", '\x00\x1f\b\f\n\r\t"\\/']
EDGE_INTS = [0, -1, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**30]
OTHERS = [
    dt.date(2020, 1, 2),
    dt.datetime(2015, 10, 21, 7, 28, 5, 123456),
    dt.datetime(2015, 10, 21, 7, 28, tzinfo=dt.timezone.utc),
    dt.time(1, 2),
    uuid.UUID(int=5),
    decimal.Decimal("1.10"),
    decimal.Decimal("1E+3"),
    Point(1, 2.5),
    Markup("<i>&</i>"),
    Html(),
    Color.RED,
    Level.LOW,
    Mood.HAPPY,
    Text("sub"),
    Number(7),
    Real(1e-5),
    Real(2.5),
    Items([1, 2]),
    Mapping(b=1, a=2),
    collections.OrderedDict([("z", 1), ("a", 2)]),
    Pair(1, "two"),
    object(),
    b"bytes",
]

characters = (
    st.characters(max_codepoint=0x7F)
    | st.characters()
    | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
    | st.sampled_from(["\x7f", "\x00", "\x1f", '"', "\\", "/", "\u2028", "\U0001f389"])
)
strings = (
    st.text(st.characters(max_codepoint=0x7F), max_size=8)
    | st.text(st.sampled_from('ab/"\\\x00\x1f\x7f'), max_size=4)
    | st.text(characters, max_size=8)
)
floats = (
    st.floats()
    | st.sampled_from(EDGE_FLOATS)
    | st.floats(min_value=1e-6, max_value=1e-3)
    | st.floats(min_value=-1e-3, max_value=-1e-6)
    | st.floats(min_value=1e14, max_value=1e18)
    | st.floats(min_value=-1e18, max_value=-1e14)
    | st.floats(min_value=-1e4, max_value=1e4)
)
ints = st.integers(min_value=-(2**65), max_value=2**65) | st.sampled_from(EDGE_INTS) | st.integers()
# What orjson may be given: the JSON types, with every edge the walk and the
# output checks must catch (exponent floats, NaN, big ints, non-ASCII, DEL,
# lone surrogates).
json_scalars = st.none() | st.booleans() | ints | floats | strings
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(strings, children, max_size=5)
    ),
    max_leaves=20,
)
keys = (
    strings
    | st.integers(min_value=-5, max_value=5)
    | st.sampled_from([1.5, True, None, Text("k"), Mood.HAPPY])
)
# Everything else: Flask's extra types, subclasses, non-str keys.
any_values = st.recursive(
    json_scalars | st.sampled_from(OTHERS) | st.dates() | st.uuids() | st.decimals(),
    lambda children: (
        st.lists(children, max_size=5)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(strings, children, max_size=5)
        | st.dictionaries(keys, children, max_size=3)
        | st.lists(children, max_size=3).map(Items)
        | st.dictionaries(strings, children, max_size=3).map(collections.OrderedDict)
    ),
    max_leaves=20,
)


@pytest.mark.parametrize("kwargs", [COMPACT, PRETTY], ids=["compact", "pretty"])
@pytest.mark.parametrize("small_walk", [_orjson._SMALL_WALK, 0], ids=["one-by-one", "by-level"])
@settings(max_examples=400, deadline=None)
@given(value=json_values | any_values, sort_keys=st.booleans())
def test_orjson_output_is_the_stdlib_output_byte_for_byte(
    kwargs: dict[str, Any], small_walk: int, value: Any, sort_keys: bool
) -> None:
    """Each value is checked by the walk small values take, then by the level walk."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_orjson, "_SMALL_WALK", small_walk)
        with_orjson, stdlib = _both(value, kwargs, sort_keys=sort_keys)
    assert with_orjson == stdlib


@settings(max_examples=400, deadline=None)
@given(value=json_values | any_values, extras=st.booleans())
def test_both_walks_agree(value: Any, extras: bool) -> None:
    """The one-by-one walk of small values says what the level walk says."""
    kinds = _orjson._LEAF_AND_EXTRA_KINDS if extras else _orjson._LEAF_KINDS
    one_by_one = _orjson._small_plain_size(value, kinds)
    assert one_by_one is not None  # the values drawn are small enough
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_orjson, "_SMALL_WALK", 0)
        by_level = _orjson.plain_size(value, extras)
    assert one_by_one == by_level


@pytest.mark.parametrize("kwargs", [COMPACT, PRETTY], ids=["compact", "pretty"])
@pytest.mark.parametrize("value", [*EDGE_FLOATS, *EDGE_INTS, *EDGE_STRINGS, *OTHERS], ids=repr)
def test_each_edge_value_alone_and_nested(kwargs: dict[str, Any], value: Any) -> None:
    nested = [{"a": [value, 1]}], [1.5, 1, "x", [value]], [1.5, value]
    for wrapped in (value, [value], {"k": value}, *nested):
        with_orjson, stdlib = _both(wrapped, kwargs)
        assert with_orjson == stdlib


@pytest.mark.parametrize("ensure_ascii", [True, False])
@pytest.mark.parametrize("kwargs", [COMPACT, PRETTY], ids=["compact", "pretty"])
def test_changed_settings_give_the_stdlib_bytes(kwargs: dict[str, Any], ensure_ascii: bool) -> None:
    value = {"b": "é\x7f", "a": [1, 2.5, "x"]}
    with_orjson, stdlib = _both(value, kwargs, ensure_ascii=ensure_ascii)
    assert with_orjson == stdlib


# --- orjson is really used (so the properties above cannot pass vacuously) ----


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record every value handed to orjson; its output is orjson's own."""
    assert _orjson.orjson_active()
    loaded = _orjson._loaded
    assert isinstance(loaded, tuple)
    dumps, *options = loaded
    calls: list[Any] = []

    def recording_dumps(obj: Any, **kwargs: Any) -> bytes:
        calls.append(obj)
        result: bytes = dumps(obj, **kwargs)
        return result

    monkeypatch.setattr(_orjson, "_loaded", (recording_dumps, *options))
    return calls


@pytest.mark.parametrize("debug", [False, True])
def test_jsonify_of_a_plain_value_goes_through_orjson(spy: list[Any], debug: bool) -> None:
    app = erlen.Flask(__name__)
    app.debug = debug
    value = {"id": 1, "name": "x", "tags": ["a", "b"], "score": 2.5}
    with app.app_context():
        body = erlen.jsonify(value).get_data()
    assert spy == [value]
    expected = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | (orjson.OPT_INDENT_2 * debug))
    assert body == expected + b"\n"


def test_orjson_output_is_what_the_provider_returns(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _orjson.orjson_active()
    loaded = _orjson._loaded
    assert isinstance(loaded, tuple)
    marked = (lambda obj, **kwargs: b'"from orjson"', *loaded[1:])
    monkeypatch.setattr(_orjson, "_loaded", marked)
    assert _App().json.dumps([1], **COMPACT) == '"from orjson"'


@pytest.mark.parametrize(
    "value",
    [["é"], ["\x7f"], [1e-5], [math.inf], [Color.RED], [uuid.UUID(int=1)], {1: 2}, [2**64]],
    ids=repr,
)
def test_values_orjson_would_change_are_left_to_the_stdlib(spy: list[Any], value: Any) -> None:
    with_orjson, stdlib = _both(value, COMPACT)
    assert with_orjson == stdlib


def test_dumps_without_arguments_keeps_the_stdlib(spy: list[Any]) -> None:
    # Its separators are ", " and ": ", which orjson cannot write.
    assert _App().json.dumps({"a": [1, 2]}) == '{"a": [1, 2]}'
    assert spy == []


def test_orjson_is_active_when_installed() -> None:
    assert ej.ORJSON_ACTIVE is True


# --- without orjson ------------------------------------------------------------


def test_without_orjson_everything_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "orjson", None)  # makes `import orjson` fail
    monkeypatch.setattr(_orjson, "_loaded", None)
    assert ej.ORJSON_ACTIVE is False
    app = erlen.Flask(__name__)
    with app.app_context():
        assert erlen.jsonify({"b": 1, "a": [1.5]}).get_data() == b'{"a":[1.5],"b":1}\n'
        app.debug = True
        assert erlen.jsonify([1]).get_data() == b"[\n  1\n]\n"
    assert _orjson._loaded is False


class _ChangedOrjson:
    """orjson as another version might behave."""

    OPT_SORT_KEYS = orjson.OPT_SORT_KEYS
    OPT_INDENT_2 = orjson.OPT_INDENT_2

    def __init__(self, dumps: Callable[..., bytes]) -> None:
        self.dumps = dumps


def _writes_1e15_with_an_exponent(obj: Any, option: int = 0) -> bytes:
    result: bytes = orjson.dumps(obj, option=option)
    return result.replace(b"1000000000000000.0", b"1e15")


def _accepts_str_subclass_keys(obj: Any, option: int = 0) -> bytes:
    try:
        result: bytes = orjson.dumps(obj, option=option)
    except TypeError:
        return b"{}"
    return result


@pytest.mark.parametrize("dumps", [_writes_1e15_with_an_exponent, _accepts_str_subclass_keys])
def test_an_orjson_that_fails_the_probes_is_not_used(
    monkeypatch: pytest.MonkeyPatch, dumps: Callable[..., bytes]
) -> None:
    monkeypatch.setitem(sys.modules, "orjson", _ChangedOrjson(dumps))
    monkeypatch.setattr(_orjson, "_loaded", None)
    assert _orjson.orjson_active() is False
    assert _App().json.dumps([1e15], **COMPACT) == "[1000000000000000.0]"


def test_import_erlen_does_not_import_orjson() -> None:
    code = (
        "import sys, erlen, erlen.json\n"
        "app = erlen.Flask('x')\n"
        "assert 'orjson' not in sys.modules, 'imported by import erlen'\n"
        "with app.app_context():\n"
        "    erlen.jsonify({'a': 1})\n"
        "assert 'orjson' in sys.modules, 'not imported on first use'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- against Flask ------------------------------------------------------------

SOURCE = """
import datetime, uuid
from erlen import Flask, jsonify

app = Flask(__name__)

VALUES = {
    "small": {"id": 1, "name": "x"},
    "list": [{"id": i, "name": f"u{i}", "score": i * 1.5, "tags": ["a", None]} for i in range(50)],
    "floats": [0.0, -0.0, 1e-4, 1e-5, 1e15, 1e16, 0.1],
    "text": ["caf\\u00e9", "\\x7f", "\\x00\\n\\"", "\\U0001f389"],
    "mixed": {"when": datetime.date(2020, 1, 2), "id": uuid.UUID(int=3), "n": 2**64},
}

@app.route("/<name>")
def show(name):
    return jsonify(VALUES[name])

@app.route("/debug/<name>")
def show_pretty(name):
    app.debug = True
    try:
        return jsonify(VALUES[name])
    finally:
        app.debug = False
"""


@pytest.fixture(scope="module")
def twins() -> Iterator[tuple[Any, Any]]:
    yield make_twin_apps(SOURCE)


@pytest.mark.parametrize("name", ["small", "list", "floats", "text", "mixed"])
@pytest.mark.parametrize("prefix", ["", "/debug"])
def test_jsonify_matches_flask(
    compare: Callable[..., Any], twins: tuple[Any, Any], name: str, prefix: str
) -> None:
    compare(twins, "GET", f"{prefix}/{name}")


def test_circular_values_still_report_the_cycle() -> None:
    loop: list[Any] = []
    loop.extend([loop, loop])  # branches: a walk that followed it would double each level
    with pytest.raises(ValueError, match="Circular"):
        _App().json.dumps(loop, **COMPACT)


@pytest.mark.parametrize("depth", [200, 254, 256, 300])
def test_deep_nesting_gives_the_stdlib_bytes(depth: int) -> None:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    with_orjson, stdlib = _both({"a": value}, COMPACT)
    assert with_orjson == stdlib


def test_a_list_shared_many_times_gives_the_stdlib_bytes() -> None:
    shared = list(range(100))
    value = [shared] * 50
    with_orjson, stdlib = _both(value, COMPACT)
    assert with_orjson == stdlib


def _isoformat(value: Any) -> Any:
    if isinstance(value, (dt.date, uuid.UUID, decimal.Decimal)):
        return f"custom {value}"
    raise TypeError(type(value).__name__)


@pytest.mark.parametrize("kwargs", [COMPACT, PRETTY], ids=["compact", "pretty"])
def test_a_replaced_default_is_still_called_for_dates_uuids_decimals(
    spy: list[Any], kwargs: dict[str, Any]
) -> None:
    value = [dt.date(2020, 1, 2), dt.datetime(2020, 1, 2, 3), uuid.UUID(int=1), decimal.Decimal(2)]
    with_orjson, stdlib = _both(value, kwargs, default=_isoformat)
    assert with_orjson == stdlib
    assert "custom 2020-01-02" in with_orjson[1]
    assert spy == []


def test_dates_uuids_decimals_go_to_orjson_with_the_stock_default(spy: list[Any]) -> None:
    value = {"day": dt.date(2020, 1, 2), "id": uuid.UUID(int=1), "price": decimal.Decimal("1.50")}
    with_orjson, stdlib = _both(value, COMPACT)
    assert with_orjson == stdlib
    assert spy == [value]


def test_the_json_benchmark_runs() -> None:
    from bench import json_encode

    results = json_encode.measure(rounds=1, budget=1.0)
    assert len(results) == 2 * len(json_encode.CASES)
    assert "speed-up" in json_encode.table(results)
