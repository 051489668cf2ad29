"""What the test client returns: the app's response class with ``TestResponse`` mixed in."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from erlen.testing.environ_builder import HeaderList

if TYPE_CHECKING:
    # Type checkers see the response API; at run time this is a mixin put in
    # front of the app's response class (see test_response_class).
    from erlen.response import Response as _ResponseAPI
else:
    _ResponseAPI = object


class TestResponse(_ResponseAPI):
    """Mixed into the app's response class for what the client returns.

    Adds ``request`` (the request that was sent), ``history`` (responses of
    followed redirects) and ``text``. Assumes no mimetype: the headers are the
    app's, as sent.
    """

    __test__ = False
    default_mimetype: str | None = None

    request: Any
    history: tuple[TestResponse, ...]

    def __init__(
        self,
        response: Iterable[bytes],
        status: str,
        headers: Any,
        request: Any,
        history: tuple[TestResponse, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(response, status, headers, **kwargs)
        self.request = request
        self.history = history

    @property
    def text(self) -> str:
        """The body decoded as text."""
        return self.get_data(as_text=True)

    @property
    def json(self) -> Any:
        """The body parsed as JSON (``get_json()``)."""
        return self.get_json()


_wrapper_cache: dict[type, type[TestResponse]] = {}


def test_response_class(response_class: type | None) -> type[TestResponse]:
    """``response_class`` with :class:`TestResponse` mixed in (cached per class)."""
    if response_class is None:
        from erlen.response import Response

        response_class = Response
    if issubclass(response_class, TestResponse):
        return response_class
    wrapper = _wrapper_cache.get(response_class)
    if wrapper is None:
        wrapper = type(f"Test{response_class.__name__}", (TestResponse, response_class), {})
        _wrapper_cache[response_class] = wrapper
    return wrapper


test_response_class.__test__ = False  # type: ignore[attr-defined]


def wrap_response(
    response_class: type[TestResponse],
    body: Iterable[bytes],
    status: str,
    headers: HeaderList,
    request: Any,
) -> TestResponse:
    """A :class:`TestResponse` holding what the app produced."""
    return response_class(body, status, headers, request=request)
