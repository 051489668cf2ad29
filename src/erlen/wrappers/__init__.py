"""The Request and what it is made of (``erlen.wrappers.Request`` as in Werkzeug).

- :mod:`~erlen.wrappers.request`: the ``Request`` class and its lazily computed attributes;
- :mod:`~erlen.wrappers.request_parts`: the parts an adapter builds a request from,
  and the PEP 3333 environ built from them on demand;
- :mod:`~erlen.wrappers.environ_headers`: the read-only request headers;
- :mod:`~erlen.wrappers.urls`: the path and URL text;
- :mod:`~erlen.wrappers.body`: the bounded body stream;
- :mod:`~erlen.wrappers.trusted_hosts`: ``TRUSTED_HOSTS``;
- :mod:`~erlen.wrappers.user_agent`: the User-Agent header.
"""

from __future__ import annotations

from erlen.wrappers.environ_headers import EnvironHeaders
from erlen.wrappers.request import Request, _split_blueprint_path as _split_blueprint_path
from erlen.wrappers.request_parts import RequestParts
from erlen.wrappers.trusted_hosts import refuse_untrusted_host as refuse_untrusted_host
from erlen.wrappers.urls import _request_line as _request_line, _with_one_slash as _with_one_slash
from erlen.wrappers.user_agent import UserAgent

__all__ = ["EnvironHeaders", "Request", "RequestParts", "UserAgent"]
