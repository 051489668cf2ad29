"""Structured header values: Cache-Control, header sets, Content-Range, WWW-Authenticate, CSP.

Each structure is live: it holds an ``on_update`` callback that the response
sets, and every edit calls it, so ``response.cache_control.max_age = 300``
rewrites the header at once. Parsing and serializing give the same values and
text as ``werkzeug.http`` (``parse_cache_control_header``, ``parse_set_header``,
``dump_header``, ``parse_content_range_header``, ``parse_csp_header``, ...).

Unlike Werkzeug, every edit is checked before anything changes: text holding
CR, LF or NUL raises :class:`~erlen.errors.HeaderValueError` and leaves both
the structure and the response headers as they were.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableSet
from datetime import timedelta
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import unquote

from erlen.errors import ArgumentTypeError, HeaderValueError, describe
from erlen.http.mime import quote_header_value, unquote_header_value

__all__ = [
    "COEP",
    "COOP",
    "Authorization",
    "ContentRange",
    "ContentSecurityPolicy",
    "HeaderSet",
    "RequestCacheControl",
    "ResponseCacheControl",
    "WWWAuthenticate",
    "dump_age",
    "dump_csp_header",
    "dump_header",
    "is_byte_range_valid",
    "parse_age",
    "parse_cache_control_header",
    "parse_content_range_header",
    "parse_csp_header",
    "parse_dict_header",
    "parse_list_header",
    "parse_set_header",
    "quote_header_value",
    "unquote_header_value",
]

T = TypeVar("T")
_BYTES_TYPES = (bytes, bytearray, memoryview)


def _safe_text(field: str, value: object) -> str:
    """``value`` as plain text for ``field``; raises if it could split a header."""
    if type(value) is str:
        text = value
    elif isinstance(value, _BYTES_TYPES):
        raise ArgumentTypeError(
            f"{field} must be str, not {type(value).__name__}: {describe(value)}; decode it first"
        )
    else:
        # str() of a str subclass could hide characters from `in`.
        text = str.__str__(value) if isinstance(value, str) else str.__str__(str(value))
    # PERF: three substring scans beat a regex search on short values.
    if "\r" in text or "\n" in text or "\0" in text:
        raise HeaderValueError(
            f"{field} {describe(text)} contains CR, LF or NUL, which could split the response"
        )
    return text


def _safe_name(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise ArgumentTypeError(
            f"{field} must be str, got {type(value).__name__}: {describe(value)}"
        )
    return _safe_text(field, value)


# -- list and dict headers --------------------------------------------------

# key*=charset'language'value (RFC 2231 section 4): charset and the encoded value
_CHARSET_VALUE = re.compile(
    r"([\w!#$%&*+\-.^`|~]*)'[\w!#$%&*+\-.^`|~]*'([\w!#$%&'*+\-.^`|~]+)$", re.ASCII
)
# Only these charsets are decoded; any other leaves the value as sent.
_DECODABLE_CHARSETS = frozenset({"ascii", "us-ascii", "utf-8", "iso-8859-1"})


def _split_list(value: str) -> list[str] | None:
    """Split on commas outside quoted strings; None if a quoted string is unclosed."""
    if '"' not in value:
        # PERF: no quoted strings, so every comma separates items.
        return value.split(",")
    items: list[str] = []
    start = 0
    quoted = False
    escaped = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == ",":
            items.append(value[start:index])
            start = index + 1
        elif char == '"':
            quoted = True
    if quoted:
        return None
    items.append(value[start:])
    return items


def parse_list_header(value: str) -> list[str]:
    """Split a comma-separated header into items, unquoting whole quoted items.

    Empty items are dropped; an unclosed quoted string gives an empty list.
    """
    items = _split_list(value)
    if items is None:
        return []
    result = []
    for item in items:
        item = item.strip(" \t")
        if item:
            result.append(unquote_header_value(item))
    return result


def parse_dict_header(value: str) -> dict[str, str | None]:
    """Parse ``a=b, c="d, e", f`` into ``{'a': 'b', 'c': 'd, e', 'f': None}``.

    ``key*=utf-8''%E2%82%AC`` items are percent-decoded into ``key`` (RFC 2231).
    """
    result: dict[str, str | None] = {}
    for item in parse_list_header(value):
        key, has_value, text = item.partition("=")
        key = key.strip(" \t")
        if not key:
            continue
        if not has_value:
            result[key] = None
            continue
        text = text.strip(" \t")
        if key[-1] == "*":
            key = key[:-1]
            match = _CHARSET_VALUE.match(text)
            if match is not None:
                charset, text = match.groups()
                if charset.lower() in _DECODABLE_CHARSETS:
                    text = unquote(text, encoding=charset.lower())
        result[key] = unquote_header_value(text)
    return result


def dump_header(iterable: Mapping[str, Any] | Iterable[Any]) -> str:
    """Join items (or a dict's ``key=value`` pairs) with ``", "``, quoting non-tokens.

    A dict value of ``None`` writes the key alone; a key ending in ``*`` keeps
    its (already encoded) value unquoted.
    """
    if isinstance(iterable, dict):
        parts = []
        for key, value in iterable.items():
            if value is None:
                parts.append(key)
            elif key[-1:] == "*":
                parts.append(f"{key}={value}")
            else:
                parts.append(f"{key}={quote_header_value(value)}")
        return ", ".join(parts)
    return ", ".join([quote_header_value(item) for item in iterable])


# -- header sets --------------------------------------------------------------


class HeaderSet(MutableSet[str]):
    """An ordered, case-insensitive set of header items (Vary, Allow, Content-Language).

    Items keep the case they were added with; ``'ACCEPT' in s`` is true when
    ``'Accept'`` was added. Each change calls ``on_update(self)``.
    """

    __slots__ = ("_items", "_keys", "on_update")

    def __init__(
        self,
        headers: Iterable[str] | None = None,
        on_update: Callable[[HeaderSet], None] | None = None,
    ) -> None:
        self._items: list[str] = []
        self._keys: set[str] = set()
        self.on_update = on_update
        if headers:
            self._insert(self._checked(headers))

    @staticmethod
    def _checked(headers: Iterable[str]) -> list[str]:
        if isinstance(headers, (str, *_BYTES_TYPES)):
            raise ArgumentTypeError(
                f"header set items must be an iterable of str, got {describe(headers)}"
            )
        return [_safe_name("header set item", item) for item in headers]

    def _insert(self, items: list[str]) -> bool:
        keys = self._keys
        inserted = False
        for item in items:
            key = item.lower()
            if key not in keys:
                keys.add(key)
                self._items.append(item)
                inserted = True
        return inserted

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def add(self, header: str) -> None:
        """Add ``header`` unless an item equal to it ignoring case is present."""
        self.update((header,))

    def update(self, iterable: Iterable[str]) -> None:
        """Add every item of ``iterable`` (checked first, so a bad item adds nothing)."""
        if self._insert(self._checked(iterable)):
            self._changed()

    def remove(self, header: str) -> None:
        """Remove ``header`` (any case); ``KeyError`` if it is not in the set."""
        index = self.find(header)
        if index < 0:
            raise KeyError(header)
        del self[index]

    def discard(self, header: str) -> None:
        """Remove ``header`` (any case) if present."""
        index = self.find(header)
        if index >= 0:
            del self[index]

    def find(self, header: str) -> int:
        """The position of ``header`` (any case), or -1."""
        if not isinstance(header, str) or header.lower() not in self._keys:
            return -1
        key = header.lower()
        for index, item in enumerate(self._items):
            if item.lower() == key:
                return index
        return -1  # pragma: no cover - _keys and _items always agree

    def index(self, header: str) -> int:
        """The position of ``header`` (any case); ``IndexError`` if absent."""
        index = self.find(header)
        if index < 0:
            raise IndexError(header)
        return index

    def clear(self) -> None:
        """Remove every item."""
        self._items.clear()
        self._keys.clear()
        self._changed()

    def as_set(self, preserve_casing: bool = False) -> set[str]:
        """The items as a plain set, lowercased unless ``preserve_casing``."""
        return set(self._items) if preserve_casing else set(self._keys)

    def to_header(self) -> str:
        """The header value: items joined with ``", "``, quoted where needed."""
        return ", ".join([quote_header_value(item) for item in self._items])

    def __getitem__(self, index: int) -> str:
        return self._items[index]

    def __delitem__(self, index: int) -> None:
        item = self._items.pop(index)
        self._keys.discard(item.lower())
        self._changed()

    def __setitem__(self, index: int, value: str) -> None:
        text = _safe_name("header set item", value)
        old = self._items[index]
        key = text.lower()
        self._keys.discard(old.lower())
        self._items[index] = text
        if key in self._keys:
            # Another position held the same item: keep only this one, as a set must.
            self._items = [
                item
                for position, item in enumerate(self._items)
                if position == index % len(self._items) or item.lower() != key
            ]
        self._keys.add(key)
        self._changed()

    def __contains__(self, header: object) -> bool:
        return isinstance(header, str) and header.lower() in self._keys

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


def parse_set_header(
    value: str | None, on_update: Callable[[HeaderSet], None] | None = None
) -> HeaderSet:
    """Parse a comma-separated header into a :class:`HeaderSet`."""
    if not value:
        return HeaderSet(None, on_update)
    return HeaderSet(parse_list_header(value), on_update)


# -- live dicts -----------------------------------------------------------------

V = TypeVar("V")
_D = TypeVar("_D", bound="_LiveDict[Any]")
_missing: Any = object()


class _LiveDict(dict[str, V]):
    """A dict that checks keys and values for CR/LF/NUL and reports each change."""

    __slots__ = ("on_update",)

    #: Name used in error messages.
    _field = "header directive"

    def __init__(
        self,
        values: Mapping[str, V] | Iterable[tuple[str, V]] | None = (),
        on_update: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__()
        self.on_update = on_update
        if values:
            super().update(self._checked_items(values))

    def _check(self, key: object, value: object) -> None:
        _safe_name(f"{self._field} name", key)
        if value is not None:
            _safe_text(f"{self._field} {key!r} value", value)

    def _checked_items(self, values: Any = (), **kwargs: Any) -> dict[str, V]:
        items: dict[str, V] = dict(values, **kwargs)
        for key, value in items.items():
            self._check(key, value)
        return items

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: str, value: V) -> None:
        self._check(key, value)
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed()

    def clear(self) -> None:
        super().clear()
        self._changed()

    def pop(self, key: str, default: Any = _missing) -> Any:
        present = key in self
        value = super().pop(key) if default is _missing else super().pop(key, default)
        if present:
            self._changed()
        return value

    def popitem(self) -> tuple[str, V]:
        item = super().popitem()
        self._changed()
        return item

    def setdefault(self, key: str, default: Any = None) -> V:
        if key in self:
            return self[key]
        self[key] = default
        return default  # type: ignore[no-any-return]

    def update(self, values: Any = (), /, **kwargs: Any) -> None:
        super().update(self._checked_items(values, **kwargs))
        self._changed()

    def __ior__(self: _D, other: Any) -> _D:  # type: ignore[override,misc]
        self.update(other)
        return self

    def __repr__(self) -> str:
        pairs = " ".join(f"{key}={value!r}" for key, value in sorted(self.items()))
        return f"<{type(self).__name__} {pairs}>"


# -- Cache-Control --------------------------------------------------------------

# How a directive's attribute reads and writes its value.
_FLAG = "flag"  # bool: present or not
_SECONDS = "seconds"  # int delta-seconds
_FIELDS = "fields"  # True when bare, else the quoted field-name list as text
_SECONDS_OR_TRUE = "seconds or true"  # True when bare, else int delta-seconds


def _directive_property(directive: str, kind: str) -> property:
    def fget(self: ResponseCacheControl) -> Any:
        if kind is _FLAG:
            return directive in self
        value = self.get(directive, _missing)
        if value is _missing:
            return None
        if value is None:
            return True if kind is _FIELDS or kind is _SECONDS_OR_TRUE else None
        if kind is _SECONDS or kind is _SECONDS_OR_TRUE:
            try:
                return int(value)
            except (ValueError, TypeError):
                return None
        return value

    def fset(self: ResponseCacheControl, value: Any) -> None:
        if kind is _FLAG:
            if value:
                self[directive] = None
            else:
                self.pop(directive, None)
        elif value is None or value is False:
            self.pop(directive, None)
        elif value is True:
            self[directive] = None
        else:
            if kind is _SECONDS or kind is _SECONDS_OR_TRUE:
                try:
                    value = int(value)
                except (ValueError, TypeError):
                    raise HeaderValueError(
                        f"Cache-Control {directive} must be a number of seconds,"
                        f" got {describe(value)}"
                    ) from None
            self[directive] = str(value)

    def fdel(self: ResponseCacheControl) -> None:
        self.pop(directive, None)

    if kind is _FLAG:
        doc = f"``{directive}``: True when present."
    elif kind is _SECONDS:
        doc = f"``{directive}`` in seconds, or None when absent."
    else:
        doc = f"``{directive}``: True when bare, its field names as text, or None."
    return property(fget, fset, fdel, doc=doc)


class ResponseCacheControl(_LiveDict[str | None]):
    """The Cache-Control directives of a response, as a dict and as attributes.

    ``cc.max_age = 300`` stores ``'max-age': '300'``; flag directives such as
    ``public`` are True or False; ``no_cache`` and ``private`` are True when
    bare or hold field names (``cc.no_cache = 'Set-Cookie'``). Setting an
    attribute to None or False removes the directive.
    """

    __slots__ = ()
    _field = "Cache-Control directive"

    # Filled in from _RESPONSE_DIRECTIVES below; declared for type checkers.
    no_cache: str | bool | None
    no_store: bool
    no_transform: bool
    must_revalidate: bool
    proxy_revalidate: bool
    must_understand: bool
    private: str | bool | None
    public: bool
    immutable: bool
    max_age: int | None
    s_maxage: int | None
    stale_while_revalidate: int | None
    stale_if_error: int | None

    def to_header(self) -> str:
        """The Cache-Control header value (empty when no directive is set)."""
        return dump_header(self)

    def __str__(self) -> str:
        return self.to_header()


_RESPONSE_DIRECTIVES: tuple[tuple[str, str, str], ...] = (
    # attribute, directive, kind
    ("no_cache", "no-cache", _FIELDS),
    ("no_store", "no-store", _FLAG),
    ("no_transform", "no-transform", _FLAG),
    ("must_revalidate", "must-revalidate", _FLAG),
    ("proxy_revalidate", "proxy-revalidate", _FLAG),
    ("must_understand", "must-understand", _FLAG),
    ("private", "private", _FIELDS),
    ("public", "public", _FLAG),
    ("immutable", "immutable", _FLAG),
    ("max_age", "max-age", _SECONDS),
    ("s_maxage", "s-maxage", _SECONDS),
    ("stale_while_revalidate", "stale-while-revalidate", _SECONDS),
    ("stale_if_error", "stale-if-error", _SECONDS),
)
for _attribute, _directive, _kind in _RESPONSE_DIRECTIVES:
    setattr(ResponseCacheControl, _attribute, _directive_property(_directive, _kind))
del _attribute, _directive, _kind


class RequestCacheControl(dict[str, str | None]):
    """The Cache-Control directives a request sent, read-only, as a dict and as attributes.

    ``no_cache``, ``no_store``, ``no_transform`` and ``only_if_cached`` are
    True or False; ``max_age``, ``min_fresh`` and ``stale_if_error`` are
    seconds or None; ``max_stale`` is seconds, True when bare, or None.
    ``provided`` is False only when made from None (parsing always provides).
    """

    __slots__ = ("provided",)

    no_cache: bool
    no_store: bool
    no_transform: bool
    only_if_cached: bool
    max_age: int | None
    min_fresh: int | None
    stale_if_error: int | None
    max_stale: int | bool | None

    def __init__(
        self,
        values: Mapping[str, str | None] | Iterable[tuple[str, str | None]] | None = (),
        on_update: Callable[[Any], None] | None = None,
    ) -> None:
        # on_update is accepted for Werkzeug's signature; nothing here changes.
        super().__init__(values or ())
        self.provided = values is not None

    def _immutable(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{type(self).__name__!r} objects are immutable")

    __setitem__ = __delitem__ = __ior__ = _immutable
    clear = pop = popitem = setdefault = update = _immutable

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def to_header(self) -> str:
        """The Cache-Control header value."""
        return dump_header(self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        pairs = " ".join(f"{key}={value!r}" for key, value in sorted(self.items()))
        return f"<{type(self).__name__} {pairs}>"


def _read_only_directive(directive: str, kind: str) -> property:
    reader = _directive_property(directive, kind).fget

    def refuse(self: RequestCacheControl, *value: Any) -> None:
        self._immutable()

    return property(reader, refuse, refuse, doc=reader.__doc__ if reader else None)


_REQUEST_DIRECTIVES: tuple[tuple[str, str, str], ...] = (
    ("no_cache", "no-cache", _FLAG),
    ("no_store", "no-store", _FLAG),
    ("no_transform", "no-transform", _FLAG),
    ("only_if_cached", "only-if-cached", _FLAG),
    ("max_age", "max-age", _SECONDS),
    ("min_fresh", "min-fresh", _SECONDS),
    ("stale_if_error", "stale-if-error", _SECONDS),
    ("max_stale", "max-stale", _SECONDS_OR_TRUE),
)
for _attribute, _directive, _kind in _REQUEST_DIRECTIVES:
    setattr(RequestCacheControl, _attribute, _read_only_directive(_directive, _kind))
del _attribute, _directive, _kind

CC = TypeVar("CC", ResponseCacheControl, RequestCacheControl)


def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[Any], None] | None = None,
    cls: type[CC] = ResponseCacheControl,  # type: ignore[assignment]
) -> CC:
    """Parse a Cache-Control value (``max-age=60, public``) into ``cls``."""
    if not value:
        return cls((), on_update)
    return cls(parse_dict_header(value), on_update)


# -- Content-Security-Policy ----------------------------------------------------


def _policy_property(directive: str) -> property:
    def fget(self: ContentSecurityPolicy) -> str | None:
        return self.get(directive)

    def fset(self: ContentSecurityPolicy, value: str | None) -> None:
        if value is None:
            self.pop(directive, None)
        else:
            self[directive] = value

    def fdel(self: ContentSecurityPolicy) -> None:
        self.pop(directive, None)

    return property(fget, fset, fdel, doc=f"The ``{directive}`` directive, or None.")


_POLICY_DIRECTIVES = (
    "base-uri",
    "child-src",
    "connect-src",
    "default-src",
    "font-src",
    "form-action",
    "frame-ancestors",
    "frame-src",
    "img-src",
    "manifest-src",
    "media-src",
    "navigate-to",
    "object-src",
    "prefetch-src",
    "plugin-types",
    "report-to",
    "report-uri",
    "sandbox",
    "script-src",
    "script-src-attr",
    "script-src-elem",
    "style-src",
    "style-src-attr",
    "style-src-elem",
    "worker-src",
)


class ContentSecurityPolicy(_LiveDict[str]):
    """A Content-Security-Policy as a dict of directive -> source list.

    Directives are also attributes with dashes as underscores:
    ``csp.default_src = "'self'"``; None removes one.
    """

    __slots__ = ()
    _field = "Content-Security-Policy directive"

    base_uri: str | None
    child_src: str | None
    connect_src: str | None
    default_src: str | None
    font_src: str | None
    form_action: str | None
    frame_ancestors: str | None
    frame_src: str | None
    img_src: str | None
    manifest_src: str | None
    media_src: str | None
    navigate_to: str | None
    object_src: str | None
    prefetch_src: str | None
    plugin_types: str | None
    report_to: str | None
    report_uri: str | None
    sandbox: str | None
    script_src: str | None
    script_src_attr: str | None
    script_src_elem: str | None
    style_src: str | None
    style_src_attr: str | None
    style_src_elem: str | None
    worker_src: str | None

    def to_header(self) -> str:
        """The header value: ``directive value`` pairs joined with ``"; "``."""
        return dump_csp_header(self)

    def __str__(self) -> str:
        return self.to_header()


for _directive in _POLICY_DIRECTIVES:
    setattr(ContentSecurityPolicy, _directive.replace("-", "_"), _policy_property(_directive))
del _directive


def dump_csp_header(header: Mapping[str, str]) -> str:
    """Serialize directives as ``default-src 'self'; img-src *``."""
    return "; ".join([f"{key} {value}" for key, value in header.items()])


def parse_csp_header(
    value: str | None,
    on_update: Callable[[ContentSecurityPolicy], None] | None = None,
    cls: type[ContentSecurityPolicy] = ContentSecurityPolicy,
) -> ContentSecurityPolicy:
    """Parse a Content-Security-Policy value; policies without a space are skipped."""
    if value is None:
        return cls((), on_update)
    items = []
    for policy in value.split(";"):
        policy = policy.strip(" \t")
        if " " in policy:
            directive, _, sources = policy.partition(" ")
            items.append((directive.strip(" \t"), sources.strip(" \t")))
    return cls(items, on_update)


# -- Content-Range ----------------------------------------------------------------


def is_byte_range_valid(start: int | None, stop: int | None, length: int | None) -> bool:
    """True if ``start``-``stop`` (stop exclusive) is a valid range of a ``length`` body."""
    if (start is None) != (stop is None):
        return False
    if start is None:
        return length is None or length >= 0
    assert stop is not None
    if length is None:
        return 0 <= start < stop
    if start >= stop:
        return False
    return 0 <= start < length


def _optional_int(field: str, value: object) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ArgumentTypeError(f"Content-Range {field} must be an int or None, got {describe(value)}")


def _optional_units(value: object) -> str | None:
    return None if value is None else _safe_name("Content-Range units", value)


class ContentRange:
    """The Content-Range header: ``units start-(stop-1)/length``; ``stop`` is exclusive.

    ``units`` None means no header (see :meth:`unset`).
    """

    __slots__ = ("_length", "_start", "_stop", "_units", "on_update")

    def __init__(
        self,
        units: str | None,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        on_update: Callable[[ContentRange], None] | None = None,
    ) -> None:
        self.on_update = on_update
        self.set(start, stop, length, units)

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    @property
    def units(self) -> str | None:
        """The range unit, usually ``'bytes'``; None when unset."""
        return self._units

    @units.setter
    def units(self, value: str | None) -> None:
        self._units = _optional_units(value)
        self._changed()

    @property
    def start(self) -> int | None:
        """The first byte position, or None for ``*``."""
        return self._start

    @start.setter
    def start(self, value: int | None) -> None:
        self._start = _optional_int("start", value)
        self._changed()

    @property
    def stop(self) -> int | None:
        """One past the last byte position, or None for ``*``."""
        return self._stop

    @stop.setter
    def stop(self, value: int | None) -> None:
        self._stop = _optional_int("stop", value)
        self._changed()

    @property
    def length(self) -> int | None:
        """The complete length, or None for ``*`` (unknown)."""
        return self._length

    @length.setter
    def length(self, value: int | None) -> None:
        self._length = _optional_int("length", value)
        self._changed()

    def set(
        self,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        units: str | None = "bytes",
    ) -> None:
        """Replace every part at once; raises HeaderValueError for an invalid range."""
        checked_start = _optional_int("start", start)
        checked_stop = _optional_int("stop", stop)
        checked_length = _optional_int("length", length)
        checked_units = _optional_units(units)
        if not is_byte_range_valid(checked_start, checked_stop, checked_length):
            raise HeaderValueError(
                f"Content-Range start={start!r} stop={stop!r} length={length!r}"
                " is not a valid byte range"
            )
        self._units = checked_units
        self._start = checked_start
        self._stop = checked_stop
        self._length = checked_length
        self._changed()

    def unset(self) -> None:
        """Clear it, so that the header is removed."""
        self.set(None, None, units=None)

    def to_header(self) -> str:
        """The header value, or ``''`` when unset."""
        if self._units is None:
            return ""
        length = "*" if self._length is None else self._length
        if self._start is None:
            return f"{self._units} */{length}"
        return f"{self._units} {self._start}-{self._stop - 1}/{length}"  # type: ignore[operator]

    def __bool__(self) -> bool:
        return self._units is not None

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


_PLAIN_INT = re.compile(r"-?[0-9]+", re.ASCII)


def _plain_int(text: str) -> int:
    """An int of ASCII digits (and a leading ``-``) only: no ``+``, ``_`` or other digits."""
    text = text.strip(" \t")
    if _PLAIN_INT.fullmatch(text) is None:
        raise ValueError(text)
    return int(text)


def parse_content_range_header(
    value: str | None, on_update: Callable[[ContentRange], None] | None = None
) -> ContentRange | None:
    """Parse ``bytes 0-99/200`` or ``bytes */200``; None if malformed or invalid."""
    if value is None:
        return None
    units, _, range_spec = value.strip(" \t").partition(" ")
    if "/" not in range_spec:
        return None
    positions, _, length_text = range_spec.partition("/")
    try:
        length = None if length_text == "*" else _plain_int(length_text)
    except ValueError:
        return None
    if positions == "*":
        if not is_byte_range_valid(None, None, length):
            return None
        return ContentRange(units, None, None, length, on_update=on_update)
    if "-" not in positions:
        return None
    start_text, _, stop_text = positions.partition("-")
    try:
        start = _plain_int(start_text)
        stop = _plain_int(stop_text) + 1
    except ValueError:
        return None
    if not is_byte_range_valid(start, stop, length):
        return None
    return ContentRange(units, start, stop, length, on_update=on_update)


# -- WWW-Authenticate -------------------------------------------------------------


class _Parameters(_LiveDict[str | None]):
    __slots__ = ()
    _field = "WWW-Authenticate parameter"


# Digest parameters that are always quoted strings (RFC 7616 section 3.3).
_DIGEST_QUOTED = frozenset({"realm", "domain", "nonce", "opaque", "qop"})
_OWN_SLOTS = frozenset({"_type", "_parameters", "_token", "on_update"})


class WWWAuthenticate:
    """One WWW-Authenticate challenge: a scheme and parameters, or a scheme and a token.

    ``auth["realm"]`` and ``auth.realm`` both read and write :attr:`parameters`;
    ``type``, ``token`` and ``parameters`` are the challenge itself. Each change
    calls ``on_update(self)``.
    """

    __slots__ = ("_parameters", "_token", "_type", "on_update")

    # Declared so that type checkers do not route these through __getattr__.
    _type: str
    _token: str | None
    _parameters: _Parameters
    on_update: Callable[[WWWAuthenticate], None] | None

    def __init__(
        self,
        auth_type: str,
        values: Mapping[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        object.__setattr__(self, "on_update", None)
        object.__setattr__(self, "_type", _safe_name("WWW-Authenticate scheme", auth_type).lower())
        object.__setattr__(self, "_token", self._checked_token(token))
        object.__setattr__(self, "_parameters", _Parameters(values, self._parameters_changed))

    @staticmethod
    def _checked_token(token: object) -> str | None:
        return None if token is None else _safe_name("WWW-Authenticate token", token)

    def _parameters_changed(self, _: object) -> None:
        self._changed()

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    @property
    def type(self) -> str:
        """The scheme, lowercased: ``basic``, ``digest``, ``bearer``."""
        return self._type

    @type.setter
    def type(self, value: str) -> None:
        object.__setattr__(self, "_type", _safe_name("WWW-Authenticate scheme", value).lower())
        self._changed()

    @property
    def parameters(self) -> dict[str, str | None]:
        """The challenge parameters (a live dict); unused when :attr:`token` is set."""
        return self._parameters

    @parameters.setter
    def parameters(self, value: Mapping[str, str | None]) -> None:
        object.__setattr__(self, "_parameters", _Parameters(value, self._parameters_changed))
        self._changed()

    @property
    def token(self) -> str | None:
        """The token68 of schemes that send one instead of parameters."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        object.__setattr__(self, "_token", self._checked_token(value))
        self._changed()

    def __getitem__(self, key: str) -> str | None:
        return self._parameters.get(key)

    def __setitem__(self, key: str, value: str | None) -> None:
        if value is None:
            if key in self._parameters:
                del self._parameters[key]
        else:
            self._parameters[key] = value
        self._changed()

    def __delitem__(self, key: str) -> None:
        if key in self._parameters:
            del self._parameters[key]
            # A second report, as Werkzeug makes; the header text is the same.
            self._changed()

    def __getattr__(self, name: str) -> str | None:
        if name[:2] == "__":
            raise AttributeError(name)
        return self[name]

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN_SLOTS or name in ("type", "parameters", "token"):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WWWAuthenticate):
            return NotImplemented
        return (
            self._type == other._type
            and self._token == other._token
            and self._parameters == other._parameters
        )

    __hash__ = None  # type: ignore[assignment]

    def get(self, key: str, default: str | None = None) -> str | None:
        """The parameter ``key``, or ``default``."""
        return self._parameters.get(key, default)

    @classmethod
    def from_header(cls, value: str | None) -> WWWAuthenticate | None:
        """Parse one challenge (``Basic realm="x"``, ``Bearer abc``); None if empty."""
        if not value:
            return None
        scheme, _, rest = value.partition(" ")
        rest = rest.strip(" \t")
        # An '=' that is not trailing padding means parameters, not a token68.
        if "=" in rest.rstrip("="):
            return cls(scheme, parse_dict_header(rest), None)
        return cls(scheme, None, rest)

    def to_header(self) -> str:
        """The header value for this challenge."""
        scheme = self._type.title()
        if self._token is not None:
            return f"{scheme} {self._token}"
        if not self._parameters:
            return scheme
        if self._type == "digest":
            parts = [
                f"{key}={quote_header_value(value, allow_token=key not in _DIGEST_QUOTED)}"
                for key, value in self._parameters.items()
            ]
            return f"Digest {', '.join(parts)}"
        return f"{scheme} {dump_header(self._parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


# -- Authorization -------------------------------------------------------------------


class Authorization:
    """The Authorization header a request sent: a scheme with parameters or a token.

    ``Basic`` credentials are decoded into the ``username`` and ``password``
    parameters; ``Bearer abc`` has ``token == 'abc'``. ``auth["key"]``,
    ``auth.key`` and ``auth.get("key")`` read :attr:`parameters`.
    """

    def __init__(
        self,
        auth_type: str,
        data: dict[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        #: The scheme: ``basic``, ``digest``, ``bearer``.
        self.type = auth_type
        #: The parameters (empty when the scheme sent a token).
        self.parameters: dict[str, str | None] = {} if data is None else data
        #: The token68 of schemes that send one (``Bearer``), else None.
        self.token = token

    def __getattr__(self, name: str) -> str | None:
        if name[:2] == "__" or name == "parameters":
            raise AttributeError(name)
        return self.parameters.get(name)

    def __getitem__(self, name: str) -> str | None:
        return self.parameters.get(name)

    def get(self, key: str, default: str | None = None) -> str | None:
        """The parameter ``key``, or ``default``."""
        return self.parameters.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (
            self.type == other.type
            and self.token == other.token
            and self.parameters == other.parameters
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        """Parse an Authorization value; None if empty or Basic credentials are malformed."""
        if not value:
            return None
        scheme, _, rest = value.partition(" ")
        scheme = scheme.lower()
        rest = rest.strip(" \t")
        if scheme == "basic":
            try:
                decoded = base64.b64decode(rest, validate=True).decode()
            except (binascii.Error, UnicodeError):
                return None
            username, _, password = decoded.partition(":")
            return cls(scheme, {"username": username, "password": password})
        # An '=' that is not trailing padding means parameters, not a token68.
        if "=" in rest.rstrip("="):
            return cls(scheme, parse_dict_header(rest), None)
        return cls(scheme, None, rest)

    def to_header(self) -> str:
        """The header value."""
        if self.type == "basic":
            credentials = f"{self.username}:{self.password}".encode()
            return f"Basic {base64.b64encode(credentials).decode('ascii')}"
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        return f"{self.type.title()} {dump_header(self.parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


# -- Age and cross-origin policies --------------------------------------------------


def parse_age(value: str | None = None) -> timedelta | None:
    """A non-negative integer count of seconds as a timedelta; None if invalid."""
    if not value:
        return None
    try:
        seconds = int(value)
    except ValueError:
        return None
    if seconds < 0:
        return None
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        return None


def dump_age(age: timedelta | int | None = None) -> str | None:
    """Seconds (a timedelta or a number) as a base-10 integer string; None stays None."""
    if age is None:
        return None
    if isinstance(age, timedelta):
        seconds = int(age.total_seconds())
    else:
        try:
            seconds = int(age)
        except (ValueError, TypeError):
            raise HeaderValueError(
                f"Age must be a number of seconds, got {describe(age)}"
            ) from None
    if seconds < 0:
        raise HeaderValueError(f"Age must not be negative, got {describe(age)}")
    return str(seconds)


class COEP(Enum):
    """Cross-Origin-Embedder-Policy values."""

    UNSAFE_NONE = "unsafe-none"
    REQUIRE_CORP = "require-corp"


class COOP(Enum):
    """Cross-Origin-Opener-Policy values."""

    UNSAFE_NONE = "unsafe-none"
    SAME_ORIGIN_ALLOW_POPUPS = "same-origin-allow-popups"
    SAME_ORIGIN = "same-origin"
