"""TRUSTED_HOSTS: which Host headers a request may carry."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from erlen.wrappers.request import Request


# A host, IPv4 or bracketed IPv6 literal with an optional port (no CR, LF or NUL).
_HOST_RE = re.compile(
    r"(?:[a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([1-9][0-9]{0,4}))?",
    re.ASCII | re.IGNORECASE,
)


def refuse_untrusted_host(request: Request, trusted_hosts: list[str] | None) -> bool:
    """Apply ``TRUSTED_HOSTS``: True (the request's routing error is then a 400
    SecurityError) when its host is not one of ``trusted_hosts``."""
    if trusted_hosts is not None:
        request.trusted_hosts = trusted_hosts
    try:
        request.host  # noqa: B018 -- computing it applies the check
    except Exception as error:
        from erlen.exceptions import SecurityError

        if not isinstance(error, SecurityError):
            raise
        request.url_rule = request.view_args = None
        request.routing_exception = error
        return True
    return False


def _host_is_trusted(host: str, trusted: list[str]) -> bool:
    name = host.rpartition(":")[0] if not host.endswith("]") and ":" in host else host
    for ref in trusted:
        suffix = ref.startswith(".")
        if suffix:
            ref = ref[1:]
        try:
            ref = ref.partition(":")[0].encode("idna").decode("ascii")
        except UnicodeError:
            return False
        if ref == name or (suffix and name.endswith(f".{ref}")):
            return True
    return False
