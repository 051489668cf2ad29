"""erlen.http.json_nesting: the nesting depth of a JSON document, found without decoding it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from erlen.http.json_nesting import json_nesting_exceeds

# Strings full of the characters the scan must see through.
TRICKY_TEXT = st.text(alphabet='[]{}"\\\n ab\u00e9\u2028', max_size=6)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY_TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(TRICKY_TEXT, children, max_size=4)
    ),
    max_leaves=40,
)


def nesting(value: Any) -> int:
    """The reference: levels of arrays and objects, from the decoded value."""
    if isinstance(value, list):
        return 1 + max(map(nesting, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(nesting, value.values()), default=0)
    return 0


@settings(max_examples=500, deadline=None)
@given(value=VALUES, limit=st.integers(0, 8), ascii_only=st.booleans())
def test_nesting_matches_the_decoded_value(value: Any, limit: int, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    expected = nesting(value) > limit
    assert json_nesting_exceeds(text, limit) is expected
    assert json_nesting_exceeds(text.encode(), limit) is expected


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32", "utf-16-le"])
def test_nesting_of_utf16_and_utf32_bodies(encoding: str) -> None:
    deep = ("[" * 30 + '"]]]["' + "]" * 30).encode(encoding)
    assert json_nesting_exceeds(deep, 29)
    assert not json_nesting_exceeds(deep, 30)


@pytest.mark.parametrize(
    ("body", "limit", "exceeds"),
    [
        (b"[" * 513 + b"]" * 513, 512, True),
        (b"[" * 512 + b"]" * 512, 512, False),
        # wide and shallow: many brackets, little depth
        (json.dumps([[{"a": [1]}] for _ in range(5_000)]).encode(), 4, False),
        (json.dumps([[{"a": [1]}] for _ in range(5_000)]).encode(), 3, True),
        # deeper than the peeling passes, with the limit just above the depth
        (b"[" * 40 + b"[]" * 600 + b"]" * 40, 41, False),
        (b"[" * 40 + b"[]" * 600 + b"]" * 40, 40, True),
        # brackets inside strings, escaped quotes and backslashes do not nest
        (b'["' + b"[" * 1000 + b'"]', 1, False),
        (b'["\\"' + b"[" * 1000 + b'\\\\"]', 1, False),
        (b'["\\\\"' + b",[" * 600 + b"]" * 600 + b"]", 512, True),
    ],
)
def test_nesting_table(body: bytes, limit: int, exceeds: bool) -> None:
    assert json_nesting_exceeds(body, limit) is exceeds
