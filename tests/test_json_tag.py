"""erlen.json.tag against flask.json.tag: the same text, and each reads the other's."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

import flask
import pytest
from flask.json.tag import TaggedJSONSerializer as FlaskSerializer
from hypothesis import given, settings, strategies as st
from markupsafe import Markup

import erlen
from erlen.json.tag import JSONTag, TaggedJSONSerializer

ours = TaggedJSONSerializer()
theirs = FlaskSerializer()

TAG_KEYS = [" di", " t", " b", " m", " u", " d"]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.uuids(),
    st.datetimes(
        min_value=datetime(1900, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.just(timezone.utc),
    ).map(lambda moment: moment.replace(microsecond=0)),
    st.text(max_size=10).map(Markup),
)
KEYS = st.one_of(st.text(max_size=8), st.sampled_from(TAG_KEYS), st.sampled_from(["a__", " t__"]))
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(KEYS, children, max_size=4),
    ),
    max_leaves=12,
)


def flask_dumps_in_app(value: Any) -> str:
    with flask.Flask(__name__).app_context():
        return theirs.dumps(value)


def erlen_dumps_in_app(value: Any) -> str:
    with erlen.Flask(__name__).app_context():
        return ours.dumps(value)


@settings(max_examples=300, deadline=None)
@given(value=VALUES)
def test_same_text_as_flask_outside_an_app(value: Any) -> None:
    assert ours.dumps(value) == theirs.dumps(value)


@settings(max_examples=300, deadline=None)
@given(value=st.dictionaries(st.text(max_size=8), VALUES, max_size=4))
def test_same_text_as_flask_in_an_app(value: Any) -> None:
    # In an app the provider sorts keys (keys are strings there, as in a session).
    assert erlen_dumps_in_app(value) == flask_dumps_in_app(value)


@settings(max_examples=300, deadline=None)
@given(value=VALUES)
def test_each_reads_the_others_text(value: Any) -> None:
    assert ours.loads(theirs.dumps(value)) == theirs.loads(theirs.dumps(value))
    assert theirs.loads(ours.dumps(value)) == ours.loads(ours.dumps(value))


@settings(max_examples=300, deadline=None)
@given(value=VALUES)
def test_round_trip_keeps_the_value(value: Any) -> None:
    assert ours.loads(ours.dumps(value)) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ((1, 2), '{" t":[1,2]}'),
        (b"\x00\xff", '{" b":"AP8="}'),
        (Markup("<b>"), '{" m":"<b>"}'),
        (uuid.UUID(int=1), '{" u":"00000000000000000000000000000001"}'),
        (
            datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
            '{" d":"Thu, 02 Jan 2020 03:04:05 GMT"}',
        ),
        ({" t": 1}, '{" di":{" t__":1}}'),
        ({"a": (1,)}, '{"a":{" t":[1]}}'),
        ([(1,), b""], '[{" t":[1]},{" b":""}]'),
    ],
)
def test_wire_format(value: Any, text: str) -> None:
    assert ours.dumps(value) == text == theirs.dumps(value)
    assert ours.loads(text) == value


def test_markup_comes_back_as_markup() -> None:
    value = ours.loads(ours.dumps(Markup("<em>x</em>")))
    assert type(value) is Markup


def test_naive_datetime_comes_back_aware_in_utc() -> None:
    value = ours.loads(ours.dumps(datetime(2020, 5, 6, 7, 8, 9)))
    assert value == datetime(2020, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    assert value == theirs.loads(theirs.dumps(datetime(2020, 5, 6, 7, 8, 9)))


def test_unknown_tag_like_keys_stay_a_dict() -> None:
    assert ours.loads('{" x":1}') == {" x": 1} == theirs.loads('{" x":1}')
    assert ours.loads('{" t":[1],"b":2}') == {" t": [1], "b": 2}


class TagSet(JSONTag):
    __slots__ = ()
    key = " s"

    def check(self, value: Any) -> bool:
        return isinstance(value, set)

    def to_json(self, value: Any) -> Any:
        return sorted(value)

    def to_python(self, value: Any) -> Any:
        return set(value)


def test_register_a_custom_tag() -> None:
    serializer = TaggedJSONSerializer()
    serializer.register(TagSet)
    assert serializer.dumps({3, 1}) == '{" s":[1,3]}'
    assert serializer.loads('{" s":[1,3]}') == {1, 3}
    # The new key is escaped in one-key dicts like the built-in ones.
    assert serializer.loads(serializer.dumps({" s": 1})) == {" s": 1}


def test_register_refuses_a_taken_key_unless_forced() -> None:
    serializer = TaggedJSONSerializer()

    class OtherTuple(JSONTag):
        key = " t"

    with pytest.raises(KeyError, match="already registered"):
        serializer.register(OtherTuple)
    serializer.register(OtherTuple, force=True)
    assert serializer.tags[" t"].__class__ is OtherTuple


def test_register_at_an_index_runs_first() -> None:
    serializer = TaggedJSONSerializer()

    class LoudStr(JSONTag):
        key = " L"

        def check(self, value: Any) -> bool:
            return isinstance(value, str)

        def to_json(self, value: Any) -> Any:
            return value.upper()

        def to_python(self, value: Any) -> Any:
            return value.lower()

    serializer.register(LoudStr, index=0)
    assert serializer.dumps("hi") == '{" L":"HI"}'
    assert serializer.order[0].__class__ is LoudStr


def test_unserializable_value_raises_type_error() -> None:
    with pytest.raises(TypeError, match="object"):
        ours.dumps({"x": object()})


def test_public_names_are_where_flasks_are() -> None:
    from erlen.json import provider, tag

    assert provider.DefaultJSONProvider is erlen.json.DefaultJSONProvider
    assert provider.JSONProvider is erlen.json.JSONProvider
    for name in ("JSONTag", "TaggedJSONSerializer", "TagDict", "PassDict", "TagTuple"):
        assert hasattr(tag, name)
