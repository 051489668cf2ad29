"""Cookies: serialize ``Set-Cookie`` values and parse request ``Cookie`` headers.

:func:`dump_cookie` produces the same text as ``werkzeug.http.dump_cookie``
for every input it accepts, and refuses (with
:class:`~erlen.errors.CookieValueError` or
:class:`~erlen.errors.ArgumentTypeError`) input that Werkzeug would pass on
to the wire: keys that are not RFC 6265 tokens, CR, LF or NUL anywhere,
control characters or ``;`` in a domain, anything but visible ASCII and space
in a string ``expires``, unknown SameSite values.

Values that are not plain cookie-octets are sent as a quoted string: ``"``
and ``\\`` get a backslash, and the UTF-8 bytes of control characters, ``,``,
``;``, DEL and non-ASCII text become three-digit octal escapes (``\\054``).
:func:`parse_cookie` undoes exactly that, so any value that can be dumped
comes back unchanged.

Cookie prefixes (RFC 6265bis, section 4.1.3): a browser only stores a cookie
named ``__Secure-...`` if it was set with ``Secure`` from a secure origin, and
``__Host-...`` only if also ``Path=/`` and no ``Domain``, so a server may
trust such a cookie was not planted by a sibling subdomain or over plain
HTTP. That guarantee only holds if the server sees the name exactly as the
browser sent it. :func:`parse_cookie` therefore:

* takes names verbatim: never percent-decoded (``%5F_Host-x`` stays as is),
  never case-folded (``__host-x`` stays lower case), never unquoted; only
  spaces and tabs around a pair are dropped, as browsers drop them when
  storing a cookie;
* skips pairs whose name is empty or holds anything but visible ASCII
  (control characters, non-ASCII whitespace such as U+00A0 or look-alikes
  such as U+FF3F that a later normalization step could turn into ``_``);
* splits pairs on every ``;`` as browsers do, so a quoted value cannot swallow
  or forge the pairs after it (Werkzeug lets a quoted value span ``;``);
* skips a pair without ``=`` whose text starts with either prefix in any
  case: browsers send a nameless cookie as its bare value, so such a pair is
  a nameless cookie trying to pass for a prefixed one. (A nameless cookie
  whose value is ``__Host-x=v`` cannot be told apart on the server; current
  browsers refuse to store those.)
"""

from __future__ import annotations

import re
import time
import warnings
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote

from erlen.errors import ArgumentTypeError, CookieValueError, HeaderValueError, describe
from erlen.http.dates import http_date
from erlen.http.headers import is_token

__all__ = ["dump_cookie", "parse_cookie"]

# RFC 6265 cookie-name = RFC 2616 token.
# Visible ASCII that may go out unquoted: everything from 0x21 to 0x7E except
# the four characters that end or confuse a value: '"' ',' ';' '\'.
_NEEDS_QUOTES = re.compile(r"[^\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]")
_FORBIDDEN_IN_VALUE = re.compile(r"[\r\n\x00]")
_FORBIDDEN_IN_PATH = re.compile(r"[\r\n\x00;]")
# A string Expires goes out verbatim: visible ASCII and space only, no ';'.
_FORBIDDEN_IN_EXPIRES = re.compile(r"[^\x20-\x3a\x3c-\x7e]")
# A Domain is IDNA-encoded, so non-ASCII letters are fine, but no control
# character (C0, DEL, C1), line separator or ';'.
_FORBIDDEN_IN_DOMAIN = re.compile(r"[\x00-\x1f\x7f-\x9f;\u2028\u2029]")
_PATH_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9_.\-~%!$&'()*+,/:=@]")
_PATH_SAFE = "%!$&'()*+,/:=@"


def _build_escapes() -> dict[int, str]:
    # Indexed by byte value: the quoted value is escaped as UTF-8 bytes viewed
    # through latin-1, so one str.translate call does the whole job.
    table = {byte: f"\\{byte:03o}" for byte in [*range(0x20), *range(0x7F, 0x100)]}
    table.update({ord(","): "\\054", ord(";"): "\\073", ord('"'): '\\"', ord("\\"): "\\\\"})
    return table


_ESCAPES = _build_escapes()

_SAMESITE = {"strict": "Strict", "lax": "Lax", "none": "None"}
_SAMESITE.update({canonical: canonical for canonical in list(_SAMESITE.values())})


def _check_flag(field: str, value: object) -> bool:
    if value is True:
        return True
    if value is False or value is None:
        return False
    raise ArgumentTypeError(f"cookie {field} must be True or False, got {describe(value)}")


def _quote_value(value: str) -> str:
    if _FORBIDDEN_IN_VALUE.search(value) is not None:
        raise CookieValueError(f"cookie value must not contain CR, LF or NUL: {describe(value)}")
    try:
        raw = value.encode("utf-8")
    except UnicodeEncodeError:
        raise CookieValueError(
            f"cookie value is not encodable as UTF-8: {describe(value)}"
        ) from None
    return '"' + raw.decode("latin-1").translate(_ESCAPES) + '"'


def _quote_path(path: str) -> str:
    if _FORBIDDEN_IN_PATH.search(path) is not None:
        raise CookieValueError(f"cookie path must not contain CR, LF, NUL or ';': {describe(path)}")
    try:
        return quote(path, safe=_PATH_SAFE)
    except UnicodeEncodeError:
        raise CookieValueError(f"cookie path is not encodable as UTF-8: {describe(path)}") from None


@lru_cache(maxsize=64)
def _encode_domain(domain: str) -> str:
    # PERF: an app sets cookies for a handful of domains; IDNA is slow.
    host = domain.partition(":")[0].lstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise CookieValueError(
            f"cookie domain is not a valid host name: {describe(domain)}"
        ) from None


def _expires_text(expires: object) -> str:
    if isinstance(expires, str):
        if _FORBIDDEN_IN_EXPIRES.search(expires) is not None:
            raise CookieValueError(
                "cookie expires must be visible ASCII without ';' (no control or"
                f" non-ASCII characters): {describe(expires)}"
            )
        return expires
    if isinstance(expires, bool) or not isinstance(expires, (datetime, date, int, float)):
        raise ArgumentTypeError(
            f"cookie expires must be a str, datetime, date, int or float, got {describe(expires)}"
        )
    try:
        return http_date(expires)
    except HeaderValueError:
        raise CookieValueError(f"cookie expires is out of range: {describe(expires)}") from None


def dump_cookie(
    key: str,
    value: str = "",
    max_age: int | timedelta | None = None,
    expires: str | datetime | int | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = None,
    partitioned: bool = False,
    max_size: int = 4093,
) -> str:
    """Serialize one cookie as a ``Set-Cookie`` header value (without the name).

    ``max_age`` (seconds or a timedelta) also sets ``Expires`` when no
    ``expires`` is given; ``partitioned`` implies ``Secure``. Warns with a
    :class:`UserWarning` when the result is longer than ``max_size`` (0
    disables the check).
    """
    if type(key) is not str:
        raise ArgumentTypeError(f"cookie key must be str, got {describe(key)}")
    if is_token(key) is None:
        raise CookieValueError(f"cookie key must be an RFC 6265 token, got {describe(key)}")
    if type(value) is not str:
        if not isinstance(value, str):
            raise ArgumentTypeError(f"cookie value must be str, got {describe(value)}")
        value = str(value)
    # PERF: most values are plain tokens; one C-level scan decides that.
    if _NEEDS_QUOTES.search(value) is not None:
        value = _quote_value(value)
    header = f"{key}={value}"

    if domain is not None:
        if not isinstance(domain, str):
            raise ArgumentTypeError(f"cookie domain must be str, got {describe(domain)}")
        if _FORBIDDEN_IN_DOMAIN.search(domain) is not None:
            raise CookieValueError(
                f"cookie domain must not contain control characters or ';': {describe(domain)}"
            )
        header += "; Domain=" + (_encode_domain(domain) if domain else "")

    seconds: int | None = None
    if max_age is not None:
        if type(max_age) is int:
            seconds = max_age
        elif isinstance(max_age, timedelta):
            seconds = int(max_age.total_seconds())
        elif isinstance(max_age, int) and not isinstance(max_age, bool):
            seconds = int(max_age)
        else:
            raise ArgumentTypeError(
                f"cookie max_age must be an int or a timedelta, got {describe(max_age)}"
            )

    if expires is not None:
        header += "; Expires=" + _expires_text(expires)
    elif seconds is not None:
        try:
            header += "; Expires=" + http_date(int(time.time()) + seconds)
        except HeaderValueError:
            raise CookieValueError(
                f"cookie max_age puts Expires outside years 1-9999: {describe(max_age)}"
            ) from None
    if seconds is not None:
        header += f"; Max-Age={seconds}"

    if _check_flag("partitioned", partitioned):
        secure = True
    if _check_flag("secure", secure):
        header += "; Secure"
    if _check_flag("httponly", httponly):
        header += "; HttpOnly"

    if path is not None:
        if not isinstance(path, str):
            raise ArgumentTypeError(f"cookie path must be str, got {describe(path)}")
        if path != "/" and _PATH_NEEDS_QUOTING.search(path) is not None:
            path = _quote_path(path)
        header += "; Path=" + path

    if samesite is not None:
        if not isinstance(samesite, str):
            raise ArgumentTypeError(f"cookie samesite must be str, got {describe(samesite)}")
        canonical = _SAMESITE.get(samesite)
        if canonical is None:
            canonical = _SAMESITE.get(samesite.lower()) if samesite.isascii() else None
            if canonical is None:
                raise CookieValueError(
                    f"cookie samesite must be 'Strict', 'Lax' or 'None', got {describe(samesite)}"
                )
        header += "; SameSite=" + canonical

    if partitioned:
        header += "; Partitioned"

    if max_size and len(header) > max_size:
        warnings.warn(
            f"Cookie {key!r} is {len(header)} bytes once serialized, over the"
            f" {max_size}-byte limit (max_size); browsers may silently drop it.",
            UserWarning,
            stacklevel=2,
        )
    return header


# A valid parsed name: visible ASCII other than '"', ';' and '='.
_NAME = re.compile(r"[\x21\x23-\x3a\x3c\x3e-\x7e]+")
_QUOTED = re.compile(r'"(?:[^"\\]|\\[^\n])*"')
_TOKEN_VALUE_BREAKERS = re.compile(r'[ \t"]')
_ESCAPE_SEQUENCE = re.compile(rb"\\([0-3][0-7][0-7]|.)")
_PREFIXES = ("__host-", "__secure-")


def _unescape(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    return escaped if len(escaped) == 1 else bytes((int(escaped, 8),))


def _unquote(inner: str) -> str:
    if "\\" not in inner:
        return inner
    raw = _ESCAPE_SEQUENCE.sub(_unescape, inner.encode("utf-8", "surrogatepass"))
    return raw.decode("utf-8", "replace")


def parse_cookie(header: str | None) -> list[tuple[str, str]]:
    """Parse a request ``Cookie`` header into ``(name, value)`` pairs, in order.

    Duplicates are kept. The header is taken as WSGI-style latin-1 text and
    re-read as UTF-8, like ``werkzeug.http.parse_cookie``. Quoted values are
    unescaped; invalid pairs are skipped (see the module docstring for the
    rules that keep ``__Host-``/``__Secure-`` names unspoofable).
    """
    if not header:
        return []
    if not header.isascii():
        try:
            header = header.encode("latin-1").decode("utf-8")
        except UnicodeEncodeError:
            pass  # Already real text (code points above U+00FF): keep it.
        except UnicodeDecodeError:
            header = header.encode("latin-1").decode("utf-8", "replace")
    pairs: list[tuple[str, str]] = []
    for segment in header.split(";"):
        segment = segment.strip(" \t")
        if not segment:
            continue
        name, equals, value = segment.partition("=")
        if equals:
            name = name.rstrip(" \t")
            value = value.lstrip(" \t")
        elif name[:9].lower().startswith(_PREFIXES):
            continue
        if _NAME.fullmatch(name) is None:
            continue
        if value:
            if value[0] == '"':
                if _QUOTED.fullmatch(value) is None:
                    continue
                value = _unquote(value[1:-1])
            elif _TOKEN_VALUE_BREAKERS.search(value) is not None:
                continue
        pairs.append((name, value))
    return pairs
