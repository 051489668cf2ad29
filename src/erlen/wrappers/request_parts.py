"""What a request is made of, before any PEP 3333 environ exists.

An adapter that does not receive an environ (ASGI) hands the request these
parts; :class:`~erlen.wrappers.Request` reads them directly and builds the
PEP 3333 environ only when something asks for ``request.environ`` (Flask
code that reads it, a WSGI app mounted under ASGI). The environ it builds
holds the same keys, values and order an ASGI server's scope gave erlen
before, so reading it is unchanged.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Mapping
from typing import IO, Any

__all__ = ["RequestParts", "header_key"]

# header name -> environ key; names repeat across requests, so the conversion
# is done once per name (bounded, in case a client invents many).
_HEADER_KEYS: dict[bytes | str, str] = {}
_HEADER_KEYS_LIMIT = 1024


def header_key(raw_name: bytes | str) -> str:
    """The PEP 3333 environ key of a header name (``CONTENT_TYPE``, ``HTTP_X_ID``)."""
    key = _HEADER_KEYS.get(raw_name)
    if key is None:
        name = (raw_name.decode("latin-1") if type(raw_name) is bytes else str(raw_name)).lower()
        if name == "content-type":
            key = "CONTENT_TYPE"
        elif name == "content-length":
            key = "CONTENT_LENGTH"
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
        if len(_HEADER_KEYS) < _HEADER_KEYS_LIMIT:
            _HEADER_KEYS[bytes(raw_name) if type(raw_name) is bytes else raw_name] = key
    return key


def header_environ(pairs: Iterable[tuple[bytes | str, bytes | str]]) -> dict[str, str]:
    """The environ's header keys for ``pairs`` (bytes are latin-1), in first-seen order.

    A repeated header is joined the way a server folds it into one environ
    key: ``; `` for Cookie (HTTP/2 may split it), ``,`` for the others.
    """
    found: dict[str, str] = {}
    for raw_name, raw_value in pairs:
        key = _HEADER_KEYS.get(raw_name) or header_key(raw_name)
        value = raw_value.decode("latin-1") if type(raw_value) is bytes else str(raw_value)
        if key in found:
            found[key] += ("; " if key == "HTTP_COOKIE" else ",") + value
        else:
            found[key] = value
    return found


class RequestParts:
    """The parts of one request: request line, server, client, headers and body.

    ``path`` is the path below ``root_path`` (text, as decoded by the server);
    ``headers`` are ``(name, value)`` pairs, bytes (latin-1) or text, decoded
    into environ-style keys on first read. ``extra`` keys are added to the
    environ when one is built (the ASGI adapter adds ``asgi.scope``).
    """

    __slots__ = (
        "_header_map",
        "client",
        "extra",
        "method",
        "path",
        "query_string",
        "raw_headers",
        "root_path",
        "scheme",
        "server",
        "server_protocol",
        "stream",
    )

    def __init__(
        self,
        method: str,
        path: str,
        scheme: str = "http",
        server: tuple[Any, Any] | None = None,
        root_path: str = "",
        query_string: bytes = b"",
        headers: Iterable[tuple[bytes | str, bytes | str]] = (),
        client: tuple[Any, Any] | None = None,
        stream: IO[bytes] | None = None,
        server_protocol: str = "HTTP/1.1",
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.scheme = scheme
        self.server = server
        self.root_path = root_path
        self.query_string = query_string
        self.raw_headers = headers
        self.client = client
        self.stream = stream
        self.server_protocol = server_protocol
        self.extra = extra
        self._header_map: dict[str, str] | None = None

    def header_map(self) -> dict[str, str]:
        """The headers under their environ keys (``HTTP_ACCEPT``, ``CONTENT_TYPE``)."""
        found = self._header_map
        if found is None:
            found = self._header_map = header_environ(self.raw_headers)
        return found

    @property
    def server_name(self) -> str:
        """``SERVER_NAME``: the server's host (``localhost`` when unknown)."""
        server = self.server
        return "localhost" if not server else str(server[0])

    @property
    def server_port(self) -> str:
        """``SERVER_PORT``: the server's port as text (``80`` when unknown)."""
        server = self.server
        if not server:
            return "80"
        return "80" if server[1] is None else str(server[1])

    @property
    def remote_addr(self) -> str | None:
        """``REMOTE_ADDR``: the client's address, None when unknown."""
        client = self.client
        return str(client[0]) if client else None

    def build_environ(self) -> dict[str, Any]:
        """The PEP 3333 environ of these parts (a new dict)."""
        path = self.path
        root_path = self.root_path
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.method.upper(),
            # PEP 3333 strings carry bytes as latin-1: these are the UTF-8 bytes.
            "SCRIPT_NAME": root_path.encode("utf-8").decode("latin-1") if root_path else "",
            "PATH_INFO": path if path.isascii() else path.encode("utf-8").decode("latin-1"),
            "QUERY_STRING": self.query_string.decode("latin-1"),
            "SERVER_NAME": self.server_name,
            "SERVER_PORT": self.server_port,
            "SERVER_PROTOCOL": self.server_protocol,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.scheme,
            "wsgi.input": io.BytesIO() if self.stream is None else self.stream,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        if self.extra:
            environ.update(self.extra)
        client = self.client
        if client:
            environ["REMOTE_ADDR"] = str(client[0])
            environ["REMOTE_PORT"] = str(client[1])
        environ.update(self.header_map())
        return environ
