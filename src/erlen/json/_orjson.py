"""orjson for :class:`~erlen.json.provider.DefaultJSONProvider`, only where its
bytes are the standard library's.

The default provider must write exactly Flask's bytes (docs/compat.md), and
orjson differs from :mod:`json` in ways its output does not show: floats below
1e-4 without an exponent (``0.00001`` for ``1e-05``), ``Enum`` members and
dataclasses serialized natively instead of through ``default``, NaN as
``null``, UTF-8 where ``ensure_ascii`` escapes, DEL (0x7f) left raw. So orjson
is given a value only when :func:`plain_size` finds it made of exact ``dict``,
``list``, ``tuple``, ``str``, ``int``, ``bool``, ``None`` and finite floats in
``[1e-4, 1e16)`` (or zero), where both libraries write the shortest round-trip
digits without an exponent; and, while the provider's ``default`` is the stock
one, exact ``date``, ``datetime``, ``Decimal`` and ``UUID``: orjson is told to
hand dates to that same ``default`` (it hands it Decimals anyway) and writes a
``UUID`` as ``str(uuid)``, which is what ``default`` returns. What is left is
checked on the output or left to orjson to refuse, each then falling back to
:mod:`json` for that call:

- non-ASCII text (which ``ensure_ascii`` escapes): the output is not ASCII;
- DEL: ``0x7f`` in the output;
- lone surrogates, ints beyond 64 bits, non-``str`` or ``str``-subclass keys,
  nesting past orjson's limit: orjson raises.

No user code runs on the orjson path (only the stock ``default``, which has no
side effects), so falling back repeats nothing visible. orjson is imported on
first use, never by ``import erlen``, and checked once against :mod:`json` on
probe values (:data:`_PROBES`, :data:`_MUST_RAISE`); if any differs (another
orjson version formatting differently), it is not used at all.
"""

from __future__ import annotations

import json as _json
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, compress, repeat
from math import isfinite
from operator import is_
from typing import Any

__all__ = ["dumps_or_none", "orjson_active", "plain_size"]

# orjson refuses more than 255 levels; stop the walk before that, which also
# ends it on a circular value (the standard library then reports the cycle).
_MAX_DEPTH = 250
# Past this many values the walk stops (json then encodes): a value that
# shares one list many times, or a cycle that branches, cannot grow it forever.
_MAX_SIZE = 1 << 20
_FLOAT_LOW = 1e-4
_FLOAT_HIGH = 1e16

_COMPACT = (",", ":")
_LEAF_KINDS = frozenset({str, int, bool, type(None)})
_PLAIN_KINDS = _LEAF_KINDS | {float, dict, list, tuple}
# Flask's extra types, taken only with the stock ``default``: orjson hands dates
# and Decimals to it (OPT_PASSTHROUGH_DATETIME; it has no Decimal support) and
# writes a UUID as ``str(uuid)`` does, which is what that ``default`` returns.
_EXTRA_KINDS = frozenset({date, datetime, Decimal, uuid.UUID})
_LEAF_AND_EXTRA_KINDS = _LEAF_KINDS | _EXTRA_KINDS
_PLAIN_AND_EXTRA_KINDS = _PLAIN_KINDS | _EXTRA_KINDS

_Dumps = Callable[..., bytes]
#: ``None`` until first use; then ``(orjson.dumps, OPT_SORT_KEYS, OPT_INDENT_2,
#: OPT_PASSTHROUGH_DATETIME)`` or ``False`` when orjson is missing or failed the probes.
_loaded: tuple[_Dumps, int, int, int] | bool | None = None


class _StrKey(str):
    """A ``str`` subclass key: orjson must refuse it (its ``__lt__`` could
    order keys differently under ``sort_keys``)."""


#: Values whose bytes must match :mod:`json` exactly for orjson to be used.
_PROBES: list[Any] = [
    [0.0, -0.0, 1e-4, 0.00011, 0.1, 1.5, 1 / 3, 2.5e-4, 100.0, 1e15, 9999999999999998.0],
    [123456789012345.67, -0.000123, 0.30000000000000004, 4.35, 1e15 + 0.3],
    [0, -1, 2**63 - 1, -(2**63), 2**64 - 1, True, False, None],
    '\x00\x01\x1f"\\/\b\f\n\r\t ~',
    {"b": [], "a": {}, "c": [1, {"z": (1, 2)}], "": ""},
    [uuid.UUID(int=0), uuid.UUID("12345678-9abc-def0-1234-56789abcdef0")],
    [],
    {},
]
#: Values orjson must refuse (we rely on it for them).
_MUST_RAISE: list[Any] = [
    {_StrKey("a"): 1},
    {1: 2},
    [2**64],
    [-(2**63) - 1],
    "\ud800",
]


def _load() -> tuple[_Dumps, int, int, int] | bool:
    global _loaded
    if _loaded is None:
        _loaded = _import_and_check()
    return _loaded


def _import_and_check() -> tuple[_Dumps, int, int, int] | bool:
    try:
        import orjson
    except ImportError:
        return False
    try:
        dumps: _Dumps = orjson.dumps
        sort_keys: int = orjson.OPT_SORT_KEYS
        indent: int = orjson.OPT_INDENT_2
        passthrough: int = orjson.OPT_PASSTHROUGH_DATETIME
        for sort in (True, False):
            option = sort_keys if sort else 0
            for value in _PROBES:
                if dumps(value, option=option).decode() != _json.dumps(
                    value, sort_keys=sort, separators=_COMPACT, default=str
                ):
                    return False
                if dumps(value, option=option | indent).decode() != _json.dumps(
                    value, sort_keys=sort, indent=2, default=str
                ):
                    return False
        for value in _MUST_RAISE:
            try:
                dumps(value, option=sort_keys)
            except Exception:
                continue
            return False
        # Dates, datetimes and Decimals must reach ``default``.
        extras = [date(2020, 1, 2), datetime(2020, 1, 2, 3, 4), Decimal("1.5")]
        if dumps(extras, default=lambda value: "x", option=passthrough) != b'["x","x","x"]':
            return False
    except Exception:  # an orjson too old or too different to trust
        return False
    return dumps, sort_keys, indent, passthrough


def orjson_active() -> bool:
    """Whether orjson is installed and passed the probes (imports it on first call)."""
    return _load() is not False


def plain_size(value: Any, extras: bool = False) -> int:
    """The number of values in ``value`` (itself included) if orjson may encode
    it, else ``-1``; ``extras`` also allows dates, datetimes, ``Decimal`` and
    ``UUID`` (exact types)."""
    leaf_kinds = _LEAF_AND_EXTRA_KINDS if extras else _LEAF_KINDS
    small = _small_plain_size(value, leaf_kinds)
    if small is not None:
        return small
    plain_kinds = _PLAIN_AND_EXTRA_KINDS if extras else _PLAIN_KINDS
    kind = type(value)
    if kind in leaf_kinds:
        return 1
    if kind is float:
        return 1 if _floats_are_plain([value]) else -1
    children: Any
    if kind is dict:
        children = value.values()
    elif kind is list or kind is tuple:
        children = value
    else:
        return -1
    # PERF: the walk goes one nesting level at a time, each level's values
    # gathered and their types checked by C loops (map, chain, compress, set);
    # a Python loop per value would cost a good part of json's own encoding.
    size = 1 + len(children)
    for _ in range(_MAX_DEPTH):
        child_kinds = list(map(type, children))
        kinds = set(child_kinds)
        if kinds <= leaf_kinds:
            return size
        if not kinds <= plain_kinds or size > _MAX_SIZE:
            return -1
        dicts: Any = ()
        sequences: Any = ()
        if len(kinds) == 1:  # PERF: rows of dicts, lists of lists: nothing to sort out
            if float in kinds:
                return size if _floats_are_plain(children) else -1
            if dict in kinds:
                dicts = children
            else:
                sequences = children
        else:
            if float in kinds and not _floats_are_plain(_of_kind(children, child_kinds, float)):
                return -1
            if dict in kinds:
                dicts = _of_kind(children, child_kinds, dict)
            if list in kinds:
                sequences = _of_kind(children, child_kinds, list)
            if tuple in kinds:
                sequences = [*sequences, *_of_kind(children, child_kinds, tuple)]
            if not dicts and not sequences:
                return size
        if not sequences:
            children = list(chain.from_iterable(map(dict.values, dicts)))
        elif not dicts:
            children = list(chain.from_iterable(sequences))
        else:
            children = list(
                chain(chain.from_iterable(map(dict.values, dicts)), chain.from_iterable(sequences))
            )
        size += len(children)
    # Deeper than orjson goes, or circular: json decides (and reports a cycle).
    return -1


#: Values the one-by-one walk looks at before leaving the rest to the level walk.
_SMALL_WALK = 48


def _small_plain_size(value: Any, leaf_kinds: frozenset[Any]) -> int | None:
    """:func:`plain_size` for a small value, one value at a time; ``None`` once
    more than :data:`_SMALL_WALK` values were seen (the level walk then decides).

    PERF: the level walk's C loops cost about 1.5 us to set up per level, more
    than this walk spends on a response-sized dict (about 0.1 us a value).
    """
    pending = [value]
    seen = 1
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is dict:
            children = item.values()
        elif kind is list or kind is tuple:
            children = item
        elif kind in leaf_kinds:
            continue  # the value itself (a container's leaves are never pushed)
        elif kind is not float or not (item == 0.0 or _FLOAT_LOW <= abs(item) < _FLOAT_HIGH):
            # Not a plain kind, or a float json writes with an exponent (or
            # NaN, Infinity: no comparison holds for NaN).
            return -1
        else:
            continue
        seen += len(children)
        if seen > _SMALL_WALK:
            return None
        for child in children:
            # PERF: leaves (most values) are checked here, not pushed.
            if type(child) not in leaf_kinds:
                pending.append(child)
    return seen


def _of_kind(values: Iterable[Any], kinds: list[type], kind: type) -> list[Any]:
    return list(compress(values, map(is_, kinds, repeat(kind))))


def _floats_are_plain(floats: Iterable[float]) -> bool:
    # Zero, or a magnitude in [1e-4, 1e16): both libraries then write the
    # shortest round-trip digits without an exponent. The sum is NaN or
    # infinite when any value is, so NaN and Infinity go to json (which refuses them).
    magnitudes = list(map(abs, floats))
    if not isfinite(sum(magnitudes)) or max(magnitudes) >= _FLOAT_HIGH:
        return False
    nonzero = list(filter(None, magnitudes))
    return not nonzero or min(nonzero) >= _FLOAT_LOW


def dumps_or_none(
    obj: Any, sort_keys: object, indent: bool, default: Callable[[Any], Any] | None = None
) -> str | None:
    """orjson's text for ``obj`` (compact, or indented by 2 with ``": "`` as
    :func:`json.dumps` with ``indent=2``) when it is certainly :mod:`json`'s
    with ``ensure_ascii=True`` and ``sort_keys``; ``None`` to use :mod:`json`.

    ``default`` is given only when it is the stock one (Flask's conversions):
    values with dates, ``Decimal`` or ``UUID`` then go to orjson too."""
    loaded = _loaded if _loaded is not None else _load()
    if loaded is False or loaded is True:
        return None
    dumps, sort_option, indent_option, passthrough_option = loaded
    if sort_keys is True:
        option = sort_option
    elif sort_keys is False:
        option = 0
    else:
        return None
    if indent:
        option |= indent_option
    # Used for every plain value, however small: the walk and the checks cost
    # less than json's encoding even for a two-key dict (bench/RESULTS.md, "JSON").
    # PERF: plain_size's first step, inline (most responses are small).
    extras = default is not None
    size = _small_plain_size(obj, _LEAF_AND_EXTRA_KINDS if extras else _LEAF_KINDS)
    if size is None:
        size = plain_size(obj, extras)
    if size < 0:
        return None
    try:
        if default is None:
            out = dumps(obj, option=option)
        else:
            out = dumps(obj, default=default, option=option | passthrough_option)
    except Exception:  # lone surrogate, big int, non-str key, too deep: json decides
        return None
    if not out.isascii() or b"\x7f" in out:
        return None
    return out.decode("ascii")
