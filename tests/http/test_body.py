"""The shared body rules: no body for HEAD, 1xx, 204, 304; body items to bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from erlen.errors import ArgumentTypeError
from erlen.http.body import ClosesOnce, as_body_item, has_no_body


@pytest.mark.parametrize(
    ("status", "method", "expected"),
    [
        (200, "GET", False),
        (200, "HEAD", True),
        (100, "GET", True),
        (199, "POST", True),
        (204, "GET", True),
        (205, "GET", False),
        (304, "GET", True),
        (404, None, False),
    ],
)
def test_has_no_body(status: int, method: str | None, expected: bool) -> None:
    assert has_no_body(status, method) is expected


@given(st.text() | st.binary())
def test_as_body_item_is_utf8_for_text_and_identity_for_bytes(item: str | bytes) -> None:
    expected = item.encode() if isinstance(item, str) else item
    assert as_body_item(item) == expected
    if isinstance(item, bytes):
        assert as_body_item(bytearray(item)) == item
        assert as_body_item(memoryview(item)) == item


@pytest.mark.parametrize("item", [1, None, 1.5, ["a"]])
def test_as_body_item_refuses_other_types_naming_them(item: object) -> None:
    with pytest.raises(ArgumentTypeError, match="str or bytes"):
        as_body_item(item)


def test_closes_once_releases_on_the_first_close_only() -> None:
    released: list[int] = []

    class Body(ClosesOnce):
        __slots__ = ()

        def _release(self) -> None:
            released.append(1)

    body = Body()
    body.close()
    body.close()
    assert released == [1]


def _bodies() -> list[type]:
    from erlen.ctx import _ContextStream
    from erlen.files import FileBody
    from erlen.response_conditional import _PartsBody
    from erlen.wsgi import AsyncResponseBody, ClosingIterator, ResponseBody

    return [ClosingIterator, ResponseBody, AsyncResponseBody, FileBody, _PartsBody, _ContextStream]


@pytest.mark.parametrize("body_class", _bodies(), ids=lambda cls: cls.__name__)
def test_every_sync_body_takes_the_close_once_rule_from_one_place(body_class: type) -> None:
    """The "once" is ClosesOnce.close's alone: no body re-implements close()."""
    assert issubclass(body_class, ClosesOnce)
    assert body_class.close is ClosesOnce.close
    assert "_closed" not in body_class.__dict__.get("__slots__", ())
