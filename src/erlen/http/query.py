"""Query strings and urlencoded bodies: decoding to ordered pairs, and encoding.

Decoding matches what ``request.args`` holds in Werkzeug 3: only ``&``
separates pairs (``;`` is data), ``+`` is a space, a pair without ``=`` has
an empty value, and percent-escapes decode as UTF-8 with any invalid byte
left percent-encoded (``%FF`` stays ``%FF``). Encoding matches the query
strings ``url_for`` builds.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote_plus, unquote

__all__ = ["parse_query", "url_decode", "url_encode"]


def _requote_invalid(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: undecodable bytes come back as uppercase ``%XX``."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(f"%{byte:02X}" for byte in bad), error.end


QUOTE_ERRORS = "erlen.url_quote"
codecs.register_error(QUOTE_ERRORS, _requote_invalid)


def _decode_component(text: str) -> str:
    # PERF: most names and values have neither '+' nor '%'; skip the work.
    if "+" in text:
        text = text.replace("+", " ")
    if "%" in text:
        return unquote(text, "utf-8", QUOTE_ERRORS)
    return text


def parse_query(data: str | bytes) -> list[tuple[str, str]]:
    """Decode ``a=1&b=&a=2`` into ``[('a', '1'), ('b', ''), ('a', '2')]``.

    ``bytes`` are decoded as UTF-8; raw bytes that are not UTF-8 are kept
    percent-encoded, like invalid escapes.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        text = raw.decode("ascii") if raw.isascii() else raw.decode("utf-8", QUOTE_ERRORS)
    else:
        text = data
    if not text:
        return []
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    for piece in text.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        append((_decode_component(name), _decode_component(value)))
    return pairs


def url_decode(data: str | bytes, cls: Callable[[list[tuple[str, str]]], Any] | None = None) -> Any:
    """:func:`parse_query` wrapped in ``cls`` (a :class:`MultiDict` by default)."""
    pairs = parse_query(data)
    if cls is None:
        from erlen.http.datastructures import MultiDict

        return MultiDict(pairs)
    return cls(pairs)


# The characters url_for leaves unescaped in query strings (as Werkzeug).
_QUERY_SAFE = "!$'()*,/:;?@"


def _encode_component(value: Any) -> str:
    if isinstance(value, bytes):
        return quote_plus(value, _QUERY_SAFE)
    return quote_plus(str(value), _QUERY_SAFE)


def url_encode(
    obj: Any,
    sort: bool = False,
    key: Callable[[tuple[str, Any]], Any] | None = None,
) -> str:
    """Encode a mapping, a MultiDict or ``(key, value)`` pairs as a query string.

    List values give one pair per item, ``None`` values are left out, and
    ``sort=True`` orders the pairs (by ``key`` if given).
    """
    from erlen.http.datastructures import iter_multi_items

    items: Iterable[tuple[Any, Any]] = [
        pair for pair in iter_multi_items(obj) if pair[1] is not None
    ]
    if sort:
        items = sorted(items, key=key)
    return "&".join(f"{_encode_component(k)}={_encode_component(v)}" for k, v in items)
