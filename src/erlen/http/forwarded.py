"""Trusted reverse proxies: the client's address, scheme, host, port and prefix
taken from the ``X-Forwarded-*`` headers the proxies in front of the app add.

Only as many values are trusted, counted from the right, as there are proxies
that set them (``x_for=1``: the last ``X-Forwarded-For`` entry, added by the
one proxy in front); a header with fewer values than that is ignored, since a
client could have sent it. Works on PEP 3333 keys, so either adapter's request
gets it; the originals stay in ``environ["erlen.proxy_fix.orig"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erlen.errors import ErlenError

#: The settings, in ``PROXY_FIX`` config order: how many proxies set each header.
PROXY_FIX_KEYS = ("x_for", "x_proto", "x_host", "x_port", "x_prefix")


class ProxyFixConfigError(ErlenError, ValueError):
    """The ``PROXY_FIX`` setting is not a mapping of known keys to counts."""


def proxy_fix_counts(setting: Mapping[str, Any]) -> tuple[int, int, int, int, int]:
    """Check a ``PROXY_FIX`` mapping and return its five counts (missing keys are 0)."""
    if not isinstance(setting, Mapping):
        raise ProxyFixConfigError(
            f"PROXY_FIX must be a mapping such as {{'x_for': 1, 'x_proto': 1}}, got {setting!r}"
        )
    unknown = sorted(set(setting) - set(PROXY_FIX_KEYS))
    if unknown:
        raise ProxyFixConfigError(
            f"PROXY_FIX has unknown keys {unknown}; known: {', '.join(PROXY_FIX_KEYS)}"
        )
    counts = []
    for key in PROXY_FIX_KEYS:
        value = setting.get(key, 0)
        if type(value) is not int or value < 0:
            raise ProxyFixConfigError(f"PROXY_FIX[{key!r}] must be an int >= 0, got {value!r}")
        counts.append(value)
    return counts[0], counts[1], counts[2], counts[3], counts[4]


_REWRITTEN = (
    *("REMOTE_ADDR", "wsgi.url_scheme", "HTTP_HOST"),
    *("SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME"),
)


def _trusted(value: str | None, count: int) -> str | None:
    """The value ``count`` proxies from the right, or None when there are fewer."""
    if not value or count == 0:
        return None
    values = [item.strip() for item in value.split(",")]
    if len(values) < count:
        return None
    return values[-count] or None


def apply_proxy_fix(environ: dict[str, Any], counts: tuple[int, int, int, int, int]) -> None:
    """Rewrite ``environ`` in place from the trusted ``X-Forwarded-*`` values."""
    x_for, x_proto, x_host, x_port, x_prefix = counts
    environ["erlen.proxy_fix.orig"] = {key: environ.get(key) for key in _REWRITTEN}
    remote = _trusted(environ.get("HTTP_X_FORWARDED_FOR"), x_for)
    if remote is not None:
        environ["REMOTE_ADDR"] = remote
    scheme = _trusted(environ.get("HTTP_X_FORWARDED_PROTO"), x_proto)
    if scheme is not None:
        environ["wsgi.url_scheme"] = scheme
    host = _trusted(environ.get("HTTP_X_FORWARDED_HOST"), x_host)
    if host is not None:
        environ["HTTP_HOST"] = environ["SERVER_NAME"] = host
        # A port given in the host is the port.
        name, _, port_text = host.rpartition(":")
        if name and port_text.isdigit() and not host.endswith("]"):
            environ["SERVER_NAME"] = name
            environ["SERVER_PORT"] = port_text
    port = _trusted(environ.get("HTTP_X_FORWARDED_PORT"), x_port)
    if port is not None and port.isdigit():
        host_header = environ.get("HTTP_HOST")
        if host_header:
            bare = host_header
            if not host_header.endswith("]") and ":" in host_header:
                bare = host_header.rsplit(":", 1)[0]
            environ["HTTP_HOST"] = f"{bare}:{port}"
        environ["SERVER_PORT"] = port
    prefix = _trusted(environ.get("HTTP_X_FORWARDED_PREFIX"), x_prefix)
    if prefix is not None:
        environ["SCRIPT_NAME"] = prefix.rstrip("/")
