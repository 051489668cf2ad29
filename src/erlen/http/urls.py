"""URL helpers for the Location header: IRI to URI, and absolute redirect targets.

``iri_to_uri`` gives the same result as Werkzeug's for every URL Werkzeug can
send, with two safety rules on top: CR, LF or NUL anywhere raises
``LocationValueError`` (Werkzeug's ``urlsplit`` silently drops CR/LF/tab), and
characters that are unsafe in a host (space, backslash, controls) are
percent-encoded instead of being sent raw.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit, uses_netloc

from erlen.errors import ArgumentTypeError, LocationValueError, describe

__all__ = [
    "build_current_url",
    "host_from_parts",
    "iri_to_uri",
    "join_location",
    "uri_to_iri",
]

# Per-part characters left unquoted (WHATWG path/query/fragment sets plus %).
_PATH_SAFE = "%!$&'()*+,/:;=@"
_QUERY_SAFE = "%!$&'()*+,/:;=?@"
_FRAGMENT_SAFE = "%!#$&'()*+,/:;=?@"
_USERINFO_SAFE = "%!$&'()*+,;="
# Characters allowed raw in an ASCII host; anything else is percent-encoded.
_HOST_SAFE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=%:")

# A relative path made only of characters every part keeps unquoted, with no
# query or fragment: iri_to_uri returns it unchanged, so skip urlsplit.
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9\-._~!$&'()*+,/:;=@%]*")

_FORBIDDEN = ("\r", "\n", "\x00")

# Python < 3.12 drops the "//" of itms-services URLs; 3.12 knows the scheme.
if "itms-services" not in uses_netloc:
    uses_netloc.append("itms-services")


def _unsplit(scheme: str, netloc: str, path: str, query: str, fragment: str) -> str:
    # urllib's urlunsplit turns "https:evil.com" into "https:///evil.com"
    # before CPython 3.13 (gh-85110), changing where it points; this is its
    # 3.13 rule, so a Location is the same on every interpreter.
    if netloc:
        if path and path[:1] != "/":
            path = f"/{path}"
        path = f"//{netloc}{path}"
    elif path[:2] == "//" or (scheme in uses_netloc and scheme and path[:1] in ("", "/")):
        path = f"//{path}"
    url = f"{scheme}:{path}" if scheme else path
    if query:
        url = f"{url}?{query}"
    if fragment:
        url = f"{url}#{fragment}"
    return url


def _reject_line_breaks(iri: str) -> None:
    for char in _FORBIDDEN:
        if char in iri:
            raise LocationValueError(
                f"Location must not contain CR, LF or NUL: got {describe(iri)}"
            )


def _ascii_host(hostname: str, iri: str) -> str:
    try:
        host = hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise LocationValueError(f"Location has an invalid host: {describe(iri)}") from None
    if not _HOST_SAFE.issuperset(host):
        # Werkzeug sends these raw; a space or backslash in a host confuses
        # clients about where the redirect goes.
        host = "".join(c if c in _HOST_SAFE else quote(c, safe="") for c in host)
    return host


@lru_cache(maxsize=1024)
def _convert(iri: str) -> str:
    # A tab would be dropped by urlsplit; keep it visible instead.
    parts = urlsplit(iri.replace("\t", "%09"))
    path = quote(parts.path, safe=_PATH_SAFE)
    query = quote(parts.query, safe=_QUERY_SAFE)
    fragment = quote(parts.fragment, safe=_FRAGMENT_SAFE)

    netloc = _ascii_host(parts.hostname, iri) if parts.hostname else ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    try:
        port = parts.port
    except ValueError:
        raise LocationValueError(f"Location has an invalid port: {describe(iri)}") from None
    if port is not None:
        netloc = f"{netloc}:{port}"
    if parts.username is not None:
        userinfo = quote(parts.username, safe=_USERINFO_SAFE)
        if parts.password is not None:
            userinfo = f"{userinfo}:{quote(parts.password, safe=_USERINFO_SAFE)}"
        netloc = f"{userinfo}@{netloc}"
    return _unsplit(parts.scheme, netloc, path, query, fragment)


def iri_to_uri(iri: str) -> str:
    """Convert an IRI to an ASCII URI: IDNA host, non-ASCII and unsafe characters quoted.

    Reserved characters and existing percent-escapes are kept. Raises
    ``LocationValueError`` for CR, LF or NUL, an invalid host or an invalid port.
    """
    if not isinstance(iri, str):
        raise ArgumentTypeError(f"Location must be a str, got {describe(iri)}")
    # PERF: a response's Location is checked when set and converted when
    # sent, and apps redirect to the same few targets: results are cached.
    plain = iri.__class__ is str
    if plain:
        cached = _CONVERTED.get(iri)
        if cached is not None:
            return cached
    # Most redirect targets are plain absolute paths, returned as is.
    if _PLAIN_PATH.fullmatch(iri) is not None:
        uri = iri
    else:
        _reject_line_breaks(iri)
        try:
            uri = _convert(iri)
        except UnicodeError:
            # A lone surrogate cannot be percent-encoded as UTF-8.
            raise LocationValueError(f"Location is not valid Unicode: {describe(iri)}") from None
    if plain and len(iri) <= _CACHED_LENGTH_LIMIT:
        if len(_CONVERTED) >= _CACHE_LIMIT:
            # Bounded: targets built from user input cannot grow it without end.
            _CONVERTED.clear()
        _CONVERTED[iri] = uri
    return uri


# iri -> uri for recent conversions (see iri_to_uri).
_CONVERTED: dict[str, str] = {}
_CACHE_LIMIT = 1024
_CACHED_LENGTH_LIMIT = 2048


def _requote_error(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return quote(error.object[error.start : error.end], safe=""), error.end


codecs.register_error("erlen.url_requote", _requote_error)

# Controls, space, % and DEL stay escaped in every part.
_ALWAYS_ESCAPED = "".join(map(chr, range(0x21))) + "%\x7f"


def _partial_unquoter(keep: str) -> re.Pattern[str]:
    # Runs of escapes for characters that must stay escaped in this part.
    codes = "|".join(f"{ord(c):02X}" for c in sorted(keep))
    return re.compile(f"((?:%(?:{codes}))+)", re.IGNORECASE)


_KEEP_PATH = _partial_unquoter(_ALWAYS_ESCAPED + "/?#")
_KEEP_QUERY = _partial_unquoter(_ALWAYS_ESCAPED + "&=+#")
_KEEP_FRAGMENT = _partial_unquoter(_ALWAYS_ESCAPED)


def _unquote_except(pattern: re.Pattern[str], value: str) -> str:
    pieces = pattern.split(value)
    # Even indexes are free text to decode, odd ones the kept escapes.
    for index in range(0, len(pieces), 2):
        pieces[index] = unquote(pieces[index], "utf-8", "erlen.url_requote")
    return "".join(pieces)


def decode_host(host: str) -> str:
    """An ASCII host with IDNA labels decoded to Unicode (labels that fail are kept)."""
    try:
        data = host.encode("ascii")
    except UnicodeEncodeError:
        return host
    try:
        return data.decode("idna")
    except UnicodeError:
        pass
    labels = []
    for label in data.split(b"."):
        try:
            labels.append(label.decode("idna"))
        except UnicodeError:
            labels.append(label.decode("ascii"))
    return ".".join(labels)


def iri_host(parts: SplitResult) -> str:
    """The host and port of a split URL as an IRI shows them: the Punycode host
    decoded, an IPv6 address in brackets."""
    netloc = decode_host(parts.hostname) if parts.hostname else ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return netloc


def uri_to_iri(uri: str) -> str:
    """Decode a URI's valid UTF-8 escapes and Punycode host; reserved escapes stay."""
    parts = urlsplit(uri)
    netloc = iri_host(parts)
    if parts.username is not None:
        keep_user = _partial_unquoter(_ALWAYS_ESCAPED + ":@/?#")
        userinfo = _unquote_except(keep_user, parts.username)
        if parts.password is not None:
            userinfo = f"{userinfo}:{_unquote_except(keep_user, parts.password)}"
        netloc = f"{userinfo}@{netloc}"
    return _unsplit(
        parts.scheme,
        netloc,
        _unquote_except(_KEEP_PATH, parts.path),
        _unquote_except(_KEEP_QUERY, parts.query),
        _unquote_except(_KEEP_FRAGMENT, parts.fragment),
    )


_HOST_PATTERN = re.compile(
    r"([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+])(?::([1-9][0-9]{,4}))?",
    re.ASCII | re.IGNORECASE,
)


def host_from_parts(
    scheme: str, host_header: str | None, server: tuple[str, int | None] | None
) -> str:
    """The request's ``host[:port]``, from the Host header or the server address.

    The default port for the scheme is dropped; a host with invalid characters
    (or none at all) gives the empty string, as Werkzeug does.
    """
    if host_header is not None:
        host = host_header
    elif server is not None and server[1] is not None:
        name = server[0]
        if ":" in name and not name.startswith("["):
            name = f"[{name}]"
        host = f"{name}:{server[1]}"
    else:
        return ""
    if scheme in ("http", "ws"):
        host = host.removesuffix(":80")
    elif scheme in ("https", "wss"):
        host = host.removesuffix(":443")
    match = _HOST_PATTERN.fullmatch(host) if host else None
    if match is None:
        return ""
    port = match.group(2)
    if port and not 1 <= int(port) <= 65535:
        return ""
    return host


def build_current_url(scheme: str, host: str, root_path: str, path: str) -> str:
    """The request URL without its query string, as an ASCII URI."""
    url = "".join(
        (
            scheme,
            "://",
            host,
            quote(root_path.rstrip("/"), safe="!$&'()*+,/:;=@%"),
            "/",
            quote(path.lstrip("/"), safe="!$&'()*+,/:;=@%"),
        )
    )
    # Werkzeug normalises the URL through IRI form and back; doing the same
    # keeps relative redirects resolving to byte-identical targets.
    return _convert(uri_to_iri(url))


def join_location(base_url: str, location: str) -> str:
    """Resolve ``location`` (already a URI) against ``base_url``."""
    return urljoin(base_url, location)
