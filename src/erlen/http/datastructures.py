"""Multi-value dicts and uploaded files: what ``request.args``, ``form``,
``files``, ``values`` and ``cookies`` are made of.

The API is Werkzeug's, so code written for Flask keeps working: ``d[key]`` is
the first value, ``d.getlist(key)`` all of them, and a missing key raises a
``KeyError`` that is also a 400 Bad Request.
"""

from __future__ import annotations

import copy as _copy
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from io import BytesIO
from typing import IO, TYPE_CHECKING, Any, TypeVar, Union, cast, overload

from erlen.http.errors import BadRequestKeyError

if TYPE_CHECKING:
    from erlen.http.headers import Headers

__all__ = [
    "CombinedMultiDict",
    "FileStorage",
    "ImmutableList",
    "ImmutableMultiDict",
    "MultiDict",
    "bad_request_key_error",
    "iter_multi_items",
]

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

_MISSING: Any = object()

MultiSource = Union[
    "MultiDict[K, V]",
    Mapping[K, Any],
    Iterable[tuple[K, V]],
]


def bad_request_key_error(key: object) -> KeyError:
    """A ``KeyError`` for ``key`` that is also a 400 Bad Request."""
    return BadRequestKeyError(key)


def iter_multi_items(mapping: Any) -> Iterator[tuple[Any, Any]]:
    """Every ``(key, value)`` pair of a MultiDict, a dict of values or lists, or pairs."""
    if isinstance(mapping, MultiDict):
        yield from mapping.items(multi=True)
    elif isinstance(mapping, Mapping):
        for key, value in mapping.items():
            if isinstance(value, (list, tuple, set)):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from mapping


def _immutable(obj: object, operation: str) -> TypeError:
    return TypeError(f"{type(obj).__name__!r} objects are immutable (cannot {operation})")


class MultiDict(dict[K, list[V]]):
    """A dict that keeps every value given for a key; plain access gives the first.

    Internally each key maps to a list of values, like Werkzeug's.
    """

    # PERF: values are stored as lists in the dict itself (no side table), so
    # lookups are one dict access; the base-class calls below read those lists.

    def __init__(self, mapping: Any = None) -> None:
        if mapping is None:
            super().__init__()
        elif isinstance(mapping, MultiDict):
            super().__init__((k, list(vs)) for k, vs in dict.items(mapping))
        elif isinstance(mapping, Mapping):
            lists: dict[Any, Any] = {}
            for key, value in mapping.items():
                if isinstance(value, (list, tuple, set)):
                    if not value:
                        continue
                    lists[key] = list(value)
                else:
                    lists[key] = [value]
            super().__init__(lists)
        else:
            lists = {}
            for key, value in mapping:
                bucket = lists.get(key)
                if bucket is None:
                    lists[key] = [value]
                else:
                    bucket.append(value)
            super().__init__(lists)

    @classmethod
    def _from_lists(cls, lists: dict[Any, list[Any]]) -> Any:
        """Wrap an already-built ``{key: [values]}`` dict without copying it."""
        self = cls.__new__(cls)
        dict.update(self, lists)
        return self

    def __getstate__(self) -> dict[K, list[V]]:
        return dict(self.lists())

    def __setstate__(self, value: dict[K, list[V]]) -> None:
        dict.clear(self)
        dict.update(self, value)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return type(self), (list(self.items(multi=True)),)

    def __getitem__(self, key: K) -> V:  # type: ignore[override]
        """The first value for ``key``; a 400-flavoured ``KeyError`` if there is none."""
        values = dict.get(self, key)
        if values:
            return values[0]
        raise bad_request_key_error(key)

    def __setitem__(self, key: K, value: V) -> None:  # type: ignore[override]
        """Replace all values of ``key`` with ``value``."""
        dict.__setitem__(self, key, [value])

    def __iter__(self) -> Iterator[K]:
        # Not a no-op: CPython's dict(md), {**md} and dict.update(md) copy a
        # dict subclass's storage directly (the value lists) unless __iter__ is
        # overridden; then they use keys() and __getitem__, giving the first
        # values as Werkzeug does. get/__getitem__ stay untouched.
        return dict.__iter__(self)

    def add(self, key: K, value: V) -> None:
        """Append ``value`` to the values of ``key``."""
        values = dict.get(self, key)
        if values is None:
            dict.__setitem__(self, key, [value])
        else:
            values.append(value)

    @overload  # type: ignore[override]
    def get(self, key: K) -> V | None: ...
    @overload
    def get(self, key: K, default: V | T) -> V | T: ...
    @overload
    def get(self, key: K, default: T | None = None, *, type: Callable[[V], T]) -> T | None: ...
    @overload
    def get(self, key: K, default: T, type: Callable[[V], T]) -> T: ...
    def get(self, key: K, default: Any = None, type: Callable[[V], Any] | None = None) -> Any:
        """The first value of ``key``, converted by ``type``; ``default`` if absent or
        if ``type`` raises ``ValueError`` or ``TypeError``."""
        values = dict.get(self, key)
        if not values:
            return default
        if type is None:
            return values[0]
        try:
            return type(values[0])
        except (ValueError, TypeError):
            return default

    @overload
    def getlist(self, key: K) -> list[V]: ...
    @overload
    def getlist(self, key: K, type: Callable[[V], T]) -> list[T]: ...
    def getlist(self, key: K, type: Callable[[V], Any] | None = None) -> list[Any]:
        """All values of ``key`` (a new list); those ``type`` rejects are left out."""
        values = dict.get(self, key)
        if values is None:
            return []
        if type is None:
            return list(values)
        result = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                continue
        return result

    def setlist(self, key: K, new_list: Iterable[V]) -> None:
        """Replace the values of ``key`` with a copy of ``new_list``."""
        dict.__setitem__(self, key, list(new_list))

    def setdefault(self, key: K, default: V | None = None) -> V:  # type: ignore[override]
        """The first value of ``key``, setting it to ``default`` first if absent."""
        if key not in self:
            self[key] = default  # type: ignore[assignment]
        return self[key]

    def setlistdefault(self, key: K, default_list: Iterable[V] | None = None) -> list[V]:
        """The live value list of ``key``, created from ``default_list`` if absent."""
        if key not in self:
            dict.__setitem__(self, key, list(default_list or ()))
        return dict.__getitem__(self, key)

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        """``(key, first value)`` pairs, or one pair per value with ``multi=True``."""
        pairs = dict.items(self)
        if multi:
            for key, values in pairs:
                for value in values:
                    yield key, value
        else:
            for key, values in pairs:
                yield key, values[0]

    def lists(self) -> Iterator[tuple[K, list[V]]]:
        """``(key, list of values)`` pairs; the lists are copies."""
        for key, values in dict.items(self):
            yield key, list(values)

    def values(self) -> Iterator[V]:  # type: ignore[override]
        """The first value of every key."""
        for values in dict.values(self):
            yield values[0]

    def listvalues(self) -> Iterator[list[V]]:
        """The value list of every key."""
        return iter(dict.values(self))

    def copy(self) -> MultiDict[K, V]:
        """A shallow copy of the same class."""
        return self.__class__(self)

    def deepcopy(self, memo: Any = None) -> MultiDict[K, V]:
        """A deep copy of the same class."""
        return self.__class__(_copy.deepcopy(self.to_dict(flat=False), memo))

    def __copy__(self) -> MultiDict[K, V]:
        return self.copy()

    def __deepcopy__(self, memo: Any) -> MultiDict[K, V]:
        return self.deepcopy(memo)

    @overload
    def to_dict(self) -> dict[K, V]: ...
    @overload
    def to_dict(self, flat: bool) -> dict[K, Any]: ...
    def to_dict(self, flat: bool = True) -> dict[K, Any]:
        """A plain dict of first values, or of value lists with ``flat=False``."""
        if flat:
            return dict(self.items())
        return dict(self.lists())

    def update(self, mapping: Any = (), /, **kwargs: Any) -> None:
        """Add the pairs of ``mapping`` to the existing values (lists are extended)."""
        for key, value in iter_multi_items(mapping):
            self.add(key, value)
        for key, value in kwargs.items():
            self.add(key, value)  # type: ignore[arg-type]

    def __or__(self, other: Any) -> MultiDict[K, V]:  # type: ignore[override]
        if not isinstance(other, Mapping):
            return NotImplemented
        result = self.copy()
        result.update(other)
        return result

    def __ior__(self, other: Any) -> MultiDict[K, V]:  # type: ignore[override]
        if not isinstance(other, (Mapping, Iterable)):
            return NotImplemented
        self.update(other)
        return self

    def pop(self, key: K, default: Any = _MISSING) -> Any:
        """Remove ``key`` and return its first value (or ``default``)."""
        try:
            values = dict.pop(self, key)
        except KeyError:
            if default is not _MISSING:
                return default
            raise bad_request_key_error(key) from None
        if not values:
            raise bad_request_key_error(key)
        return values[0]

    def popitem(self) -> tuple[K, V]:  # type: ignore[override]
        """Remove a key and return it with its first value."""
        try:
            key, values = dict.popitem(self)
        except KeyError as error:
            raise bad_request_key_error(error.args[0] if error.args else None) from None
        if not values:
            raise bad_request_key_error(key)
        return key, values[0]

    def poplist(self, key: K) -> list[V]:
        """Remove ``key`` and return all its values (``[]`` if absent)."""
        return dict.pop(self, key, [])

    def popitemlist(self) -> tuple[K, list[V]]:
        """Remove a key and return it with all its values."""
        try:
            return dict.popitem(self)
        except KeyError as error:
            raise bad_request_key_error(error.args[0] if error.args else None) from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"


class ImmutableList(list[V]):
    """A list that refuses changes (``request.access_route``, the Accept lists)."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{type(self).__name__!r} objects are immutable")

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = reverse = sort = clear = _refuse

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))

    def __reduce_ex__(self, protocol: Any) -> Any:
        return type(self), (list(self),)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list.__repr__(self)})"


class ImmutableMultiDict(MultiDict[K, V]):
    """A :class:`MultiDict` that refuses changes (``request.args``, ``form``, ``files``)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items(multi=True)))

    def copy(self) -> MultiDict[K, V]:
        """A mutable :class:`MultiDict` copy."""
        return MultiDict(self)

    def __copy__(self) -> ImmutableMultiDict[K, V]:
        return self

    def __setitem__(self, key: K, value: V) -> None:  # type: ignore[override]
        raise _immutable(self, "set an item")

    def __delitem__(self, key: K) -> None:
        raise _immutable(self, "delete an item")

    def add(self, key: K, value: V) -> None:
        """Not allowed: raises ``TypeError``."""
        raise _immutable(self, "add")

    def setlist(self, key: K, new_list: Iterable[V]) -> None:
        """Not allowed: raises ``TypeError``."""
        raise _immutable(self, "setlist")

    def setdefault(self, key: K, default: V | None = None) -> V:  # type: ignore[override]
        """Not allowed: raises ``TypeError``."""
        raise _immutable(self, "setdefault")

    def setlistdefault(self, key: K, default_list: Iterable[V] | None = None) -> list[V]:
        """Not allowed: raises ``TypeError``."""
        raise _immutable(self, "setlistdefault")

    def update(self, mapping: Any = (), /, **kwargs: Any) -> None:
        """Not allowed: raises ``TypeError``."""
        raise _immutable(self, "update")

    def __ior__(self, other: Any) -> MultiDict[K, V]:  # type: ignore[override]
        raise _immutable(self, "update")

    def pop(self, key: K, default: Any = _MISSING) -> Any:
        """Not allowed: raises ``TypeError``."""
        raise _immutable(self, "pop")

    def popitem(self) -> tuple[K, V]:  # type: ignore[override]
        """Not allowed: raises ``TypeError``."""
        raise _immutable(self, "popitem")

    def poplist(self, key: K) -> list[V]:
        """Not allowed: raises ``TypeError``."""
        raise _immutable(self, "poplist")

    def popitemlist(self) -> tuple[K, list[V]]:
        """Not allowed: raises ``TypeError``."""
        raise _immutable(self, "popitemlist")

    def clear(self) -> None:
        """Not allowed: raises ``TypeError``."""
        raise _immutable(self, "clear")

    @classmethod
    def fromkeys(cls, keys: Any, value: Any = None) -> Any:
        """Not allowed: raises ``TypeError``."""
        raise TypeError(f"cannot create {cls.__name__!r} instances by fromkeys")


class CombinedMultiDict(ImmutableMultiDict[K, V]):
    """A read-only view over several MultiDicts, searched in order (``request.values``)."""

    def __init__(self, dicts: Iterable[MultiDict[K, V]] | None = None) -> None:
        super().__init__()
        self.dicts: list[MultiDict[K, V]] = list(dicts or ())

    def __reduce_ex__(self, protocol: Any) -> Any:
        return type(self), (self.dicts,)

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items(multi=True)))

    def __getitem__(self, key: K) -> V:  # type: ignore[override]
        for d in self.dicts:
            if key in d:
                return d[key]
        raise bad_request_key_error(key)

    def get(self, key: K, default: Any = None, type: Callable[[V], Any] | None = None) -> Any:
        """The first value found for ``key`` (that ``type`` accepts), else ``default``."""
        for d in self.dicts:
            if key in d:
                if type is None:
                    return d[key]
                try:
                    return type(d[key])
                except (ValueError, TypeError):
                    continue
        return default

    def getlist(self, key: K, type: Callable[[V], Any] | None = None) -> list[Any]:
        """The values of ``key`` from every dict, in order."""
        result: list[Any] = []
        for d in self.dicts:
            result.extend(d.getlist(key, type))  # type: ignore[arg-type]
        return result

    def _key_set(self) -> set[K]:
        return {key for d in self.dicts for key in d}

    def keys(self) -> set[K]:  # type: ignore[override]
        return self._key_set()

    def __iter__(self) -> Iterator[K]:
        return iter(self._key_set())

    def __len__(self) -> int:
        return len(self._key_set())

    def __contains__(self, key: object) -> bool:
        return any(key in d for d in self.dicts)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CombinedMultiDict):
            return self.dicts == other.dicts
        return dict(self.lists()) == other

    def __bool__(self) -> bool:
        return any(self.dicts)

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        seen: set[K] = set()
        for d in self.dicts:
            for key, value in d.items(multi):
                if multi:
                    yield key, value
                elif key not in seen:
                    seen.add(key)
                    yield key, value

    def values(self) -> Iterator[V]:  # type: ignore[override]
        for _, value in self.items():
            yield value

    def lists(self) -> Iterator[tuple[K, list[V]]]:
        merged: dict[K, list[V]] = {}
        for d in self.dicts:
            for key, values in d.lists():
                merged.setdefault(key, []).extend(values)
        return iter(merged.items())

    def listvalues(self) -> Iterator[list[V]]:
        return (values for _, values in self.lists())

    def to_dict(self, flat: bool = True) -> dict[K, Any]:
        if flat:
            return dict(self.items())
        return dict(self.lists())

    def copy(self) -> MultiDict[K, V]:
        """A mutable :class:`MultiDict` of the combined data as it is now."""
        return MultiDict(list(self.items(multi=True)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dicts!r})"


class FileStorage:
    """An uploaded file: a stream plus the filename, field name and part headers.

    Attribute access falls through to the stream, so ``storage.read()`` works.
    """

    __slots__ = ("_header_pairs", "_headers", "filename", "name", "stream")

    def __init__(
        self,
        stream: IO[bytes] | None = None,
        filename: str | os.PathLike[str] | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | Iterable[tuple[str, str]] | None = None,
    ) -> None:
        self.name = name
        self.stream: IO[bytes] = stream if stream is not None else BytesIO()
        if filename is None:
            guessed = getattr(stream, "name", None)
            text = os.fsdecode(guessed) if isinstance(guessed, (str, bytes)) else None
            if text and text.startswith("<") and text.endswith(">"):
                text = None
            self.filename: str | None = text
        else:
            self.filename = os.fsdecode(filename)
        # PERF: part headers stay a list of pairs until someone asks for .headers.
        self._headers: Headers | None = None
        if headers is None:
            pairs: list[tuple[str, str]] = []
        elif isinstance(headers, list):
            pairs = headers
        elif hasattr(headers, "to_wsgi_list"):
            self._headers = cast("Headers", headers)
            pairs = []
        else:
            pairs = list(headers)
        self._header_pairs = pairs
        if content_type is not None:
            self._set_header("Content-Type", content_type)
        if content_length is not None:
            self._set_header("Content-Length", str(content_length))

    def _set_header(self, name: str, value: str) -> None:
        if self._headers is not None:
            self._headers[name] = value
            return
        lower = name.lower()
        self._header_pairs = [(k, v) for k, v in self._header_pairs if k.lower() != lower]
        self._header_pairs.append((name, value))

    def _header(self, name: str) -> str | None:
        if self._headers is not None:
            return self._headers.get(name)
        lower = name.lower()
        for key, value in self._header_pairs:
            if key.lower() == lower:
                return value
        return None

    @property
    def headers(self) -> Headers:
        """The part's headers (a :class:`erlen.http.headers.Headers`)."""
        if self._headers is None:
            from erlen.http.headers import Headers

            self._headers = Headers(self._header_pairs)
        return self._headers

    @property
    def content_type(self) -> str | None:
        """The part's Content-Type header, if it sent one."""
        return self._header("Content-Type")

    @property
    def content_length(self) -> int:
        """The part's Content-Length header as an int, else 0."""
        value = self._header("Content-Length")
        if value is not None:
            value = value.strip(" \t")
            digits = value[1:] if value.startswith("-") else value
            if digits.isascii() and digits.isdigit():
                return int(value)
        return 0

    @property
    def mimetype(self) -> str:
        """The Content-Type without parameters, lowercased."""
        from erlen.http.mime import parse_options_header

        return parse_options_header(self.content_type)[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The Content-Type parameters as a dict."""
        from erlen.http.mime import parse_options_header

        return parse_options_header(self.content_type)[1]

    def save(self, dst: str | os.PathLike[str] | IO[bytes], buffer_size: int = 16384) -> None:
        """Copy the file to a path (opened and closed here) or to an open binary file."""
        from shutil import copyfileobj

        if isinstance(dst, (str, os.PathLike)):
            with open(dst, "wb") as target:
                copyfileobj(self.stream, target, buffer_size)
        else:
            copyfileobj(self.stream, dst, buffer_size)

    def read(self, size: int = -1) -> bytes:
        """Read from the stream."""
        return self.stream.read(size)

    def close(self) -> None:
        """Close the stream, ignoring errors."""
        try:
            self.stream.close()
        except Exception:
            pass

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __getattr__(self, name: str) -> Any:
        stream = object.__getattribute__(self, "stream")
        try:
            return getattr(stream, name)
        except AttributeError:
            # SpooledTemporaryFile hides some file methods on its inner file.
            inner = getattr(stream, "_file", None)
            if inner is not None:
                return getattr(inner, name)
            raise

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.filename!r} ({self.content_type!r})>"
