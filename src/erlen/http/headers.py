"""Response headers: an ordered, case-insensitive list of (name, value) pairs.

:class:`Headers` has the API and results of Werkzeug's ``Headers`` but checks
every write: names must be RFC 9110 tokens and values may hold only HTAB,
visible ASCII, space and Latin-1 text (U+00A0-U+00FF), so nothing written
through it can split a response or fail to encode on the wire. A write that
fails leaves the object as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar, Union, overload

from erlen.errors import ArgumentTypeError, HeaderValueError, LocationValueError, describe
from erlen.http.urls import iri_to_uri

__all__ = [
    "Headers",
    "dump_options",
    "find_unsafe_char",
    "validate_header_name",
    "validate_header_value",
]

T = TypeVar("T")

HeadersInput = Union[
    "Headers",
    Mapping[str, Any],
    Iterable[tuple[str, Any]],
]


# RFC 9110 section 5.6.2: token = 1*tchar
def replace_header(pairs: list[tuple[str, str]], name: str, value: str) -> None:
    """Set ``name`` in a list of header pairs: the first one replaced in place, the
    others dropped, or the pair appended when there is none."""
    lowered = name.lower()
    for index, (old, _) in enumerate(pairs):
        if old.lower() == lowered:
            pairs[index] = (name, value)
            # PERF: the tail is rebuilt only when a match was found
            pairs[index + 1 :] = [p for p in pairs[index + 1 :] if p[0].lower() != lowered]
            return
    pairs.append((name, value))


#: Whether a string is an HTTP token (RFC 9110 5.6.2): header names, cookie names.
is_token = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch
_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

# PERF: names already checked skip the regex; bounded so that names taken
# from untrusted input cannot grow it without limit.
_valid_names: set[str] = set()
_VALID_NAMES_LIMIT = 512

# RFC 9110 field-value: HTAB, SP, VCHAR and obs-text (0x80-0xFF). Every other
# control (C0 but HTAB, DEL, C1 such as NEL) is a line break to some parser, and
# anything above U+00FF cannot be encoded as Latin-1 on the wire.
_find_unsafe_value_char = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]|[^\x00-\xff]").search
# Sent through iri_to_uri by the adapters (as Werkzeug does), so any IRI is
# fine here, but one iri_to_uri cannot convert must fail at the write.
_URI_HEADERS = frozenset(("location", "content-location"))
_CHAR_LABELS = {"\r": "CR (\\r)", "\n": "LF (\\n)", "\0": "NUL (\\0)"}
_BYTES_TYPES = (bytes, bytearray, memoryview)
# as Werkzeug: only these repeat a header (a frozenset goes through str())
_MULTI_VALUE_TYPES = (list, tuple, set)

_missing: Any = object()


def validate_header_name(name: object) -> str:
    """Return ``name`` as a plain ``str`` if it is an RFC 9110 token, else raise."""
    if name.__class__ is str and name in _valid_names:
        return name
    if not isinstance(name, str):
        raise ArgumentTypeError(
            f"header name must be str, got {type(name).__name__}: {describe(name)}"
        )
    # A str subclass could override comparisons; keep only the plain text.
    name = str.__str__(name)
    if is_token(name) is None:
        raise HeaderValueError(
            f"header name {describe(name)} is not a valid token"
            " (letters, digits and !#$%&'*+-.^_`|~ only, not empty)"
        )
    if len(_valid_names) < _VALID_NAMES_LIMIT:
        _valid_names.add(name)
    return name


def validate_header_value(name: str, value: object) -> str:
    """Return the ``str`` form of ``value`` for header ``name``; raise if unsafe.

    ``str`` values are kept, bytes-like values are refused (their ``str()`` is a
    Python repr, never what was meant), anything else goes through ``str()``.
    """
    text: str
    if value.__class__ is str:
        text = value
    elif isinstance(value, str):
        # a str subclass could hide characters from `in`; check its plain text
        text = str.__str__(value)
    elif isinstance(value, _BYTES_TYPES):
        raise ArgumentTypeError(
            f"header {name!r} value must be str, not {type(value).__name__}:"
            f" {describe(value)}; decode it first"
        )
    else:
        text = str(value)
        if text.__class__ is not str:
            text = str.__str__(text)
    # PERF: only names as long as "Location" or "Content-Location" are lowered.
    if (len(name) == 8 or len(name) == 16) and name.lower() in _URI_HEADERS:
        _check_uri_value(name, text)
        return text
    # PERF: almost every value is printable ASCII; two C-level scans prove it
    # safe (isprintable() is False for HTAB, so tabs take the regex path).
    if not (text.isascii() and text.isprintable()):
        bad = find_unsafe_char(text)
        if bad is not None:
            raise HeaderValueError(
                f"header {name!r} value {describe(text)} contains {bad},"
                " which could split the response or cannot be sent as Latin-1"
            )
    return text


def _check_uri_value(name: str, text: str) -> None:
    try:
        iri_to_uri(text)
    except LocationValueError:
        raise
    except ValueError as error:
        # urlsplit's own errors ("Invalid IPv6 URL") are not ours; name the header.
        raise LocationValueError(
            f"header {name!r} value {describe(text)} is not a valid URL: {error}"
        ) from None


def find_unsafe_char(text: str) -> str | None:
    """Name the first character of ``text`` that may not be sent in a header, or None.

    Allowed: HTAB, space, visible ASCII and U+00A0-U+00FF. The name is ``CR
    (\\r)``, ``LF (\\n)``, ``NUL (\\0)`` or the code point (``U+2028``).
    """
    bad = _find_unsafe_value_char(text)
    if bad is None:
        return None
    char = bad.group()
    label = _CHAR_LABELS.get(char)
    return label if label is not None else f"U+{ord(char):04X}"


def _quote_option(value: object) -> str:
    text = value if isinstance(value, str) else _option_text(value)
    if not text:
        return '""'
    if _TOKEN_CHARS.issuperset(text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _option_text(value: object) -> str:
    if isinstance(value, _BYTES_TYPES):
        raise ArgumentTypeError(
            f"header option value must be str, not {type(value).__name__}: {describe(value)}"
        )
    return str(value)


def dump_options(value: object, options: Mapping[str, object]) -> str:
    """Render ``value; key=value; ...`` the way Werkzeug's ``dump_options_header`` does.

    Parameters whose value is ``None`` are skipped; values that are not tokens
    are quoted; a key ending in ``*`` (RFC 8187 extended form) is written as is.
    Keys must be tokens (a trailing ``*`` allowed).
    """
    segments: list[str] = []
    if value is not None:
        segments.append(value if isinstance(value, str) else _option_text(value))
    for key, option in options.items():
        if not isinstance(key, str) or is_token(key) is None:
            raise HeaderValueError(f"header option name {describe(key)} is not a valid token")
        if option is None:
            continue
        if key.endswith("*"):
            segments.append(f"{key}={_option_text(option)}")
        else:
            segments.append(f"{key}={_quote_option(option)}")
    return "; ".join(segments)


def _with_options(value: object, options: dict[str, Any]) -> object:
    # keyword arguments spell dashes as underscores: filename_star -> filename-star
    return dump_options(value, {key.replace("_", "-"): item for key, item in options.items()})


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise ArgumentTypeError(
            f"header name must be str, got {type(key).__name__}: {describe(key)}"
        )
    return key


def _as_pair(item: object) -> tuple[object, object]:
    try:
        name, value = item  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ArgumentTypeError(
            f"header items must be (name, value) pairs, got {describe(item)}"
        ) from None
    return name, value  # type: ignore[has-type]


def _multi_items(arg: HeadersInput) -> Iterator[tuple[object, object]]:
    """Pairs from a Headers, a (multi-)mapping or an iterable of pairs."""
    if isinstance(arg, Headers):
        yield from arg._list
    elif isinstance(arg, Mapping):
        getlist = getattr(arg, "getlist", None)
        if getlist is not None and callable(getlist):
            # a MultiDict: keep every value, not only the first
            for key in arg:
                for value in getlist(key):
                    yield key, value
            return
        for key, value in arg.items():
            if isinstance(value, _MULTI_VALUE_TYPES):
                for item in value:
                    yield key, item
            else:
                yield key, value
    elif isinstance(arg, (str, bytes)):
        raise ArgumentTypeError(
            f"headers must be a mapping or (name, value) pairs, got {describe(arg)}"
        )
    else:
        for item in arg:
            yield _as_pair(item)


def _validated(pairs: Iterable[tuple[object, object]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in pairs:
        checked = validate_header_name(name)
        out.append((checked, validate_header_value(checked, value)))
    return out


class Headers:
    """Ordered, case-insensitive, multi-valued headers with Werkzeug's API.

    Iterating yields ``(name, value)`` tuples. Every write validates its input
    first (:class:`~erlen.errors.HeaderValueError`,
    :class:`~erlen.errors.ArgumentTypeError`) and changes nothing when it fails.
    """

    __slots__ = ("_list",)

    _list: list[tuple[str, str]]

    def __init__(self, defaults: HeadersInput | None = None) -> None:
        if defaults is None:
            self._list = []
        elif isinstance(defaults, Headers):
            # PERF: already validated, a shallow copy is enough
            self._list = list(defaults._list)
        elif defaults.__class__ is dict:
            # PERF: Response(headers={...}) is the common case; no generators
            pairs: list[tuple[str, str]] = []
            for key, value in defaults.items():
                name = validate_header_name(key)
                if isinstance(value, _MULTI_VALUE_TYPES):
                    for item in value:
                        pairs.append((name, validate_header_value(name, item)))
                else:
                    pairs.append((name, validate_header_value(name, value)))
            self._list = pairs
        else:
            self._list = _validated(_multi_items(defaults))

    @classmethod
    def _from_trusted(cls, pairs: list[tuple[str, str]]) -> Headers:
        """Adopt ``pairs`` (already validated) without copying or checking them."""
        headers = cls.__new__(cls)
        headers._list = pairs
        return headers

    # -- reading ---------------------------------------------------------

    def _get_key(self, key: str) -> str:
        lowered = _check_key(key).lower()
        for name, value in self._list:
            if name.lower() == lowered:
                return value
        raise KeyError(key)

    @overload
    def __getitem__(self, key: str) -> str: ...
    @overload
    def __getitem__(self, key: int) -> tuple[str, str]: ...
    @overload
    def __getitem__(self, key: slice) -> Headers: ...
    def __getitem__(self, key: str | int | slice) -> str | tuple[str, str] | Headers:
        """Value of the first header named ``key``; an int or slice indexes the pairs."""
        if isinstance(key, str):
            return self._get_key(key)
        if isinstance(key, int):
            return self._list[key]
        if isinstance(key, slice):
            return self.__class__._from_trusted(self._list[key])
        raise ArgumentTypeError(
            f"header key must be str, int or slice, got {type(key).__name__}: {describe(key)}"
        )

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    @overload
    def get(self, key: str, default: T) -> str | T: ...
    @overload
    def get(self, key: str, *, type: Callable[[str], T]) -> T | None: ...
    @overload
    def get(self, key: str, default: T, type: Callable[[str], T]) -> T: ...
    def get(self, key: str, default: Any = None, type: Callable[[str], Any] | None = None) -> Any:
        """First value for ``key`` (converted by ``type``), or ``default``.

        A ``ValueError`` from ``type`` counts as "not found", as in Werkzeug.
        """
        try:
            value = self._get_key(key)
        except KeyError:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except ValueError:
            return default

    @overload
    def getlist(self, key: str) -> list[str]: ...
    @overload
    def getlist(self, key: str, type: Callable[[str], T]) -> list[T]: ...
    def getlist(self, key: str, type: Callable[[str], Any] | None = None) -> list[Any]:
        """Every value for ``key`` in order; values ``type`` rejects are left out."""
        lowered = _check_key(key).lower()
        if type is None:
            return [value for name, value in self._list if name.lower() == lowered]
        result: list[Any] = []
        for name, value in self._list:
            if name.lower() == lowered:
                try:
                    result.append(type(value))
                except ValueError:
                    continue
        return result

    def get_all(self, name: str) -> list[str]:
        """Every value for ``name`` (the :mod:`wsgiref` spelling of :meth:`getlist`)."""
        return self.getlist(name)

    def items(self, lower: bool = False) -> Iterator[tuple[str, str]]:
        """Yield ``(name, value)`` pairs; names lowercased if ``lower``."""
        for name, value in self._list:
            yield (name.lower() if lower else name), value

    def keys(self, lower: bool = False) -> Iterator[str]:
        """Yield the names, repeated once per value; lowercased if ``lower``."""
        for name, _ in self._list:
            yield name.lower() if lower else name

    def values(self) -> Iterator[str]:
        """Yield the values in order."""
        for _, value in self._list:
            yield value

    def __contains__(self, key: object) -> bool:
        """True if a header named ``key`` (any case) is present."""
        if not isinstance(key, str):
            return False
        lowered = key.lower()
        # PERF: a plain loop, no generator frame per lookup
        for name, _ in self._list:  # noqa: SIM110
            if name.lower() == lowered:
                return True
        return False

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """Yield ``(name, value)`` tuples."""
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: object) -> bool:
        # Werkzeug compares the sets of pairs, names folded: order and repeats
        # do not count.
        if other.__class__ is not self.__class__:
            return NotImplemented
        mine = {(name.lower(), value) for name, value in self._list}
        theirs = {(name.lower(), value) for name, value in other._list}
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """A new list of the pairs, as WSGI ``start_response`` takes them."""
        return list(self._list)

    def copy(self) -> Headers:
        """A shallow copy (the pairs are immutable, so nothing is shared)."""
        return self.__class__._from_trusted(list(self._list))

    def __copy__(self) -> Headers:
        return self.copy()

    def __str__(self) -> str:
        """The header block as sent: one ``Name: value`` line each, then a blank line."""
        lines = [f"{name}: {value}" for name, value in self._list]
        lines.append("\r\n")
        return "\r\n".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._list!r})"

    # -- writing ---------------------------------------------------------

    def _set_trusted(self, name: str, value: str) -> None:
        replace_header(self._list, name, value)

    def _setlist_trusted(self, name: str, values: list[str]) -> None:
        if not values:
            self._remove_trusted(name)
            return
        self._set_trusted(name, values[0])
        self._list.extend((name, value) for value in values[1:])

    def _remove_trusted(self, key: str) -> None:
        lowered = key.lower()
        self._list[:] = [pair for pair in self._list if pair[0].lower() != lowered]

    def add(self, key: str, value: Any, /, **options: Any) -> None:
        """Append a header; keyword options render as ``; key=value`` parameters.

        ``add('Content-Disposition', 'attachment', filename='a.txt')`` gives
        ``attachment; filename=a.txt``; underscores in option names become dashes.
        """
        name = validate_header_name(key)
        if options:
            value = _with_options(value, options)
        self._list.append((name, validate_header_value(name, value)))

    def add_header(self, key: str, value: Any, /, **options: Any) -> None:
        """Same as :meth:`add` (the :mod:`wsgiref` name)."""
        self.add(key, value, **options)

    def set(self, key: str, value: Any, /, **options: Any) -> None:
        """Replace the first ``key`` header in place and drop the others, or append."""
        name = validate_header_name(key)
        if options:
            value = _with_options(value, options)
        self._set_trusted(name, validate_header_value(name, value))

    def setlist(self, key: str, values: Iterable[Any]) -> None:
        """Replace every ``key`` header with one header per item of ``values``."""
        name = validate_header_name(key)
        checked = [validate_header_value(name, value) for value in values]
        self._setlist_trusted(name, checked)

    def setdefault(self, key: str, default: Any) -> str:
        """The first value for ``key``; if absent, set it to ``default`` first."""
        try:
            return self._get_key(key)
        except KeyError:
            pass
        name = validate_header_name(key)
        value = validate_header_value(name, default)
        self._list.append((name, value))
        return value

    def setlistdefault(self, key: str, default: Iterable[Any]) -> list[str]:
        """Every value for ``key``; if absent, :meth:`setlist` ``default`` first.

        The returned list is a copy: changing it does not change the headers.
        """
        if key not in self:
            self.setlist(key, default)
        return self.getlist(key)

    @overload
    def __setitem__(self, key: str, value: Any) -> None: ...
    @overload
    def __setitem__(self, key: int, value: tuple[str, Any]) -> None: ...
    @overload
    def __setitem__(self, key: slice, value: Iterable[tuple[str, Any]]) -> None: ...
    def __setitem__(self, key: str | int | slice, value: Any) -> None:
        """Like :meth:`set`; an int or slice replaces pairs by position."""
        if key.__class__ is str:
            # PERF: set() inlined for a known name and a printable ASCII value
            # (Location and Content-Location, 8 and 16 long, take the full check).
            name: str = key if key in _valid_names else validate_header_name(key)
            if not (
                value.__class__ is str
                and value.isascii()
                and value.isprintable()
                and len(name) != 8
                and len(name) != 16
            ):
                value = validate_header_value(name, value)
            self._set_trusted(name, value)
        elif isinstance(key, str):
            self.set(key, value)
        elif isinstance(key, int):
            pair_name, item = _as_pair(value)
            checked = validate_header_name(pair_name)
            self._list[key] = (checked, validate_header_value(checked, item))
        elif isinstance(key, slice):
            if isinstance(value, (str, bytes)):
                raise ArgumentTypeError(
                    f"a header slice takes (name, value) pairs, got {describe(value)}"
                )
            self._list[key] = _validated(_as_pair(item) for item in value)
        else:
            raise ArgumentTypeError(
                f"header key must be str, int or slice, got {type(key).__name__}: {describe(key)}"
            )

    def extend(self, arg: HeadersInput | None = None, /, **kwargs: Any) -> None:
        """Append the headers from ``arg`` and ``kwargs``, keeping existing ones.

        A mapping value that is a list, tuple or set adds one header per item.
        """
        new: list[tuple[str, str]] = []
        if arg is not None:
            new = _validated(_multi_items(arg))
        if kwargs:
            new.extend(_validated(_multi_items(kwargs)))
        self._list.extend(new)

    def update(self, arg: HeadersInput | None = None, /, **kwargs: Any) -> None:
        """Replace the headers named in ``arg`` and ``kwargs``, adding new ones.

        A list, tuple or set value (or every value of a Headers argument)
        replaces the header with several, in the same way as :meth:`setlist`.
        """
        # Everything is checked before anything changes; applying the checked
        # steps cannot fail, so a bad item leaves the headers untouched.
        steps: list[tuple[str, list[str] | str]] = []
        if arg is not None:
            if isinstance(arg, Headers):
                # Headers iterates pairs, so keys() is needed here
                for name in arg.keys():  # noqa: SIM118
                    steps.append((name, arg.getlist(name)))
            elif isinstance(arg, Mapping) and callable(getattr(arg, "getlist", None)):
                for name in arg:
                    checked = validate_header_name(name)
                    values = arg.getlist(name)  # type: ignore[union-attr]
                    steps.append(
                        (checked, [validate_header_value(checked, value) for value in values])
                    )
            elif isinstance(arg, Mapping):
                steps.extend(self._mapping_steps(arg))
            elif isinstance(arg, (str, bytes)):
                raise ArgumentTypeError(
                    f"headers must be a mapping or (name, value) pairs, got {describe(arg)}"
                )
            else:
                for item in arg:
                    raw_name, raw_value = _as_pair(item)
                    checked = validate_header_name(raw_name)
                    steps.append((checked, validate_header_value(checked, raw_value)))
        if kwargs:
            steps.extend(self._mapping_steps(kwargs))
        for name, values in steps:
            if isinstance(values, str):
                self._set_trusted(name, values)
            else:
                self._setlist_trusted(name, values)

    @staticmethod
    def _mapping_steps(mapping: Mapping[str, Any]) -> list[tuple[str, list[str] | str]]:
        steps: list[tuple[str, list[str] | str]] = []
        for name, value in mapping.items():
            checked = validate_header_name(name)
            if isinstance(value, _MULTI_VALUE_TYPES):
                steps.append((checked, [validate_header_value(checked, item) for item in value]))
            else:
                steps.append((checked, validate_header_value(checked, value)))
        return steps

    def __or__(self, other: Mapping[str, Any]) -> Headers:
        if not isinstance(other, Mapping):
            return NotImplemented
        result = self.copy()
        result.update(other)
        return result

    def __ior__(self, other: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Headers:
        if not isinstance(other, (Mapping, Iterable)):
            return NotImplemented
        self.update(other)
        return self

    # -- removing --------------------------------------------------------

    def remove(self, key: str) -> None:
        """Remove every header named ``key``; no error if there is none."""
        self._remove_trusted(_check_key(key))

    def __delitem__(self, key: str | int | slice) -> None:
        """Remove every header named ``key`` (no error if absent), or pairs by position."""
        if isinstance(key, str):
            self._remove_trusted(key)
        elif isinstance(key, (int, slice)):
            del self._list[key]
        else:
            raise ArgumentTypeError(
                f"header key must be str, int or slice, got {type(key).__name__}: {describe(key)}"
            )

    @overload
    def pop(self) -> tuple[str, str]: ...
    @overload
    def pop(self, key: str) -> str: ...
    @overload
    def pop(self, key: int | None = ...) -> tuple[str, str]: ...
    @overload
    def pop(self, key: str, default: str) -> str: ...
    @overload
    def pop(self, key: str, default: T) -> str | T: ...
    def pop(self, key: str | int | None = None, default: Any = _missing) -> Any:
        """Remove and return: the last pair (no key), the pair at an int, or the
        first value for a name (removing all of its headers)."""
        if key is None:
            return self._list.pop()
        if isinstance(key, int):
            return self._list.pop(key)
        try:
            value = self._get_key(key)
        except KeyError:
            if default is not _missing:
                return default
            raise
        self._remove_trusted(key)
        return value

    def popitem(self) -> tuple[str, str]:
        """Remove and return the last ``(name, value)`` pair."""
        return self._list.pop()

    def clear(self) -> None:
        """Remove every header."""
        self._list.clear()
