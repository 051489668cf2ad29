"""The default converters: values built into a URL match back to the same values."""

from __future__ import annotations

import uuid

from hypothesis import given, settings, strategies as st

from tests.routing.support import R, _erlen_map

# -- properties ------------------------------------------------------------------------------

_ROUND_TRIP = _erlen_map(
    [
        R("/i/<int:v>", "int"),
        R("/is/<int(signed=True):v>", "signed"),
        R("/s/<v>", "string"),
        R("/p/<path:v>", "path"),
        R("/u/<uuid:v>", "uuid"),
        R("/q", "query"),
    ]
)
_SEGMENT_TEXT = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="/"), min_size=1
)
# ``path`` does not match a newline (as in Werkzeug: see the "newline" rows)
_PATH_SEGMENT_TEXT = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="/\n"), min_size=1
)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0))
def test_int_round_trip(value: int) -> None:
    path = _ROUND_TRIP.build("int", {"v": value})
    assert _ROUND_TRIP.match(_decode(path), "GET")[1] == {"v": value}


@settings(max_examples=150, deadline=None)
@given(st.integers())
def test_signed_int_round_trip(value: int) -> None:
    path = _ROUND_TRIP.build("signed", {"v": value})
    assert _ROUND_TRIP.match(_decode(path), "GET")[1] == {"v": value}


@settings(max_examples=150, deadline=None)
@given(_SEGMENT_TEXT)
def test_string_round_trip(value: str) -> None:
    path = _ROUND_TRIP.build("string", {"v": value})
    assert _ROUND_TRIP.match(_decode(path), "GET")[1] == {"v": value}


@settings(max_examples=150, deadline=None)
@given(st.lists(_PATH_SEGMENT_TEXT, min_size=1, max_size=4).map("/".join))
def test_path_round_trip(value: str) -> None:
    path = _ROUND_TRIP.build("path", {"v": value})
    assert _ROUND_TRIP.match(_decode(path), "GET")[1] == {"v": value}


@settings(max_examples=100, deadline=None)
@given(st.uuids())
def test_uuid_round_trip(value: uuid.UUID) -> None:
    path = _ROUND_TRIP.build("uuid", {"v": value})
    assert _ROUND_TRIP.match(_decode(path), "GET")[1] == {"v": value}


def _decode(path: str) -> str:
    from urllib.parse import unquote

    return unquote(path)
