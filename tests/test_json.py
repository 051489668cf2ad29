"""erlen.json against flask.json: byte-identical output, plus the NaN refusal."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import io
import json as stdlib_json
import math
import uuid
from collections import OrderedDict
from typing import IO, Any

import flask
import flask.json
import pytest
from hypothesis import given, settings, strategies as st
from markupsafe import Markup

import erlen.json as ej
from erlen.ctx import Context, _cv_context
from erlen.errors import ArgumentTypeError, JSONValueError


class _RecordedResponse:
    """Stands in for erlen.response.Response while that module is being written."""

    def __init__(self, body: str, mimetype: str) -> None:
        self.body = body.encode("utf-8")
        self.mimetype = mimetype


def _response_class() -> Any:
    try:
        from erlen.response import Response
    except ImportError:
        return _RecordedResponse
    return Response


class FakeApp:
    """The three things a provider needs from an app."""

    def __init__(self, debug: bool = False) -> None:
        self.debug = debug
        self.response_class = _response_class()
        self.json: ej.JSONProvider = ej.DefaultJSONProvider(self)


def _body_and_type(response: Any) -> tuple[bytes, str]:
    if isinstance(response, _RecordedResponse):
        # Flask adds no charset to application/json, so the header is the mimetype.
        return response.body, response.mimetype
    return response.get_data(), response.headers["Content-Type"]


@pytest.fixture(scope="module")
def flask_app() -> flask.Flask:
    return flask.Flask("oracle")


@dataclasses.dataclass
class Point:
    x: int
    y: float
    label: str = "p"


@dataclasses.dataclass
class Event:
    name: str
    when: dt.datetime
    points: list[Point]
    tags: dict[str, Any]


class Html:
    def __html__(self) -> str:
        return "<b>bold</b> & é"


class HtmlReturningMarkup:
    def __html__(self) -> Markup:
        return Markup("<i>x</i>")


UTC = dt.timezone.utc
PLUS5 = dt.timezone(dt.timedelta(hours=5, minutes=30))
MINUS8 = dt.timezone(dt.timedelta(hours=-8))

LONE_SURROGATE = "\ud800 lone surrogate"

VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    -(2**70),
    0.0,
    -0.0,
    0.1,
    1e16,
    1e-7,
    2.5e-5,
    1.7976931348623157e308,
    5e-324,
    123456789.125,
    "",
    "plain",
    'quote" backslash\\ slash/',
    "é ü ß 日本語 🎉",
    "\x00\x01\x1f\x7f\b\f\n\r\t",
    "\u2028\u2029",
    "<script>alert('x')</script>&",
    LONE_SURROGATE,
    [],
    {},
    [1, "a", None, True, 2.5],
    (1, 2, 3),
    {"b": 1, "a": 2, "c": {"z": [1, {"y": 2, "x": 3}], "é": "ü"}},
    {"": 0, " ": 1, "A": 2, "a": 3, "_": 4, "日": 5},
    OrderedDict([("z", 1), ("a", 2)]),
    [[[[["deep"]]]]],
    {"nested": {"list": [{"k": v} for v in range(5)]}},
    dt.date(2020, 1, 2),
    dt.date(1999, 12, 31),
    dt.datetime(2015, 10, 21, 7, 28),
    dt.datetime(2015, 10, 21, 7, 28, 5, 123456),
    dt.datetime(2015, 10, 21, 7, 28, tzinfo=UTC),
    dt.datetime(2015, 10, 21, 2, 0, tzinfo=PLUS5),
    dt.datetime(2015, 10, 21, 23, 59, 59, tzinfo=MINUS8),
    dt.datetime(1970, 1, 1),
    {"when": dt.datetime(2021, 3, 4, 5, 6, 7), "day": dt.date(2021, 3, 4)},
    decimal.Decimal("1.10"),
    decimal.Decimal("-0.000001"),
    decimal.Decimal("1E+3"),
    decimal.Decimal("NaN"),
    [decimal.Decimal("3.14159265358979323846264338327950288")],
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    {"id": uuid.UUID(int=0)},
    Point(1, 2.5),
    [Point(-1, 0.0, "é")],
    Event(
        "launch", dt.datetime(2022, 2, 2, tzinfo=UTC), [Point(1, 1.0)], {"k": [decimal.Decimal(1)]}
    ),
    Markup("<b>safe</b>"),
    Html(),
    HtmlReturningMarkup(),
    {"html": Html(), "uuid": uuid.UUID(int=1), "dec": decimal.Decimal("2")},
    {"id": 123, "username": "alice", "email": "alice@example.com"},
    {"users": ["alice", "bob"], "count": 2},
    {"status": "logged in"},
]

# Provider settings as (debug, attribute overrides); each runs over every value.
MODES: list[tuple[bool, dict[str, Any]]] = [
    (False, {}),
    (True, {}),
    (False, {"ensure_ascii": False}),
    (False, {"sort_keys": False}),
    (True, {"compact": True}),
    (False, {"compact": False, "ensure_ascii": False, "sort_keys": False}),
]


def _mode_id(mode: tuple[bool, dict[str, Any]]) -> str:
    debug, overrides = mode
    return ("debug" if debug else "prod") + "".join(f"-{k}={v}" for k, v in overrides.items())


def _encodable_with(value: Any, overrides: dict[str, Any]) -> bool:
    # A lone surrogate cannot be UTF-8 encoded into a response body without escapes.
    return overrides.get("ensure_ascii", True) or value is not LONE_SURROGATE


def _flask_jsonify(
    flask_app: flask.Flask, debug: bool, overrides: dict[str, Any], *args: Any, **kwargs: Any
) -> tuple[bytes, str]:
    flask_app.debug = debug
    for name, setting in overrides.items():
        setattr(flask_app.json, name, setting)
    try:
        with flask_app.app_context():
            response = flask.jsonify(*args, **kwargs)
            return response.get_data(), response.headers["Content-Type"]
    finally:
        for name in overrides:
            delattr(flask_app.json, name)


def _erlen_jsonify(
    debug: bool, overrides: dict[str, Any], *args: Any, **kwargs: Any
) -> tuple[bytes, str]:
    app = FakeApp(debug)
    for name, setting in overrides.items():
        setattr(app.json, name, setting)
    with _erlen_context(app):
        return _body_and_type(ej.jsonify(*args, **kwargs))


class _erlen_context:
    def __init__(self, app: Any) -> None:
        self.app = app

    def __enter__(self) -> None:
        self.token = _cv_context.set(Context(self.app))

    def __exit__(self, *exc: object) -> None:
        _cv_context.reset(self.token)


@pytest.mark.parametrize("mode", MODES, ids=_mode_id)
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_jsonify_matches_flask(
    flask_app: flask.Flask, value: Any, mode: tuple[bool, dict[str, Any]]
) -> None:
    debug, overrides = mode
    if not _encodable_with(value, overrides):
        pytest.skip("lone surrogate without ASCII escaping cannot be a UTF-8 body")
    expected = _flask_jsonify(flask_app, debug, overrides, value)
    assert _erlen_jsonify(debug, overrides, value) == expected


CALL_FORMS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((), {}),
    ((1,), {}),
    ((1, 2, 3), {}),
    (("a", {"b": 1}, [None]), {}),
    (((1, 2),), {}),
    ((), {"b": 1, "a": [1, 2]}),
    ((), {"when": dt.date(2000, 1, 1), "id": uuid.UUID(int=5)}),
]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(("args", "kwargs"), CALL_FORMS, ids=repr)
def test_jsonify_call_forms_match_flask(
    flask_app: flask.Flask, args: tuple[Any, ...], kwargs: dict[str, Any], debug: bool
) -> None:
    expected = _flask_jsonify(flask_app, debug, {}, *args, **kwargs)
    assert _erlen_jsonify(debug, {}, *args, **kwargs) == expected


def test_jsonify_no_arguments_is_null() -> None:
    assert _erlen_jsonify(False, {})[0] == b"null\n"


def test_jsonify_args_and_kwargs_is_type_error(flask_app: flask.Flask) -> None:
    with flask_app.app_context(), pytest.raises(TypeError):
        flask.jsonify(1, a=2)
    app = FakeApp()
    with _erlen_context(app), pytest.raises(TypeError, match="not both"):
        ej.jsonify(1, a=2)


def test_jsonify_outside_context_is_runtime_error() -> None:
    with pytest.raises(RuntimeError):
        flask.jsonify(1)
    with pytest.raises(RuntimeError, match="outside of application context"):
        ej.jsonify(1)


def test_custom_mimetype_is_used() -> None:
    app = FakeApp()
    app.json.mimetype = "application/vnd.api+json"  # type: ignore[attr-defined]
    assert isinstance(app.json, ej.DefaultJSONProvider)
    _, content_type = _body_and_type(app.json.response({"a": 1}))
    assert content_type.startswith("application/vnd.api+json")


DUMPS_KWARGS: list[dict[str, Any]] = [
    {},
    {"indent": 2},
    {"indent": "\t"},
    {"separators": (",", ":")},
    {"separators": (";", "=")},
    {"sort_keys": False},
    {"ensure_ascii": False},
    {"sort_keys": False, "separators": (",", ":")},
]
DUMPS_VALUES = [
    *[v for v in VALUES if v is not LONE_SURROGATE][::3],
    {"b": [1, {"d": 2, "c": dt.date(2001, 2, 3)}], "a": "é"},
]


@pytest.mark.parametrize("kwargs", DUMPS_KWARGS, ids=repr)
@pytest.mark.parametrize("value", DUMPS_VALUES, ids=repr)
def test_provider_and_module_dumps_match_flask(
    flask_app: flask.Flask, value: Any, kwargs: dict[str, Any]
) -> None:
    # Outside a context both fall back to json.dumps with the extra types.
    assert ej.dumps(value, **kwargs) == flask.json.dumps(value, **kwargs)
    with flask_app.app_context():
        expected = flask.json.dumps(value, **kwargs)
        expected_provider = flask_app.json.dumps(value, **kwargs)
    app = FakeApp()
    with _erlen_context(app):
        assert ej.dumps(value, **kwargs) == expected
    assert app.json.dumps(value, **kwargs) == expected_provider == expected


def test_module_dumps_outside_context_keeps_key_order() -> None:
    assert ej.dumps({"b": 1, "a": 2}) == '{"b": 1, "a": 2}'
    assert ej.dumps({"b": 1, "a": 2}) == flask.json.dumps({"b": 1, "a": 2})


def test_dump_and_load_match_flask(flask_app: flask.Flask) -> None:
    value = {"b": [1, 2], "a": dt.date(2020, 5, 6), "é": None}
    ours, theirs = io.StringIO(), io.StringIO()
    ej.dump(value, ours)
    flask.json.dump(value, theirs)
    assert ours.getvalue() == theirs.getvalue()
    app = FakeApp()
    ours, theirs = io.StringIO(), io.StringIO()
    with _erlen_context(app):
        ej.dump(value, ours)
        assert ej.load(io.StringIO(ours.getvalue())) == ej.loads(ours.getvalue())
        assert ej.load(io.BytesIO(ours.getvalue().encode())) == {
            "a": "Wed, 06 May 2020 00:00:00 GMT",
            "b": [1, 2],
            "é": None,
        }
    with flask_app.app_context():
        flask.json.dump(value, theirs)
    assert ours.getvalue() == theirs.getvalue()


@pytest.mark.parametrize(
    "text",
    ['{"a": [1, 2.5, null, true]}', b'{"\\u00e9": "x"}', "[]", '"s"', "1e400", b"\xef\xbb\xbf[1]"],
    ids=repr,
)
def test_loads_matches_flask(flask_app: flask.Flask, text: str | bytes) -> None:
    def run(loads: Any) -> Any:
        try:
            return ("ok", loads(text))
        except ValueError as error:
            return ("error", type(error).__name__)

    assert run(ej.loads) == run(flask.json.loads)
    stream: IO[Any] = io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text)
    assert run(lambda _: ej.load(stream)) == run(flask.json.loads)
    assert run(FakeApp().json.loads) == run(flask_app.json.loads)


class Unknown:
    pass


@pytest.mark.parametrize(
    "value", [object(), Unknown(), {1, 2}, dt.time(1, 2), b"bytes", [complex(1, 2)]], ids=repr
)
def test_unknown_types_raise_type_error_like_flask(flask_app: flask.Flask, value: Any) -> None:
    with flask_app.app_context(), pytest.raises(TypeError) as flask_error:
        flask.jsonify(value)
    with _erlen_context(FakeApp()), pytest.raises(ArgumentTypeError) as erlen_error:
        ej.jsonify(value)
    assert str(erlen_error.value) == str(flask_error.value)
    assert type(value if not isinstance(value, list) else value[0]).__name__ in str(
        erlen_error.value
    )


def test_custom_default_is_used() -> None:
    class Provider(ej.DefaultJSONProvider):
        @staticmethod
        def default(value: Any) -> Any:
            if isinstance(value, set):
                return sorted(value)
            return ej.DefaultJSONProvider.default(value)

    app = FakeApp()
    app.json = Provider(app)
    assert app.json.dumps({"s": {3, 1, 2}}) == '{"s": [1, 2, 3]}'
    assert _body_and_type(app.json.response({"s": {2, 1}}))[0] == b'{"s":[1,2]}\n'


def test_settings_changed_at_run_time_take_effect() -> None:
    app = FakeApp()
    provider = app.json
    assert isinstance(provider, ej.DefaultJSONProvider)
    assert provider.dumps({"b": "é", "a": 1}) == '{"a": 1, "b": "\\u00e9"}'
    provider.sort_keys = False
    provider.ensure_ascii = False
    assert provider.dumps({"b": "é", "a": 1}) == '{"b": "é", "a": 1}'
    app.debug = True
    assert _body_and_type(provider.response([1]))[0] == b"[\n  1\n]\n"


def test_overridden_dumps_is_used_by_response() -> None:
    calls: list[dict[str, Any]] = []

    class Provider(ej.DefaultJSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            calls.append(kwargs)
            return super().dumps(obj, **kwargs)

    app = FakeApp()
    app.json = Provider(app)
    app.json.response(1)
    app.debug = True
    app.json.response(1)
    assert calls == [{"separators": (",", ":")}, {"indent": 2}]


def test_base_provider_response_and_abstract_methods() -> None:
    class Provider(ej.JSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return stdlib_json.dumps(obj)

    app = FakeApp()
    provider = Provider(app)
    body, content_type = _body_and_type(provider.response(b=1, a=2))
    assert body == b'{"b": 1, "a": 2}'
    assert content_type == "application/json"
    with pytest.raises(NotImplementedError):
        ej.JSONProvider(app).dumps(1)
    with pytest.raises(NotImplementedError):
        ej.JSONProvider(app).loads("1")


def test_provider_does_not_keep_app_alive() -> None:
    import gc
    import weakref

    app = FakeApp()
    ref = weakref.ref(app)
    del app
    gc.collect()
    assert ref() is None


# --- NaN / Infinity: the deliberate difference --------------------------------

NON_FINITE = [math.nan, math.inf, -math.inf]
NON_FINITE_CONTAINERS = [
    lambda v: v,
    lambda v: [1, v],
    lambda v: {"a": {"b": [v]}},
    lambda v: Point(1, v),
]


@pytest.mark.parametrize("wrap", NON_FINITE_CONTAINERS)
@pytest.mark.parametrize("value", NON_FINITE, ids=repr)
def test_nan_and_infinity_are_refused_not_emitted(value: float, wrap: Any) -> None:
    obj = wrap(value)
    # Flask writes the invalid tokens; erlen refuses them everywhere.
    assert any(token in flask.json.dumps(obj) for token in ("NaN", "Infinity"))
    for debug in (False, True):
        app = FakeApp(debug)
        with pytest.raises(JSONValueError, match="not valid JSON"):
            app.json.response(obj)
        with pytest.raises(JSONValueError, match="not valid JSON"):
            app.json.dumps(obj)
        with _erlen_context(app), pytest.raises(JSONValueError, match="not valid JSON"):
            ej.jsonify(obj)
    with pytest.raises(JSONValueError, match="not valid JSON"):
        ej.dumps(obj)
    with pytest.raises(JSONValueError, match="not valid JSON"):
        FakeApp().json.dumps(obj, indent=2)


def test_nan_error_is_a_value_error_and_dump_writes_nothing() -> None:
    out = io.StringIO()
    with pytest.raises(ValueError):
        ej.dump({"a": [1, 2, math.nan]}, out)
    assert out.getvalue() == ""


def test_nan_allowed_only_when_asked() -> None:
    assert ej.dumps([math.nan], allow_nan=True) == "[NaN]"
    assert FakeApp().json.dumps([math.inf], allow_nan=True) == "[Infinity]"


def test_circular_reference_is_still_value_error() -> None:
    loop: list[Any] = []
    loop.append(loop)
    app = FakeApp()
    with pytest.raises(ValueError, match="Circular"):
        app.json.response(loop)


# --- orjson: why it is used only for plain values ------------------------------


class Color(enum.Enum):
    RED = "red"

    def __html__(self) -> str:
        return "<red>"


def test_orjson_alone_would_differ_from_stdlib_in_ways_its_output_hides() -> None:
    # Why erlen.json._orjson checks the value before handing it over (the
    # byte-for-byte properties are in tests/test_json_orjson.py).
    orjson = pytest.importorskip("orjson")
    compact = FakeApp().json
    assert orjson.dumps([2.5e-5]).decode() != compact.dumps([2.5e-5], separators=(",", ":"))
    assert orjson.dumps([Color.RED]).decode() != compact.dumps([Color.RED], separators=(",", ":"))
    assert orjson.dumps([math.nan]) == b"[null]"
    assert orjson.dumps("\x7f").decode() != compact.dumps("\x7f")


# --- properties ---------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(value=json_values, ensure_ascii=st.booleans(), sort_keys=st.booleans())
def test_property_provider_dumps_matches_flask(
    flask_app: flask.Flask, value: Any, ensure_ascii: bool, sort_keys: bool
) -> None:
    app = FakeApp()
    provider = app.json
    assert isinstance(provider, ej.DefaultJSONProvider)
    provider.ensure_ascii = ensure_ascii
    provider.sort_keys = sort_keys
    flask_provider = flask.json.provider.DefaultJSONProvider(flask_app)
    flask_provider.ensure_ascii = ensure_ascii
    flask_provider.sort_keys = sort_keys
    for kwargs in ({}, {"separators": (",", ":")}, {"indent": 2}):
        assert provider.dumps(value, **kwargs) == flask_provider.dumps(value, **kwargs)
    assert provider.loads(provider.dumps(value)) == value


@settings(max_examples=200, deadline=None)
@given(value=json_values, debug=st.booleans())
def test_property_jsonify_matches_flask(flask_app: flask.Flask, value: Any, debug: bool) -> None:
    assert _erlen_jsonify(debug, {}, value) == _flask_jsonify(flask_app, debug, {}, value)


@settings(max_examples=100, deadline=None)
@given(
    value=st.recursive(
        st.sampled_from([math.nan, math.inf, -math.inf]),
        lambda children: (
            st.lists(children, min_size=1, max_size=3)
            | st.dictionaries(st.text(), children, min_size=1, max_size=3)
        ),
        max_leaves=5,
    )
)
def test_property_non_finite_always_refused(value: Any) -> None:
    app = FakeApp()
    with pytest.raises(JSONValueError):
        app.json.response(value)
