"""The request headers as a read-only, case-insensitive view of environ keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from erlen.http.datastructures import bad_request_key_error

if TYPE_CHECKING:
    from erlen.http.headers import Headers


_BODY_HEADERS = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}


class EnvironHeaders:
    """The request headers: a read-only, case-insensitive view of the environ.

    Lookups go straight to ``HTTP_*`` keys; names come out title-cased
    (``X-Forwarded-For``) as Werkzeug's ``EnvironHeaders`` gives them. A
    request made from its parts (ASGI) hands it just the header keys (see
    :meth:`~erlen.wrappers.request_parts.RequestParts.header_map`), so reading headers
    builds no environ.
    """

    __slots__ = ("environ",)

    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ

    def _lookup(self, key: str) -> str:
        if not isinstance(key, str):
            raise bad_request_key_error(key)
        name = key.upper().replace("-", "_")
        if name in _BODY_HEADERS:
            return self.environ[name]  # type: ignore[no-any-return]
        return self.environ["HTTP_" + name]  # type: ignore[no-any-return]

    def __getitem__(self, key: str) -> str:
        try:
            return self._lookup(key)
        except KeyError:
            raise bad_request_key_error(key) from None

    def get(self, key: str, default: Any = None, type: Callable[[str], Any] | None = None) -> Any:
        """The header's value (converted by ``type``), or ``default``."""
        try:
            value = self._lookup(key)
        except KeyError:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except ValueError:
            return default

    def getlist(self, key: str, type: Callable[[str], Any] | None = None) -> list[Any]:
        """The header's values as a list (a WSGI environ holds at most one)."""
        if not isinstance(key, str) or "_" in key:
            return []
        try:
            value = self._lookup(key)
        except KeyError:
            return []
        if not value and key.upper().replace("-", "_") in _BODY_HEADERS:
            return []
        if type is None:
            return [value]
        try:
            return [type(value)]
        except ValueError:
            return []

    get_all = getlist

    def __contains__(self, key: object) -> bool:
        try:
            self._lookup(key)  # type: ignore[arg-type]
        except KeyError:
            return False
        return True

    has_key = __contains__

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for key, value in self.environ.items():
            if key.startswith("HTTP_"):
                if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                    yield key[5:].replace("_", "-").title(), value
            elif key in _BODY_HEADERS and value:
                yield _BODY_HEADERS[key], value

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def items(self, lower: bool = False) -> Iterator[tuple[str, str]]:
        """``(name, value)`` pairs, names lowercased if ``lower``."""
        for key, value in self:
            yield (key.lower() if lower else key), value

    def keys(self, lower: bool = False) -> Iterator[str]:
        """The header names."""
        for key, _ in self.items(lower):
            yield key

    def values(self) -> Iterator[str]:
        """The header values."""
        for _, value in self:
            yield value

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """The headers as a list of pairs."""
        return list(self)

    def copy(self) -> Headers:
        """A mutable :class:`erlen.http.headers.Headers` holding the same headers."""
        from erlen.http.headers import Headers

        return Headers(list(self))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EnvironHeaders):
            return self.environ is other.environ
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        lines = [f"{key}: {value}" for key, value in self]
        lines.append("\r\n")
        return "\r\n".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{type(self).__name__!r} objects are immutable (request headers)")

    __setitem__ = __delitem__ = _read_only
    add = add_header = set = setlist = setdefault = setlistdefault = _read_only
    extend = update = remove = pop = popitem = clear = insert = _read_only
