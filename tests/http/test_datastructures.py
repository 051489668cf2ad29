"""MultiDict family and FileStorage, differential against Werkzeug's."""

from __future__ import annotations

import copy
import io
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, strategies as st
from werkzeug import datastructures as wds

from erlen.exceptions import BadRequest
from erlen.http.datastructures import (
    CombinedMultiDict,
    FileStorage,
    ImmutableMultiDict,
    MultiDict,
    iter_multi_items,
)

SOURCES: list[Any] = [
    [("a", "1"), ("b", "2"), ("a", "3")],
    {"a": "1", "b": ["2", "3"], "c": (), "d": ("4",)},
    [],
    {
        "x": {
            "5",
        }
    },
]


def view(d: Any) -> tuple[Any, ...]:
    return (
        list(d.items(multi=True)),
        list(d.items()),
        list(d.lists()),
        list(d.values()),
        list(d.keys()),
        d.to_dict(),
        d.to_dict(flat=False),
        len(d),
        repr(d).split("(", 1)[1],
        *conversions(d),
    )


def conversions(d: Any) -> tuple[Any, ...]:
    """The dict protocol as CPython runs it on a dict subclass: first values, like Werkzeug."""
    updated: dict[Any, Any] = {"keep": 0}
    updated.update(d)
    return (dict(d), {**d}, dict(**d), updated, list(d), list(iter(d)), sorted(d))


@pytest.mark.parametrize("source", SOURCES, ids=range(len(SOURCES)))
@pytest.mark.parametrize(
    ("mine", "theirs"), [(MultiDict, wds.MultiDict), (ImmutableMultiDict, wds.ImmutableMultiDict)]
)
def test_read_api_matches_werkzeug(source: Any, mine: Any, theirs: Any) -> None:
    a, b = mine(source), theirs(source)
    assert view(a) == view(b)
    for key in ("a", "b", "c", "x", "missing"):
        assert a.get(key) == b.get(key)
        assert a.get(key, "dflt") == b.get(key, "dflt")
        assert a.get(key, -1, type=int) == b.get(key, -1, type=int)
        assert a.getlist(key) == b.getlist(key)
        assert a.getlist(key, type=int) == b.getlist(key, type=int)
        assert (key in a) == (key in b)


def test_missing_key_is_a_400_key_error() -> None:
    with pytest.raises(KeyError) as info:
        MultiDict()["nope"]
    assert isinstance(info.value, BadRequest)
    assert info.value.args == ("nope",)
    assert info.value.code == 400


def test_mutation_matches_werkzeug() -> None:
    ops: list[tuple[str, tuple[Any, ...]]] = [
        ("add", ("a", "9")),
        ("__setitem__", ("b", "x")),
        ("setlist", ("c", ["1", "2"])),
        ("setdefault", ("d", "dd")),
        ("setlistdefault", ("e", ["e1"])),
        ("update", ({"a": ["u1", "u2"], "f": "f"},)),
        ("pop", ("b",)),
        ("pop", ("zz", "default")),
        ("poplist", ("c",)),
        ("poplist", ("none",)),
    ]
    a, b = MultiDict([("a", "1")]), wds.MultiDict([("a", "1")])
    for name, args in ops:
        assert getattr(a, name)(*args) == getattr(b, name)(*args), name
        assert view(a) == view(b), name
    assert a.popitem() == b.popitem()
    assert a.popitemlist() == b.popitemlist()
    assert view(a | {"z": "1"}) == view(b | {"z": "1"})


@pytest.mark.parametrize(
    ("operation", "args"),
    [
        ("add", ("a", "1")),
        ("__setitem__", ("a", "1")),
        ("__delitem__", ("a",)),
        ("setlist", ("a", [])),
        ("setdefault", ("a",)),
        ("setlistdefault", ("a",)),
        ("update", ({},)),
        ("pop", ("a",)),
        ("popitem", ()),
        ("poplist", ("a",)),
        ("popitemlist", ()),
        ("clear", ()),
    ],
)
def test_immutable_refuses_every_change(operation: str, args: tuple[Any, ...]) -> None:
    d = ImmutableMultiDict([("a", "1")])
    with pytest.raises(TypeError, match=operation.strip("_").split("item")[0] or "immutable"):
        getattr(d, operation)(*args)
    assert list(d.items(multi=True)) == [("a", "1")]


def test_immutable_copy_is_mutable_and_hashable() -> None:
    d = ImmutableMultiDict([("a", "1"), ("a", "2")])
    assert hash(d) == hash(ImmutableMultiDict([("a", "2"), ("a", "1")]))
    mutable = d.copy()
    mutable.add("b", "3")
    assert type(mutable) is MultiDict and "b" not in d
    assert copy.copy(d) is d


def test_pickle_and_deepcopy_round_trip() -> None:
    for d in (MultiDict([("a", "1"), ("a", "2")]), ImmutableMultiDict([("a", "1")])):
        assert pickle.loads(pickle.dumps(d)) == d
        assert type(pickle.loads(pickle.dumps(d))) is type(d)
        assert copy.deepcopy(d) == d


def test_combined_matches_werkzeug() -> None:
    left, right = [("a", "1"), ("b", "2")], [("a", "3"), ("c", "x")]
    a = CombinedMultiDict([MultiDict(left), MultiDict(right)])
    b = wds.CombinedMultiDict([wds.MultiDict(left), wds.MultiDict(right)])
    assert list(a.items(multi=True)) == list(b.items(multi=True))
    assert list(a.items()) == list(b.items())
    assert sorted(a.lists()) == sorted(b.lists())
    assert sorted(a) == sorted(b) and len(a) == len(b)
    assert a.to_dict() == b.to_dict() and a.to_dict(flat=False) == b.to_dict(flat=False)
    for key in ("a", "c", "missing"):
        assert a.get(key) == b.get(key)
        assert a.get(key, 0, type=int) == b.get(key, 0, type=int)
        assert a.getlist(key) == b.getlist(key)
        assert (key in a) == (key in b)
    assert a["a"] == "1"
    with pytest.raises(KeyError):
        a["missing"]
    with pytest.raises(TypeError):
        a.add("a", "2")
    assert list(a.copy().items(multi=True)) == list(b.copy().items(multi=True))


def test_iter_multi_items_matches_werkzeug() -> None:
    for source in SOURCES:
        assert list(iter_multi_items(source)) == list(wds.iter_multi_items(source))


pairs = st.lists(st.tuples(st.sampled_from("abc"), st.text(max_size=3)), max_size=10)


CONVERSION_CLASSES = [
    (MultiDict, wds.MultiDict),
    (ImmutableMultiDict, wds.ImmutableMultiDict),
    (
        lambda s: CombinedMultiDict([MultiDict(s)]),
        lambda s: wds.CombinedMultiDict([wds.MultiDict(s)]),
    ),
]


@pytest.mark.parametrize("source", SOURCES, ids=range(len(SOURCES)))
@pytest.mark.parametrize(
    ("mine", "theirs"), CONVERSION_CLASSES, ids=["md", "immutable", "combined"]
)
def test_dict_conversion_gives_first_values_like_werkzeug(
    source: Any, mine: Any, theirs: Any
) -> None:
    ours = conversions(mine(source))
    assert ours == conversions(theirs(source))
    for converted in ours[:4]:
        assert not any(isinstance(value, list) for value in converted.values())


def test_dict_conversion_of_request_form_shape() -> None:
    form = ImmutableMultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    assert dict(form) == {**form} == {"a": "1", "b": "3"}
    # the storage is untouched: every value is still there
    assert form.getlist("a") == ["1", "2"]
    assert form.to_dict(flat=False) == {"a": ["1", "2"], "b": ["3"]}


def test_dict_conversion_of_a_subclass_uses_its_getitem() -> None:
    class Upper(MultiDict[str, str]):
        def __getitem__(self, key: str) -> str:
            return super().__getitem__(key).upper()

    assert dict(Upper([("a", "x"), ("a", "y")])) == {"a": "X"}


@given(pairs)
def test_any_pairs_behave_like_werkzeug(items: list[tuple[str, str]]) -> None:
    assert view(MultiDict(items)) == view(wds.MultiDict(items))


def test_file_storage_api_matches_werkzeug(tmp_path: Path) -> None:
    mine = FileStorage(io.BytesIO(b"hello"), "h.txt", "up", "Text/Plain; charset=utf-8", 5)
    theirs = wds.FileStorage(io.BytesIO(b"hello"), "h.txt", "up", "Text/Plain; charset=utf-8", 5)
    for attr in (
        "filename",
        "name",
        "content_type",
        "content_length",
        "mimetype",
        "mimetype_params",
    ):
        assert getattr(mine, attr) == getattr(theirs, attr), attr
    assert bool(mine) is True and repr(mine) == repr(theirs)
    assert mine.headers.get("Content-Type") == "Text/Plain; charset=utf-8"
    assert mine.read(2) == b"he"
    mine.seek(0)
    mine.save(tmp_path / "out.txt")
    assert (tmp_path / "out.txt").read_bytes() == b"hello"
    target = io.BytesIO()
    mine.seek(0)
    mine.save(target)
    assert target.getvalue() == b"hello"
    mine.close()
    assert mine.stream.closed


def test_file_storage_defaults() -> None:
    empty = FileStorage()
    assert empty.filename is None and not empty and empty.content_length == 0
    assert empty.mimetype == "" and empty.content_type is None
    named = FileStorage(io.BytesIO(b""), filename="")
    assert named.filename == "" and not named
    with open(__file__, "rb") as handle:
        assert FileStorage(handle).filename == __file__
