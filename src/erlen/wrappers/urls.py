"""The request's path and URL text: PEP 3333 strings re-read, URLs shown as Werkzeug shows them."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from erlen.http.query import QUOTE_ERRORS
from erlen.http.urls import iri_host

_PATH_SAFE = "!$&'()*+,/:;=@%"
_QUERY_SAFE = "!$&'()*+,/:;=?@%"
# Escapes that stay encoded when a URL is shown as an IRI: controls, space, '%', DEL.
_ALWAYS_ENCODED = frozenset(range(0x21)) | {0x25, 0x7F}
_PATH_KEEP = _ALWAYS_ENCODED | {ord(c) for c in "/?#"}
_QUERY_KEEP = _ALWAYS_ENCODED | {ord(c) for c in "&=+#"}
_ESCAPE_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _wsgi_text(value: str) -> str:
    """A PEP 3333 latin-1 string re-read as UTF-8 (bad bytes become U+FFFD)."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        # Already real text (not latin-1 code points): keep it as it is.
        return value


def _with_one_slash(text: str) -> str:
    """A decoded path starting with exactly one ``/`` (as routing and ``path`` see it)."""
    # PERF: the usual "/x" needs no rebuilding.
    if text[:1] == "/" and text[1:2] != "/":
        return text
    return "/" + text.lstrip("/")


def _path_from_wsgi(raw: str) -> str:
    """``PATH_INFO`` as text, starting with exactly one ``/``."""
    return _with_one_slash(raw if raw.isascii() else _wsgi_text(raw))


def _request_line(environ: dict[str, Any]) -> tuple[str, str]:
    """The upper-case method and the path (see ``_path_from_wsgi``) of ``environ``."""
    raw = environ.get("PATH_INFO") or ""
    # PERF: _path_from_wsgi's usual case (ASCII, one leading slash) inline:
    # every WSGI request comes through here.
    path = raw if raw[:1] == "/" and raw[1:2] != "/" and raw.isascii() else _path_from_wsgi(raw)
    return str(environ.get("REQUEST_METHOD") or "GET").upper(), path


def _decode_escapes(text: str, keep: frozenset[int]) -> str:
    """Decode UTF-8 percent-escapes except those of bytes in ``keep``."""
    if "%" not in text:
        return text
    out: list[str] = []
    position = 0
    for match in _ESCAPE_RUN.finditer(text):
        out.append(text[position : match.start()])
        run = match.group()
        pending = bytearray()
        for index in range(0, len(run), 3):
            byte = int(run[index + 1 : index + 3], 16)
            if byte in keep:
                if pending:
                    out.append(pending.decode("utf-8", QUOTE_ERRORS))
                    pending.clear()
                out.append(run[index : index + 3])
            else:
                pending.append(byte)
        if pending:
            out.append(pending.decode("utf-8", QUOTE_ERRORS))
        position = match.end()
    out.append(text[position:])
    return "".join(out)


def _current_url(
    scheme: str,
    host: str,
    root_path: str | None = None,
    path: str | None = None,
    query_string: bytes | None = None,
) -> str:
    """The request URL as an IRI (readable Unicode), the way Werkzeug shows it."""
    url = f"{scheme}://{host}/"
    if root_path is not None:
        url = f"{scheme}://{host}{quote(root_path.rstrip('/'), safe=_PATH_SAFE)}/"
        if path is not None:
            url += quote(path.lstrip("/"), safe=_PATH_SAFE)
            if query_string:
                url += "?" + quote(query_string, safe=_QUERY_SAFE)
    parts = urlsplit(url)
    netloc = iri_host(parts)
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            _decode_escapes(parts.path, _PATH_KEEP),
            _decode_escapes(parts.query, _QUERY_KEEP),
            "",
        )
    )
