"""Content types: adding the charset parameter, and splitting a Content-Type.

``get_content_type`` decides which mimetypes get ``; charset=utf-8`` (the same
set Werkzeug uses), and ``parse_options_header`` splits a header such as
``text/html; charset=utf-8`` into its value and a dict of parameters, with the
RFC 9110 quoting and RFC 2231 continuation/charset rules.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

__all__ = [
    "dump_options_header",
    "get_content_type",
    "parse_options_header",
    "quote_header_value",
]

# Application types registered with a charset parameter (besides text/* and
# anything ending in +xml); the same table Werkzeug consults.
CHARSET_MIMETYPES: frozenset[str] = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/sql",
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
    }
)


def needs_charset(mimetype: str) -> bool:
    """True when a body of ``mimetype`` is text and its Content-Type names a charset."""
    return (
        mimetype.startswith("text/") or mimetype in CHARSET_MIMETYPES or mimetype.endswith("+xml")
    )


def get_content_type(mimetype: str, charset: str = "utf-8") -> str:
    """The Content-Type for ``mimetype``: ``; charset=...`` is added for text types."""
    if needs_charset(mimetype):
        return f"{mimetype}; charset={charset}"
    return mimetype


# RFC 9110 token characters.
_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~"
)
_PARAM_KEY = re.compile(r"([\w!#$%&'*+\-.^`|~]+)=", re.ASCII)
_PARAM_TOKEN = re.compile(r"[\w!#$%&'*+\-.^`|~]+", re.ASCII)
# A quoted string: backslash pairs are consumed whole so \" does not end it.
_PARAM_QUOTED = re.compile(r'"(?:\\[\\"]|[^"\\]|\\(?![\\"]))*"', re.DOTALL)
_PARAM_DELIMITER = re.compile(r";[ \t]*")
# key*N (continuation) and key* (charset-encoded) markers at the end of a key.
_KEY_MARKERS = re.compile(r"(?:\*(\d+))?(\*)?$", re.ASCII)
_CHARSET_VALUE = re.compile(
    r"([\w!#$%&*+\-.^`|~]*)'[\w!#$%&*+\-.^`|~]*'([\w!#$%&'*+\-.^`|~]+)$", re.ASCII
)
_BACKSLASH_ESCAPE = re.compile(r"\\(.)", re.ASCII)
# Only these encodings are trusted for key*=charset''value (as Werkzeug).
_RFC2231_ENCODINGS = frozenset({"ascii", "us-ascii", "utf-8", "iso-8859-1"})


def quote_header_value(value: object, allow_token: bool = True) -> str:
    """``value`` as a header parameter: unchanged if a token, else a quoted string."""
    text = str(value)
    if not text:
        return '""'
    if allow_token and _TOKEN_CHARS.issuperset(text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def unquote_header_value(value: str) -> str:
    """Strip surrounding double quotes and backslash escapes, if quoted."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return _BACKSLASH_ESCAPE.sub(r"\g<1>", value[1:-1])
    return value


def dump_options_header(header: str | None, options: dict[str, Any]) -> str:
    """Join ``header`` and ``key=value`` parameters with ``; `` (None values skipped)."""
    segments = [] if header is None else [header]
    for key, value in options.items():
        if value is None:
            continue
        # A key ending in * already carries an RFC 2231 encoded value.
        segments.append(
            f"{key}={value}" if key.endswith("*") else f"{key}={quote_header_value(value)}"
        )
    return "; ".join(segments)


def _scan_parameters(rest: str) -> list[tuple[str, str]]:
    """Raw ``(lowercased key, value as written)`` pairs; malformed parts are skipped."""
    pairs: list[tuple[str, str]] = []
    position = 0
    length = len(rest)
    while position < length:
        key_match = _PARAM_KEY.match(rest, position)
        if key_match is not None:
            key = key_match.group(1).lower()
            position = key_match.end()
            token_match = _PARAM_TOKEN.match(rest, position)
            if token_match is not None:
                pairs.append((key, token_match.group()))
            elif rest.startswith('"', position):
                quoted = _PARAM_QUOTED.match(rest, position)
                if quoted is None:
                    # An unterminated quoted string ends the header.
                    break
                pairs.append((key, quoted.group()))
                position = quoted.end()
        delimiter = _PARAM_DELIMITER.search(rest, position)
        if delimiter is None:
            break
        position = delimiter.end()
    return pairs


def _parse_options(value: str) -> tuple[str, dict[str, str]]:
    head, _, rest = value.partition(";")
    head = head.strip(" \t")
    rest = rest.strip(" \t")
    if not head or not rest:
        return head, {}

    options: dict[str, str] = {}
    continued: dict[str, list[str]] = {}
    continued_encoding: dict[str, str] = {}
    for raw_key, raw_value in _scan_parameters(rest):
        key = raw_key
        encoding: str | None = None
        is_continuation = is_encoded = False
        markers = _KEY_MARKERS.search(key)
        if markers is not None and markers.end() > markers.start():
            is_continuation = markers.group(1) is not None
            is_encoded = markers.group(2) is not None
            key = key[: markers.start()]

        text = raw_value
        if is_encoded:
            charset_match = _CHARSET_VALUE.match(text)
            if charset_match is not None:
                encoding, text = charset_match.groups()
                encoding = encoding.lower()
            if not encoding and is_continuation:
                encoding = continued_encoding.get(key)
            if encoding in _RFC2231_ENCODINGS:
                text = unquote(text, encoding=encoding)
        else:
            # Multipart bodies percent-encode quotes, headers backslash them.
            text = unquote_header_value(text).replace("%22", '"')

        if is_continuation:
            options.pop(key, None)
            continued.setdefault(key, []).append(text)
            if encoding:
                continued_encoding[key] = encoding
        else:
            continued.pop(key, None)
            options[key] = text

    for key, pieces in continued.items():
        options[key] = "".join(pieces)
    return head, options


@lru_cache(maxsize=512)
def _parse_options_cached(value: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    head, options = _parse_options(value)
    return head, tuple(options.items())


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """Split ``text/html; charset=utf-8`` into ``('text/html', {'charset': 'utf-8'})``."""
    if value is None:
        return "", {}
    # PERF: responses repeat a handful of Content-Types; the parse is cached and
    # a fresh dict is returned so callers may mutate it.
    head, items = _parse_options_cached(value)
    return head, dict(items)
