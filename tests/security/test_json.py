"""JSON responses: same bytes as Flask (no extra escaping), a JSON type, NaN refused."""

from __future__ import annotations

import json
import math
from typing import Any

import flask
import pytest
from hypothesis import given, settings, strategies as st

import erlen
from erlen.errors import JSONValueError

VALUES: list[Any] = [
    {"html": "<script>alert(1)</script>", "amp": "a&b", "quote": 'it\'s "q"'},
    ["top", "level", "array"],
    {"sep": "\u2028\u2029", "nul": "\x00", "ctrl": "\x1b[31m"},
    {"nested": {"b": [1, 2.5, None, True], "a": "</script><!--"}},
    "a string",
    12,
]


def _both(value: Any) -> tuple[erlen.Response, Any]:
    ours_app, theirs_app = erlen.Flask("j"), flask.Flask("j")
    with ours_app.app_context():
        ours = erlen.jsonify(value)
    with theirs_app.app_context():
        theirs = flask.jsonify(value)
    return ours, theirs


@pytest.mark.parametrize("value", VALUES)
def test_json_hijack_jsonify_matches_flask_bytes_and_type(value: Any) -> None:
    ours, theirs = _both(value)
    assert ours.get_data() == theirs.get_data()
    assert ours.headers["Content-Type"] == theirs.headers["Content-Type"] == "application/json"
    # U+2028/U+2029 are escaped (ensure_ascii), so the body is safe inside <script> too
    assert not any(ord(char) > 127 for char in ours.get_data().decode())


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, {"a": [math.nan]}])
def test_json_hijack_nan_and_infinity_are_refused(value: Any) -> None:
    app = erlen.Flask("j")
    with app.app_context(), pytest.raises(JSONValueError):
        erlen.jsonify(value)
    with flask.Flask("j").app_context():
        assert b"NaN" in flask.jsonify(value).get_data() or b"Infinity" in (
            flask.jsonify(value).get_data()
        )


def test_json_hijack_view_returning_nan_is_a_clean_500(caplog: Any) -> None:
    from tests.security.wire import app_returning, serve_both

    for result in serve_both(app_returning(lambda: {"x": math.nan})).values():
        assert result.status_code == 500
        assert b"NaN" not in result.body


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(_JSON)
def test_json_hijack_any_value_round_trips_as_flask_emits_it(value: Any) -> None:
    ours, theirs = _both(value)
    assert ours.get_data() == theirs.get_data()
    assert json.loads(ours.get_data()) == value
