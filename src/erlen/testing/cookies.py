"""The test client's cookies: parsing ``Set-Cookie``, expiry, and which cookies a request sends."""

from __future__ import annotations

import dataclasses
import email.utils
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlsplit

from erlen.errors import CookieValueError, describe
from erlen.testing.environ_builder import _UNSAFE, _wsgi_decode

# Host names a browser treats as a secure context even over plain http, so a
# ``Secure`` cookie set by an app under test on localhost is still sent back.
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


_COOKIE_PAIR = re.compile(
    r"""[ \t]*([^ \t=";]+)(?:[ \t]*=[ \t]*("(?:[^\\"]|\\.)*"|[^ \t";]*))?[ \t]*\Z""", re.ASCII
)
_COOKIE_UNESCAPE = re.compile(rb"\\([0-3][0-7]{2}|.)")
_COOKIE_PLAIN = re.compile(r"[\w!#$%&'()*+\-./:<=>?@\[\]^`{|}~]*", re.ASCII)
_COOKIE_ESCAPE = re.compile(rb"[\x00-\x19\",;\\\x7f-\xff]")
_COOKIE_KEY = re.compile(r"[^\x00-\x20\x7f\"(),/:;<=>?@\[\\\]{}]+")


def _unescape_cookie_value(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':

        def replace(match: re.Match[bytes]) -> bytes:
            code = match.group(1)
            return code if len(code) == 1 else int(code, 8).to_bytes(1, "big")

        return _COOKIE_UNESCAPE.sub(replace, value[1:-1].encode()).decode(errors="replace")
    return value


# Quote and backslash get a backslash; controls, ",", ";" and non-ASCII bytes
# become three-digit octal escapes (what http.cookies and Werkzeug send).
_COOKIE_ESCAPES = {bytes([b]): b"\\%03o" % b for b in (*range(0x20), *b",;", *range(0x7F, 256))}
_COOKIE_ESCAPES.update({b'"': b'\\"', b"\\": b"\\\\"})


def _escape_cookie_value(value: str) -> str:
    if _COOKIE_PLAIN.fullmatch(value):
        return value
    escaped = _COOKIE_ESCAPE.sub(lambda m: _COOKIE_ESCAPES[m.group()], value.encode())
    return '"' + escaped.decode("ascii") + '"'


def _parse_http_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _http_date(moment: datetime | float) -> str:
    if isinstance(moment, datetime):
        moment = (
            moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
        ).timestamp()
    return email.utils.formatdate(moment, usegmt=True)


# Time source for cookie expiry; tests replace it to move the clock.
_clock: Callable[[], float] = time.time


@dataclasses.dataclass
class Cookie:
    """One cookie in the client's jar, as ``client.get_cookie`` returns it."""

    key: str
    value: str
    decoded_key: str
    decoded_value: str
    expires: datetime | None
    max_age: int | None
    domain: str
    origin_only: bool
    path: str
    secure: bool | None
    http_only: bool | None
    same_site: str | None
    partitioned: bool = False
    expires_at: float | None = dataclasses.field(default=None, compare=False, repr=False)

    @classmethod
    def from_set_cookie(cls, host: str, request_path: str, header: str) -> Cookie | None:
        """Parse one ``Set-Cookie`` value received from ``host``; ``None`` if unusable."""
        pair, _, attributes = header.partition(";")
        match = _COOKIE_PAIR.match(pair)
        if match is None:
            return None
        decoded_key, raw_value = match.group(1), match.group(2) or ""
        key, _, value = pair.partition("=")
        params: dict[str, str | None] = {}
        for item in attributes.split(";"):
            name, equals, param = item.partition("=")
            params[name.strip(" \t").lower()] = param.strip(" \t") if equals else None
        max_age: int | None = None
        raw_max_age = params.get("max-age")
        if raw_max_age is not None and re.fullmatch(r"-?[0-9]+", raw_max_age):
            max_age = int(raw_max_age)
        expires = _parse_http_date(params.get("expires"))
        domain = (params.get("domain") or "").lstrip(".").lower()
        now = _clock()
        # RFC 6265 5.3: Max-Age wins over Expires; zero or negative means gone.
        if max_age is not None:
            expires_at: float | None = now + max_age if max_age > 0 else float("-inf")
        else:
            expires_at = None if expires is None else expires.timestamp()
        return cls(
            key=key.strip(" \t"),
            value=value.strip(" \t"),
            decoded_key=decoded_key,
            decoded_value=_unescape_cookie_value(raw_value),
            expires=expires,
            max_age=max_age,
            domain=domain or host,
            origin_only=not domain,
            path=params.get("path") or request_path.rpartition("/")[0] or "/",
            secure="secure" in params,
            http_only="httponly" in params,
            same_site=params.get("samesite"),
            partitioned="partitioned" in params,
            expires_at=expires_at,
        )

    @property
    def storage_key(self) -> tuple[str, str, str]:
        """Identity in the jar: ``(domain, path, decoded_key)``."""
        return self.domain, self.path, self.decoded_key

    def is_expired(self, now: float) -> bool:
        """True once Max-Age or Expires has passed."""
        return self.expires_at is not None and self.expires_at <= now

    def matches_domain(self, host: str) -> bool:
        """Host-only cookies match one host; domain cookies also its subdomains."""
        if host == self.domain:
            return True
        return (
            not self.origin_only
            and host.endswith(self.domain)
            and host[: -len(self.domain)].endswith(".")
        )

    def matches(self, host: str, path: str, secure: bool) -> bool:
        """Whether this cookie goes with a request to ``host`` and ``path``."""
        if self.secure and not secure:
            return False
        if not self.matches_domain(host):
            return False
        cookie_path = self.path
        return path == cookie_path or (
            path.startswith(cookie_path)
            and path[len(cookie_path) - cookie_path.endswith("/") :].startswith("/")
        )


def _format_set_cookie(
    key: str,
    value: str = "",
    max_age: timedelta | int | None = None,
    expires: str | datetime | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    sync_expires: bool = True,
    max_size: int = 4093,
    samesite: str | None = None,
    partitioned: bool = False,
) -> str:
    """The ``Set-Cookie`` value ``response.set_cookie`` would send, for the client jar."""
    if not _COOKIE_KEY.fullmatch(key):
        raise CookieValueError(f"cookie key {describe(key)} is empty or holds separators")
    # The value is escaped and the path percent-quoted below; the domain is not.
    if domain is not None and _UNSAFE.search(domain):
        raise CookieValueError(f"cookie domain {describe(domain)} holds CR, LF or NUL")
    if path is not None:
        path = quote(path, safe="%!$&'()*+,/:=@")
    if domain:
        domain = domain.partition(":")[0].lstrip(".").encode("idna").decode("ascii")
    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    expires_text: str | None = None
    if expires is not None:
        expires_text = expires if isinstance(expires, str) else _http_date(expires)
    elif max_age is not None and sync_expires:
        expires_text = _http_date(_clock() + max_age)
    if samesite is not None:
        samesite = samesite.title()
        if samesite not in ("Strict", "Lax", "None"):
            raise CookieValueError(f"cookie samesite {describe(samesite)} is not Strict/Lax/None")
    if partitioned:
        secure = True
    parts = [f"{key}={_escape_cookie_value(value)}"]
    for name, param in (
        ("Domain", domain),
        ("Expires", expires_text),
        ("Max-Age", max_age),
        ("Secure", secure),
        ("HttpOnly", httponly),
        ("Path", path),
        ("SameSite", samesite),
        ("Partitioned", partitioned),
    ):
        if param is None or param is False:
            continue
        parts.append(name if param is True else f"{name}={param}")
    return "; ".join(parts)


def _request_host_and_path(environ: Mapping[str, Any]) -> tuple[str, str]:
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    try:
        hostname = urlsplit(f"//{host}").hostname
    except ValueError:
        hostname = None
    root = _wsgi_decode(environ.get("SCRIPT_NAME", "")).rstrip("/")
    path = _wsgi_decode(environ.get("PATH_INFO", "")).lstrip("/")
    return hostname or "localhost", quote(f"{root}/{path}", safe="!$&'()*+,/:;=@%")


def _is_secure_channel(environ: Mapping[str, Any], host: str) -> bool:
    if environ.get("wsgi.url_scheme") == "https":
        return True
    return host in _LOOPBACK_HOSTS or host.endswith(".localhost") or host.startswith("127.")
