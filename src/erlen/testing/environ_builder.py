"""The test client: requests built in memory and sent through the app's WSGI entry.

Three separate steps, so another transport (ASGI) can replace the middle one:

* :func:`build_environ` / :class:`EnvironBuilder` turn ``client.get(...)``
  arguments into a WSGI environ, the same one Werkzeug's ``EnvironBuilder``
  builds for the same arguments;
* :func:`run_wsgi_app` calls ``app(environ, start_response)`` exactly as a
  server does and returns ``(body_iterable, status, header_list)``;
* :func:`wrap_response` builds a :class:`TestResponse` (a subclass of the app's
  response class) from those parts.

:class:`ErlenClient` ties them together and keeps a cookie jar between requests.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import email.utils
import importlib
import mimetypes
import os
import re
import sys
import time
from base64 import b64encode
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta, timezone
from io import BytesIO
from itertools import chain
from random import random
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

from erlen.errors import (
    ArgumentTypeError,
    CookieValueError,
    HeaderValueError,
    RequestArgumentError,
    describe,
)
from erlen.http.headers import is_token, replace_header
from erlen.http.status import parse_status

if TYPE_CHECKING:
    from erlen.app import Erlen
    from erlen.sessions import SessionMixin

__all__ = [
    "ASGIProtocolViolation",
    "ClientRedirectError",
    "Cookie",
    "EnvironBuilder",
    "ErlenClient",
    "FlaskClient",
    "RequestArgumentError",
    "TestResponse",
    "asgi_scope",
    "build_environ",
    "encode_multipart",
    "run_asgi_app",
    "run_wsgi_app",
    "wrap_response",
]

Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
HeaderList = list[tuple[str, str]]


class ClientRedirectError(Exception):
    """``follow_redirects`` met the same redirect (location and code) twice."""


# Host names a browser treats as a secure context even over plain http, so a
# ``Secure`` cookie set by an app under test on localhost is still sent back.
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_REDIRECT_CODES = frozenset({301, 302, 303, 305, 307, 308})
_BODY_KEEPING_REDIRECTS = frozenset({307, 308})

_UNSAFE = re.compile(r"[\r\n\x00]")
# Mimetypes that get "; charset=utf-8" when passed as ``mimetype=``.
_CHARSET_MIMETYPES = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/sql",
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
    }
)
# WHATWG form-data escaping: keeps a field or file name inside its quotes.
_DISPOSITION_ESCAPES = str.maketrans({'"': "%22", "\r": "%0D", "\n": "%0A"})

_PATH_SAFE = "%!$&'()*+,/:;=@"
_QUERY_SAFE = "%!$&'()*+,/:;=?@"
_FRAGMENT_SAFE = "%!#$&'()*+,/:;=?@"
_USERINFO_SAFE = "%!$&'()*+,;="
_FORM_SAFE = "!$'()*,/:;?@"


def _wsgi_encode(text: str) -> str:
    """PEP 3333 native string: UTF-8 bytes carried as latin-1 code points."""
    return text.encode().decode("latin1")


def _wsgi_decode(text: str) -> str:
    return text.encode("latin1").decode(errors="replace")


def _iri_to_uri(iri: str) -> str:
    """Percent-quote non-ASCII and unsafe characters; IDNA-encode the host."""
    try:
        parts = urlsplit(iri)
        port = parts.port
    except ValueError as error:
        raise RequestArgumentError(f"URL {describe(iri)} is malformed: {error}") from None
    netloc = parts.hostname.encode("idna").decode("ascii") if parts.hostname else ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if port is not None:
        netloc = f"{netloc}:{port}"
    if parts.username is not None:
        userinfo = quote(parts.username, safe=_USERINFO_SAFE)
        if parts.password is not None:
            userinfo += ":" + quote(parts.password, safe=_USERINFO_SAFE)
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=_PATH_SAFE),
            quote(parts.query, safe=_QUERY_SAFE),
            quote(parts.fragment, safe=_FRAGMENT_SAFE),
        )
    )


def _multi_items(mapping: Any, expand: tuple[type, ...]) -> Iterator[tuple[str, Any]]:
    """(key, value) pairs of a dict, a MultiDict or a pair list; ``expand`` types fan out."""
    if hasattr(mapping, "getlist") and hasattr(mapping, "items"):
        yield from mapping.items(multi=True)
    elif isinstance(mapping, Mapping):
        for key, value in mapping.items():
            if isinstance(value, expand):
                for item in cast("Iterable[Any]", value):
                    yield key, item
            else:
                yield key, value
    else:
        yield from mapping


def _group(pairs: Iterable[tuple[str, Any]]) -> dict[str, list[Any]]:
    # Werkzeug's MultiDict keeps values grouped by first appearance of the key,
    # and the encoded query string / form follows that order.
    grouped: dict[str, list[Any]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return grouped


def _form_urlencode(grouped: dict[str, list[Any]]) -> str:
    pairs = [(key, value) for key, values in grouped.items() for value in values]
    return urlencode([pair for pair in pairs if pair[1] is not None], safe=_FORM_SAFE)


def _content_type_for(mimetype: str) -> str:
    if mimetype.startswith("text/") or mimetype in _CHARSET_MIMETYPES or mimetype.endswith("+xml"):
        return f"{mimetype}; charset=utf-8"
    return mimetype


def _check_header(name: str, value: str) -> None:
    if not is_token(name):
        raise HeaderValueError(f"header name {describe(name)} is not an HTTP token")
    if _UNSAFE.search(value):
        raise HeaderValueError(f"header {name!r} value {describe(value)} holds CR, LF or NUL")


class _HeaderList:
    """Ordered, case-insensitive request headers with Werkzeug ``Headers`` semantics."""

    __slots__ = ("items",)

    def __init__(self, source: Any = None) -> None:
        self.items: HeaderList = []
        if source is None:
            return
        if isinstance(source, Mapping):
            pairs: Iterable[tuple[str, Any]] = _multi_items(source, (list, tuple, set))
        elif hasattr(source, "to_wsgi_list"):
            pairs = source.to_wsgi_list()
        else:
            pairs = source
        for name, value in pairs:
            self.add(name, value)

    def add(self, name: str, value: object) -> None:
        text = value if isinstance(value, str) else str(value)
        _check_header(name, text)
        self.items.append((name, text))

    def get(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.items:
            if key.lower() == lowered:
                return value
        return None

    def set(self, name: str, value: object) -> None:
        """Replace the first ``name`` in place and drop the rest, or append."""
        text = value if isinstance(value, str) else str(value)
        _check_header(name, text)
        replace_header(self.items, name, text)

    def remove(self, name: str) -> None:
        lowered = name.lower()
        self.items = [item for item in self.items if item[0].lower() != lowered]

    def copy(self) -> _HeaderList:
        clone = _HeaderList()
        clone.items = list(self.items)
        return clone


@dataclasses.dataclass
class _FilePart:
    stream: IO[bytes]
    filename: str | None
    content_type: str | None


def _file_part(value: Any) -> _FilePart:
    """A file from ``data``: a file object, or ``(file, filename[, content_type])``."""
    filename: str | None = None
    content_type: str | None = None
    if isinstance(value, tuple):
        if not 1 <= len(value) <= 3:
            raise ArgumentTypeError(
                f"file tuple {describe(value)} must be (file, filename[, type])"
            )
        stream = value[0]
        filename = value[1] if len(value) > 1 else None
        content_type = value[2] if len(value) > 2 else None
    elif hasattr(value, "read"):
        stream = value
        filename = getattr(value, "filename", None)
        content_type = getattr(value, "content_type", None)
    else:
        raise ArgumentTypeError(f"form file {describe(value)} is not a file object or tuple")
    if isinstance(stream, (str, os.PathLike)):
        if filename is None:
            filename = os.fspath(stream)
        stream = open(stream, "rb")  # noqa: SIM115 - closed by EnvironBuilder.close()
    if filename and content_type is None:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if filename is None:
        name = getattr(stream, "name", None)
        if name is not None:
            name = os.fsdecode(name)
            # Python names its own streams like "<stdin>": not file names.
            filename = None if name.startswith("<") and name.endswith(">") else name
    else:
        filename = os.fsdecode(filename)
    return _FilePart(stream, filename, content_type)


def encode_multipart(
    fields: Iterable[tuple[str, Any]], boundary: str | None = None
) -> tuple[bytes, str]:
    """Serialize form fields and :class:`_FilePart` files as ``multipart/form-data``.

    Returns ``(body, boundary)``. Client-side only: nothing here parses.
    """
    if boundary is None:
        boundary = f"---------------ErlenFormPart_{time.time()}{random()}"
    delimiter = b"\r\n--" + boundary.encode() + b"\r\n"
    out: list[bytes] = []
    for name, value in fields:
        disposition = f'form-data; name="{name.translate(_DISPOSITION_ESCAPES)}"'
        if isinstance(value, _FilePart):
            if value.filename is not None:
                disposition += f'; filename="{value.filename.translate(_DISPOSITION_ESCAPES)}"'
            content_type = value.content_type or (
                (value.filename and mimetypes.guess_type(value.filename)[0])
                or "application/octet-stream"
            )
            _check_header("Content-Type", content_type)
            out.append(delimiter)
            out.append(
                f"Content-Disposition: {disposition}\r\nContent-Type: {content_type}\r\n".encode()
            )
            first = True
            while chunk := value.stream.read(16384):
                out.append(b"\r\n" + chunk if first else chunk)
                first = False
        else:
            text = value if isinstance(value, str) else str(value)
            out.append(delimiter)
            out.append(f"Content-Disposition: {disposition}\r\n".encode())
            if text:
                out.append(b"\r\n" + text.encode())
    out.append(b"\r\n--" + boundary.encode() + b"--\r\n")
    return b"".join(out), boundary


def _app_json_dumps(app: Any) -> Callable[[Any], str]:
    provider = getattr(app, "json", None)
    dumps = getattr(provider, "dumps", None)
    if callable(dumps):
        return cast("Callable[[Any], str]", dumps)
    from erlen.json import dumps as erlen_dumps

    return erlen_dumps


class EnvironBuilder:
    """Builds the WSGI environ for one test request; the arguments of ``client.open``.

    With ``app`` given, the base URL comes from its ``SERVER_NAME``,
    ``APPLICATION_ROOT`` and ``PREFERRED_URL_SCHEME`` (plus ``subdomain`` and
    ``url_scheme``) and ``json=`` uses the app's JSON provider, as Flask's does.
    """

    __slots__ = (
        "closed",
        "environ_base",
        "environ_overrides",
        "errors_stream",
        "files",
        "form",
        "headers",
        "host",
        "input_stream",
        "method",
        "multiprocess",
        "multithread",
        "path",
        "query_string",
        "request_uri",
        "run_once",
        "script_root",
        "url_scheme",
    )

    server_protocol = "HTTP/1.1"
    wsgi_version = (1, 0)

    def __init__(
        self,
        path: str = "/",
        base_url: str | None = None,
        query_string: Mapping[str, Any] | str | None = None,
        method: str = "GET",
        input_stream: IO[bytes] | None = None,
        content_type: str | None = None,
        content_length: int | str | None = None,
        errors_stream: IO[str] | None = None,
        multithread: bool = False,
        multiprocess: bool = False,
        run_once: bool = False,
        headers: Any = None,
        data: Any = None,
        environ_base: Mapping[str, Any] | None = None,
        environ_overrides: Mapping[str, Any] | None = None,
        mimetype: str | None = None,
        json: Any = None,
        auth: tuple[str, str] | Any = None,
        *,
        app: Erlen | Any = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
    ) -> None:
        if (subdomain or url_scheme) and base_url is not None:
            raise ArgumentTypeError("cannot pass 'subdomain' or 'url_scheme' with 'base_url'")
        config = getattr(app, "config", None)
        if config is not None and base_url is None:
            host = config.get("SERVER_NAME") or "localhost"
            if subdomain:
                host = f"{subdomain}.{host}"
            scheme = url_scheme or config.get("PREFERRED_URL_SCHEME") or "http"
            root = config.get("APPLICATION_ROOT") or "/"
            url = urlsplit(path)
            base_url = f"{url.scheme or scheme}://{url.netloc or host}/{root.lstrip('/')}"
            path = f"{url.path}?{url.query}" if url.query else url.path

        if query_string is not None and "?" in path:
            raise RequestArgumentError(
                f"query string given both in path {describe(path)} and as 'query_string'"
            )
        request_uri = urlsplit(path)
        if query_string is None and "?" in path:
            query_string = request_uri.query
        self.path = _iri_to_uri(request_uri.path)
        self.request_uri = path
        self._set_base_url(None if base_url is None else _iri_to_uri(base_url))
        if isinstance(query_string, str):
            self.query_string = query_string
        elif query_string is None:
            self.query_string = ""
        else:
            grouped = _group(_multi_items(query_string, (list, tuple, set)))
            self.query_string = _form_urlencode(grouped)
        self.method = method
        self.headers = headers if isinstance(headers, _HeaderList) else _HeaderList(headers)
        if content_type is not None:
            self.headers.set("Content-Type", content_type)
        self.errors_stream = sys.stderr if errors_stream is None else errors_stream
        self.multithread = multithread
        self.multiprocess = multiprocess
        self.run_once = run_once
        self.environ_base = environ_base
        self.environ_overrides = environ_overrides
        self.input_stream = input_stream
        self.form: dict[str, list[Any]] = {}
        self.files: dict[str, list[_FilePart]] = {}
        self.closed = False
        # Like Werkzeug, the argument owns the length: a Content-Length header goes.
        if content_length is None:
            self.headers.remove("Content-Length")
        else:
            self.headers.set("Content-Length", content_length)
        if auth is not None:
            if isinstance(auth, tuple):
                user, password = auth
                token = b64encode(f"{user}:{password}".encode()).decode("ascii")
                self.headers.set("Authorization", f"Basic {token}")
            else:
                self.headers.set("Authorization", auth.to_header())
        if json is not None:
            if data is not None:
                raise ArgumentTypeError("cannot pass both 'json' and 'data'")
            data = _app_json_dumps(app)(json)
            if self.content_type is None:
                self.headers.set("Content-Type", "application/json")
        if data:
            self._add_data(data, input_stream)
        if mimetype is not None:
            self.headers.set("Content-Type", _content_type_for(mimetype))

    def _add_data(self, data: Any, input_stream: IO[bytes] | None) -> None:
        if input_stream is not None:
            raise ArgumentTypeError("cannot pass both 'input_stream' and 'data'")
        if hasattr(data, "read"):
            data = data.read()
        if isinstance(data, str):
            data = data.encode()
        if isinstance(data, (bytes, bytearray)):
            self.input_stream = BytesIO(data)
            if self.headers.get("Content-Length") is None:
                self.headers.set("Content-Length", len(data))
            return
        # Only lists fan out here: a tuple is one file with its filename.
        for key, value in _multi_items(data, (list,)):
            if isinstance(value, (tuple, dict)) or hasattr(value, "read"):
                self.files.setdefault(key, []).append(_file_part(value))
            else:
                self.form.setdefault(key, []).append(value)

    def _set_base_url(self, value: str | None) -> None:
        if value is None:
            scheme, netloc, root = "http", "localhost", ""
        else:
            scheme, netloc, root, query, fragment = urlsplit(value)
            if query or fragment:
                raise RequestArgumentError(
                    f"base_url {describe(value)} must not hold a query string or fragment"
                )
        self.script_root = root.rstrip("/")
        self.host = netloc
        self.url_scheme = scheme

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any], **overrides: Any) -> EnvironBuilder:
        """A builder that re-creates ``environ``; ``overrides`` replace its arguments."""
        headers = _HeaderList()
        content_type = content_length = host = None
        for key, value in environ.items():
            if key.startswith("HTTP_") and key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                name = key[5:].replace("_", "-").title()
                if name == "Host":
                    host = value if host is None else host
                    continue
                headers.add(name, value)
            elif key == "CONTENT_TYPE" and value:
                content_type = value
            elif key == "CONTENT_LENGTH" and value:
                content_length = value
        root = _wsgi_decode(environ["SCRIPT_NAME"])
        base = urlunsplit((environ["wsgi.url_scheme"], host or "", root, "", ""))
        arguments: dict[str, Any] = {
            "path": _wsgi_decode(environ["PATH_INFO"]),
            "base_url": base.rstrip("/") + "/",
            "query_string": _wsgi_decode(environ["QUERY_STRING"]),
            "method": environ["REQUEST_METHOD"],
            "input_stream": environ["wsgi.input"],
            "content_type": content_type,
            "content_length": content_length,
            "errors_stream": environ["wsgi.errors"],
            "multithread": environ["wsgi.multithread"],
            "multiprocess": environ["wsgi.multiprocess"],
            "run_once": environ["wsgi.run_once"],
            "headers": headers,
        }
        arguments.update(overrides)
        return cls(**arguments)

    @property
    def content_type(self) -> str | None:
        """The Content-Type header, or the one the form data implies."""
        value = self.headers.get("Content-Type")
        if value is None and not self.input_stream:
            if self.files:
                return "multipart/form-data"
            if self.form:
                return "application/x-www-form-urlencoded"
        return value

    @property
    def server_name(self) -> str:
        """The host without its port."""
        return self.host.partition(":")[0]

    @property
    def server_port(self) -> int:
        """The port from the host, or the scheme's default."""
        _, colon, port = self.host.partition(":")
        if colon:
            try:
                return int(port)
            except ValueError:
                pass
        return 443 if self.url_scheme == "https" else 80

    def close(self) -> None:
        """Close the file objects given in ``data`` (Werkzeug does the same)."""
        if self.closed:
            return
        for parts in self.files.values():
            for part in parts:
                try:
                    part.stream.close()
                except Exception:
                    pass
        self.closed = True

    def get_environ(self) -> Environ:
        """The WSGI environ for this request."""
        content_type = self.content_type
        mimetype = content_type.partition(";")[0].strip() if content_type else None
        raw_length = self.headers.get("Content-Length")
        content_length: int | None
        try:
            content_length = None if raw_length is None else int(raw_length)
        except ValueError:
            content_length = None
        input_stream = self.input_stream
        if input_stream is not None:
            # What is left to read decides the length, whatever the header said.
            start = input_stream.tell()
            input_stream.seek(0, 2)
            content_length = input_stream.tell() - start
            input_stream.seek(start)
        elif mimetype == "multipart/form-data":
            fields = chain(
                ((key, value) for key, values in self.form.items() for value in values),
                ((key, part) for key, parts in self.files.items() for part in parts),
            )
            body, boundary = encode_multipart(fields)
            input_stream = BytesIO(body)
            content_length = len(body)
            content_type = f'{mimetype}; boundary="{boundary}"'
        elif mimetype == "application/x-www-form-urlencoded":
            body = _form_urlencode(self.form).encode("ascii")
            content_length = len(body)
            input_stream = BytesIO(body)
        else:
            input_stream = BytesIO()

        environ: Environ = dict(self.environ_base) if self.environ_base else {}
        raw_uri = _wsgi_encode(self.request_uri)
        environ.update(
            {
                "REQUEST_METHOD": self.method,
                "SCRIPT_NAME": _wsgi_encode(unquote(self.script_root)),
                "PATH_INFO": _wsgi_encode(unquote(self.path)),
                "QUERY_STRING": _wsgi_encode(self.query_string),
                "REQUEST_URI": raw_uri,
                "RAW_URI": raw_uri,
                "SERVER_NAME": self.server_name,
                "SERVER_PORT": str(self.server_port),
                "HTTP_HOST": self.host,
                "SERVER_PROTOCOL": self.server_protocol,
                "wsgi.version": self.wsgi_version,
                "wsgi.url_scheme": self.url_scheme,
                "wsgi.input": input_stream,
                "wsgi.errors": self.errors_stream,
                "wsgi.multithread": self.multithread,
                "wsgi.multiprocess": self.multiprocess,
                "wsgi.run_once": self.run_once,
            }
        )
        if content_type is not None:
            environ["CONTENT_TYPE"] = content_type
        if content_length is not None:
            environ["CONTENT_LENGTH"] = str(content_length)
        combined: dict[str, list[str]] = {}
        for name, value in self.headers.items:
            lowered = name.lower()
            if lowered in ("content-type", "content-length"):
                continue
            combined.setdefault(f"HTTP_{name.upper().replace('-', '_')}", []).append(value)
        for key, values in combined.items():
            environ[key] = ", ".join(values)
        if self.environ_overrides:
            environ.update(self.environ_overrides)
        return environ


def build_environ(path: str = "/", *args: Any, **kwargs: Any) -> Environ:
    """The WSGI environ for the given request arguments (see :class:`EnvironBuilder`)."""
    builder = EnvironBuilder(path, *args, **kwargs)
    try:
        return builder.get_environ()
    finally:
        builder.close()


# ---------------------------------------------------------------------------
# Running the app


class _ClosingIterator:
    """Iterates the app's body and calls its ``close`` exactly once (PEP 3333)."""

    __slots__ = ("_close", "_iterator")

    def __init__(self, iterator: Iterator[bytes], close: Callable[[], object]) -> None:
        self._iterator = iterator
        self._close: Callable[[], object] | None = close

    def __iter__(self) -> _ClosingIterator:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._iterator)
        except StopIteration:
            self.close()
            raise

    def close(self) -> None:
        close, self._close = self._close, None
        if close is not None:
            close()


def run_wsgi_app(
    app: WSGIApp, environ: Environ, buffered: bool = False
) -> tuple[Iterable[bytes], str, HeaderList]:
    """Call ``app`` as a WSGI server would; return ``(body, status, headers)``.

    The app gets a copy of ``environ``, so what it changes there does not leak
    into a redirect's request. Unless ``buffered``, the body stays lazy.
    """
    environ = dict(environ)
    started: tuple[str, HeaderList] | None = None
    written: list[bytes] = []

    def start_response(
        status: str, headers: HeaderList, exc_info: Any = None
    ) -> Callable[[bytes], object]:
        nonlocal started
        if exc_info:
            try:
                raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        started = (status, headers)
        return written.append

    result = app(environ, start_response)
    close = getattr(result, "close", None)
    iterator = iter(result)
    body: Iterable[bytes]
    if buffered:
        try:
            body = written + list(iterator)
        finally:
            if close is not None:
                close()
    else:
        # Pull one chunk like Werkzeug does: an app may call start_response
        # lazily, and an error in the first chunk surfaces at the call.
        for chunk in iterator:
            written.append(chunk)
            if started is not None:
                break
        body_iterator: Iterator[bytes] = chain(written, iterator) if written else iterator
        body = body_iterator if close is None else _ClosingIterator(body_iterator, close)
    if started is None:
        raise RuntimeError("the app returned without calling start_response")
    return body, started[0], list(started[1])


# ---------------------------------------------------------------------------
# Running the app over ASGI


class ASGIProtocolViolation(RuntimeError):
    """The app under test broke the ASGI protocol (message order, types, framing)."""


#: Largest ``http.request`` chunk the client feeds; bodies go in up to 3 chunks.
ASGI_REQUEST_CHUNK = 65536
#: How long ``close()`` waits for the app to return after ``http.disconnect``.
ASGI_DISCONNECT_GRACE = 5.0
_RAW_PATH_SAFE = "!$&'()*+,/:;=@-._~"


def asgi_scope(environ: Mapping[str, Any]) -> dict[str, Any]:
    """The ASGI ``http`` scope a server would build for the request in ``environ``.

    ``path`` is the decoded full path (root path included, as ASGI 3 asks),
    ``root_path`` comes from ``SCRIPT_NAME``, headers are lower-case byte pairs.
    """
    script_name = environ.get("SCRIPT_NAME", "")
    full_path = (script_name + environ.get("PATH_INFO", "")).encode("latin-1")
    headers: list[tuple[bytes, bytes]] = []
    try:
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                name = key[5:].replace("_", "-").lower()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                name = key.replace("_", "-").lower()
            else:
                continue
            headers.append((name.encode("latin-1"), str(value).encode("latin-1")))
        query_string = environ.get("QUERY_STRING", "").encode("latin-1")
    except UnicodeEncodeError as error:
        raise RequestArgumentError(
            f"request header or query {describe(error.object)} cannot be sent as bytes"
        ) from None
    remote_addr = environ.get("REMOTE_ADDR")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": environ.get("SERVER_PROTOCOL", "HTTP/1.1").partition("/")[2] or "1.1",
        "method": environ["REQUEST_METHOD"],
        "scheme": environ.get("wsgi.url_scheme", "http"),
        "path": full_path.decode("utf-8", errors="replace"),
        "raw_path": quote(full_path, safe=_RAW_PATH_SAFE).encode("ascii"),
        "query_string": query_string,
        "root_path": _wsgi_decode(script_name),
        "headers": headers,
        "client": None
        if remote_addr is None
        else (remote_addr, int(environ.get("REMOTE_PORT") or 0)),
        "server": (environ.get("SERVER_NAME", "localhost"), int(environ.get("SERVER_PORT", 80))),
        "extensions": {},
    }


def _request_messages(body: bytes) -> deque[dict[str, Any]]:
    """The request body as ``http.request`` messages: a few chunks, the last one final."""
    if not body:
        return deque([{"type": "http.request", "body": b"", "more_body": False}])
    size = min(ASGI_REQUEST_CHUNK, max(1, -(-len(body) // 3)))
    pieces = [body[start : start + size] for start in range(0, len(body), size)]
    last = len(pieces) - 1
    return deque(
        {"type": "http.request", "body": piece, "more_body": index < last}
        for index, piece in enumerate(pieces)
    )


def _response_headers(raw: Any) -> HeaderList:
    try:
        pairs = [(name, value) for name, value in raw]
    except (TypeError, ValueError):
        raise ASGIProtocolViolation(
            f"'http.response.start' headers {describe(raw)} are not (name, value) pairs"
        ) from None
    headers: HeaderList = []
    for name, value in pairs:
        if not isinstance(name, (bytes, bytearray)) or not isinstance(value, (bytes, bytearray)):
            raise ASGIProtocolViolation(
                f"response header {describe((name, value))} must be a pair of bytes"
            )
        text_name, text_value = bytes(name).decode("latin-1"), bytes(value).decode("latin-1")
        try:
            _check_header(text_name, text_value)
        except HeaderValueError as error:
            raise ASGIProtocolViolation(f"the app sent a bad response header: {error}") from None
        headers.append((text_name, text_value))
    return headers


class _ASGIExchange:
    """One request driven through an ASGI app on an event loop of its own.

    The loop runs only while the client waits for something: the response
    start, the next body chunk, or the app's return after the body ended (or
    after the client hung up). A streamed body is therefore as lazy as on the
    WSGI path: the app's ``send`` of a chunk waits until the client wants it.
    """

    __slots__ = (
        "_demand",
        "_finish_waiters",
        "_wakeup",
        "buffered",
        "chunks",
        "closed",
        "complete",
        "disconnected",
        "loop",
        "request_messages",
        "start",
        "task",
        "violation",
    )

    def __init__(self, app: Any, scope: dict[str, Any], body: bytes, buffered: bool) -> None:
        self.buffered = buffered
        self.request_messages = _request_messages(body)
        self.chunks: deque[bytes] = deque()
        self.start: tuple[int, HeaderList] | None = None
        self.complete = False
        self.disconnected = False
        self.closed = False
        self.violation: ASGIProtocolViolation | None = None
        self._wakeup: asyncio.Future[None] | None = None
        self._demand: asyncio.Future[None] | None = None
        self._finish_waiters: list[asyncio.Future[None]] = []
        self.loop = asyncio.new_event_loop()

        async def main() -> None:
            await app(scope, self.receive, self.send)

        self.task = self.loop.create_task(main())

    # -- the app's side ------------------------------------------------------

    async def receive(self) -> dict[str, Any]:
        if self.request_messages:
            return self.request_messages.popleft()
        if not (self.complete or self.disconnected):
            # A server answers the next receive only when the client goes away.
            waiter = self.loop.create_future()
            self._finish_waiters.append(waiter)
            await waiter
        return {"type": "http.disconnect"}

    async def send(self, message: Mapping[str, Any]) -> None:
        if self.disconnected:
            return  # the client is gone; a server drops what still comes
        try:
            self._accept(message)
        except ASGIProtocolViolation as violation:
            if self.violation is None:
                self.violation = violation
            raise
        finally:
            self._wake()
        if not self.complete and self.chunks and not self.buffered:
            demand = self._demand = self.loop.create_future()
            await demand

    def _accept(self, message: Mapping[str, Any]) -> None:
        kind = message.get("type")
        if self.complete:
            raise ASGIProtocolViolation(f"the app sent {kind!r} after the response was complete")
        if kind == "http.response.start":
            if self.start is not None:
                raise ASGIProtocolViolation("the app sent 'http.response.start' twice")
            status = message.get("status")
            if type(status) is not int or not 100 <= status <= 999:
                raise ASGIProtocolViolation(
                    f"'http.response.start' status {describe(status)} is not an int in 100-999"
                )
            self.start = (status, _response_headers(message.get("headers", ())))
        elif kind == "http.response.body":
            if self.start is None:
                raise ASGIProtocolViolation(
                    "the app sent 'http.response.body' before 'http.response.start'"
                )
            body = message.get("body", b"")
            if not isinstance(body, (bytes, bytearray)):
                raise ASGIProtocolViolation(
                    f"'http.response.body' body must be bytes, got {type(body).__name__}"
                )
            if body:
                self.chunks.append(bytes(body))
            if not message.get("more_body", False):
                self.complete = True
                self._release_receivers()
        else:
            raise ASGIProtocolViolation(f"the app sent an unknown message type {kind!r}")

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    def _release_receivers(self) -> None:
        waiters, self._finish_waiters = self._finish_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # -- the client's side ---------------------------------------------------

    def _advance(self) -> None:
        """Run the loop until the app sends a message or returns."""
        if self._demand is not None and not self._demand.done():
            self._demand.set_result(None)
        wakeup = self._wakeup = self.loop.create_future()
        self.loop.run_until_complete(
            asyncio.wait({self.task, wakeup}, return_when=asyncio.FIRST_COMPLETED)
        )

    def _raise_for_task(self) -> None:
        """The app returned: raise its error, or a violation if the response is unfinished."""
        self.close()
        if self.start is None:
            raise ASGIProtocolViolation("the app returned without sending 'http.response.start'")
        if not self.complete:
            raise ASGIProtocolViolation(
                "the app returned without a final 'http.response.body' (more_body=False)"
            )

    def begin(self) -> tuple[str, HeaderList]:
        """Run the app until it started the response (and sent a first chunk)."""
        while self.start is None or not (self.complete or (self.chunks and not self.buffered)):
            if self.task.done():
                self._raise_for_task()
            self._advance()
            if self.violation is not None:
                self.close()
        if self.complete:
            # Nothing left to stream: let the app finish (teardown) now, as WSGI does.
            self.close()
        code, headers = self.start
        return parse_status(code)[1], headers

    def __iter__(self) -> _ASGIExchange:
        return self

    def __next__(self) -> bytes:
        while not self.chunks:
            if self.complete or self.closed:
                self.close()
                raise StopIteration
            if self.task.done():
                self._raise_for_task()
            self._advance()
        return self.chunks.popleft()

    def __del__(self) -> None:
        # A streamed test response that was never read nor closed: hang up now,
        # as a client that drops the connection would, rather than leak the task.
        if not self.closed:
            try:
                self.close()
            except BaseException:
                pass

    def close(self) -> None:
        """Hang up if the body is unfinished, let the app return, close the loop.

        The app's own error (or a protocol violation) is raised here once.
        """
        if self.closed:
            return
        self.closed = True
        loop, task = self.loop, self.task
        try:
            if not task.done():
                if not self.complete:
                    self.disconnected = True
                    self.chunks.clear()
                self._release_receivers()
                if self._demand is not None and not self._demand.done():
                    self._demand.set_result(None)
                loop.run_until_complete(asyncio.wait({task}, timeout=ASGI_DISCONNECT_GRACE))
                if not task.done():
                    task.cancel()
                    loop.run_until_complete(asyncio.wait({task}))
            # As asyncio.run does: finish tasks the app left behind (a cancelled
            # disconnect watcher, say) before the loop goes away.
            leftovers = asyncio.all_tasks(loop)
            for leftover in leftovers:
                leftover.cancel()
            if leftovers:
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
        if self.violation is not None:
            raise self.violation
        if not task.cancelled() and task.exception() is not None:
            raise cast(BaseException, task.exception())


def run_asgi_app(
    app: Any, environ: Environ, buffered: bool = False
) -> tuple[Iterable[bytes], str, HeaderList]:
    """Call ``app`` as an ASGI server would for ``environ``; return ``(body, status, headers)``.

    The status line carries the standard reason phrase (ASGI sends none). Unless
    ``buffered``, a streamed body stays lazy and ``close()`` on it hangs up.
    """
    stream = environ.get("wsgi.input")
    body = stream.read() if stream is not None else b""
    scope = asgi_scope(environ)
    preserve = environ.get(PRESERVE_CONTEXT_KEY)
    if preserve is not None:
        # ``with client:``: the app hands the request's context back through the scope.
        from erlen.asgi import PRESERVE_CONTEXT

        scope[PRESERVE_CONTEXT] = preserve
    exchange = _ASGIExchange(app, scope, body, buffered)
    status, headers = exchange.begin()
    if exchange.closed:
        return list(exchange.chunks), status, headers
    return exchange, status, headers


# ---------------------------------------------------------------------------
# Wrapping the result


if TYPE_CHECKING:
    # Type checkers see the response API; at run time this is a mixin put in
    # front of the app's response class (see test_response_class).
    from erlen.response import Response as _ResponseAPI
else:
    _ResponseAPI = object


class TestResponse(_ResponseAPI):
    """Mixed into the app's response class for what the client returns.

    Adds ``request`` (the request that was sent), ``history`` (responses of
    followed redirects) and ``text``. Assumes no mimetype: the headers are the
    app's, as sent.
    """

    __test__ = False
    default_mimetype: str | None = None

    request: Any
    history: tuple[TestResponse, ...]

    def __init__(
        self,
        response: Iterable[bytes],
        status: str,
        headers: Any,
        request: Any,
        history: tuple[TestResponse, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(response, status, headers, **kwargs)
        self.request = request
        self.history = history

    @property
    def text(self) -> str:
        """The body decoded as text."""
        return self.get_data(as_text=True)

    @property
    def json(self) -> Any:
        """The body parsed as JSON (``get_json()``)."""
        return self.get_json()


_wrapper_cache: dict[type, type[TestResponse]] = {}


def test_response_class(response_class: type | None) -> type[TestResponse]:
    """``response_class`` with :class:`TestResponse` mixed in (cached per class)."""
    if response_class is None:
        from erlen.response import Response

        response_class = Response
    if issubclass(response_class, TestResponse):
        return response_class
    wrapper = _wrapper_cache.get(response_class)
    if wrapper is None:
        wrapper = type(f"Test{response_class.__name__}", (TestResponse, response_class), {})
        _wrapper_cache[response_class] = wrapper
    return wrapper


test_response_class.__test__ = False  # type: ignore[attr-defined]


def wrap_response(
    response_class: type[TestResponse],
    body: Iterable[bytes],
    status: str,
    headers: HeaderList,
    request: Any,
) -> TestResponse:
    """A :class:`TestResponse` holding what the app produced."""
    return response_class(body, status, headers, request=request)


# ---------------------------------------------------------------------------
# Cookies


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


# ---------------------------------------------------------------------------
# The client


# Flask apps hand context managers to this environ key so `with client:` can
# keep the last request's context active; erlen's app honours the same key.
PRESERVE_CONTEXT_KEY = "werkzeug.debug.preserve_context"


class ErlenClient:
    """Sends requests to an app through its WSGI (or, with ``asgi=True``, ASGI) entry.

    Keeps cookies between requests (Path, Domain, Expires, Max-Age and Secure
    honoured), follows redirects on request, and as ``with client:`` keeps the
    context of the last request active until the block ends.
    """

    __test__ = False

    def __init__(
        self,
        application: Any,
        response_wrapper: type | None = None,
        use_cookies: bool = True,
        allow_subdomain_redirects: bool = False,
        asgi: bool = False,
    ) -> None:
        self.application = application
        #: Send requests through the app's ASGI entry (``await app(scope, receive, send)``).
        self.asgi = asgi
        if response_wrapper is None:
            response_wrapper = getattr(application, "response_class", None)
        self.response_wrapper = test_response_class(response_wrapper)
        self._cookies: dict[tuple[str, str, str], Cookie] | None = {} if use_cookies else None
        self.allow_subdomain_redirects = allow_subdomain_redirects
        from erlen import __version__

        self.environ_base: dict[str, Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"Erlen/{__version__}",
        }
        self.preserve_context = False
        self._new_contexts: list[Any] = []
        self._context_stack = ExitStack()

    # -- cookies -----------------------------------------------------------

    def _jar(self) -> dict[tuple[str, str, str], Cookie]:
        if self._cookies is None:
            raise ArgumentTypeError("cookies are disabled; create the client with use_cookies=True")
        return self._cookies

    def get_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> Cookie | None:
        """The stored cookie ``(domain, path, key)``, or ``None`` (also once expired)."""
        jar = self._jar()
        cookie = jar.get((domain, path, key))
        if cookie is not None and cookie.is_expired(_clock()):
            del jar[cookie.storage_key]
            return None
        return cookie

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        domain: str = "localhost",
        origin_only: bool = True,
        path: str = "/",
        **kwargs: Any,
    ) -> None:
        """Store a cookie as if a response to ``domain`` had set it."""
        jar = self._jar()
        header = _format_set_cookie(key, value, domain=domain, path=path, **kwargs)
        cookie = Cookie.from_set_cookie(domain, "/", header)
        if cookie is None:  # pragma: no cover - _format_set_cookie validated the key
            raise CookieValueError(f"cookie key {describe(key)} cannot be stored")
        cookie.origin_only = origin_only
        self._store_cookie(jar, cookie)

    def delete_cookie(
        self, key: str, *, domain: str = "localhost", path: str = "/", **kwargs: Any
    ) -> None:
        """Drop the cookie ``(domain, path, key)`` if it is stored."""
        self._jar().pop((domain, path, key), None)

    @staticmethod
    def _store_cookie(jar: dict[tuple[str, str, str], Cookie], cookie: Cookie) -> None:
        if cookie.is_expired(_clock()):
            jar.pop(cookie.storage_key, None)
        else:
            jar[cookie.storage_key] = cookie

    def _add_cookies_to_environ(self, environ: Environ) -> None:
        jar = self._cookies
        if jar is None:
            return
        host, path = _request_host_and_path(environ)
        secure = _is_secure_channel(environ, host)
        now = _clock()
        sent: list[str] = []
        for cookie in list(jar.values()):
            if cookie.is_expired(now):
                del jar[cookie.storage_key]
            elif cookie.matches(host, path, secure):
                sent.append(f"{cookie.key}={cookie.value}")
        if sent:
            environ["HTTP_COOKIE"] = "; ".join(sent)
        else:
            environ.pop("HTTP_COOKIE", None)

    def _update_cookies(self, environ: Mapping[str, Any], headers: HeaderList) -> None:
        jar = self._cookies
        if jar is None:
            return
        host, path = _request_host_and_path(environ)
        for name, value in headers:
            if name.lower() != "set-cookie":
                continue
            cookie = Cookie.from_set_cookie(host, path, value)
            # A Domain the request host is not inside is refused, as browsers do.
            if cookie is not None and cookie.matches_domain(host):
                self._store_cookie(jar, cookie)

    @contextmanager
    def session_transaction(self, *args: Any, **kwargs: Any) -> Iterator[SessionMixin]:
        """Open the session the next request would send, for reading or changing.

        Arguments are those of ``app.test_request_context``. Changes made in the
        ``with`` block are saved into the client's cookie jar at its end, so the
        next request (over WSGI or ASGI) carries them.
        """
        if self._cookies is None:
            raise ArgumentTypeError(
                "cookies are disabled, so there is no session; create the client"
                " with use_cookies=True"
            )
        app = self.application
        environ = build_environ(*args, app=app, **kwargs)
        self._add_cookies_to_environ(environ)
        interface = app.session_interface
        with app.request_context(environ) as context:
            session = interface.open_session(app, context.request)
        if session is None:
            raise RuntimeError(
                f"{type(interface).__name__}.open_session returned None: the session"
                " interface opened no session"
            )
        yield session
        if interface.is_null_session(session):
            return
        response = app.response_class()
        with app.request_context(environ):
            interface.save_session(app, session, response)
        self._update_cookies(
            environ, [("Set-Cookie", value) for value in response.headers.getlist("Set-Cookie")]
        )

    # -- requests ------------------------------------------------------------

    def _copy_environ(self, other: Mapping[str, Any]) -> Environ:
        merged = {**self.environ_base, **other}
        if self.preserve_context:
            merged[PRESERVE_CONTEXT_KEY] = self._new_contexts.append
        return merged

    def _environ_from_args(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Environ:
        first = args[0] if args else None
        if isinstance(first, EnvironBuilder):
            builder = copy.copy(first)
            builder.environ_base = self._copy_environ(first.environ_base or {})
            return builder.get_environ()
        if isinstance(first, dict):
            builder = EnvironBuilder.from_environ(
                first, app=self.application, environ_base=self._copy_environ({})
            )
            return builder.get_environ()
        if first is not None and not isinstance(first, str) and hasattr(first, "environ"):
            return self._copy_environ(first.environ)
        kwargs["environ_base"] = self._copy_environ(kwargs.get("environ_base") or {})
        builder = EnvironBuilder(*args, app=self.application, **kwargs)
        try:
            return builder.get_environ()
        finally:
            builder.close()

    def run_app(self, environ: Environ, buffered: bool) -> tuple[Iterable[bytes], str, HeaderList]:
        """The transport: run the app on ``environ`` over WSGI, or ASGI when ``asgi``."""
        if self.asgi:
            return run_asgi_app(self.application, environ, buffered=buffered)
        return run_wsgi_app(self.application, environ, buffered=buffered)

    def _make_request(self, environ: Environ) -> Any:
        request_class = getattr(self.application, "request_class", None)
        if request_class is None:
            request_class = importlib.import_module("erlen.wrappers").Request
        return request_class(environ)

    def _send(self, environ: Environ, buffered: bool) -> TestResponse:
        self._add_cookies_to_environ(environ)
        request = self._make_request(environ)
        body, status, headers = self.run_app(environ, buffered)
        self._update_cookies(environ, headers)
        response = wrap_response(self.response_wrapper, body, status, headers, request)
        provider = getattr(self.application, "json", None)
        if provider is not None and hasattr(response, "json_module"):
            response.json_module = provider
        return response

    def open(
        self, *args: Any, buffered: bool = False, follow_redirects: bool = False, **kwargs: Any
    ) -> TestResponse:
        """Send a request built from the arguments and return the app's response.

        ``args`` may also be a single environ dict, an :class:`EnvironBuilder`
        or a request object. With ``follow_redirects`` the final response is
        returned and ``response.history`` holds the redirects on the way.
        """
        environ = self._environ_from_args(args, kwargs)
        # Pop contexts kept from an earlier request in this `with` block.
        self._context_stack.close()
        response = self._send(environ, buffered)
        history: list[TestResponse] = []
        seen: set[tuple[str | None, int]] = set()
        if follow_redirects:
            while response.status_code in _REDIRECT_CODES:
                if not buffered:
                    # Run the body to its end so the app's cleanup code runs.
                    response.make_sequence()
                    response.close()
                entry = (response.location, response.status_code)
                if entry in seen:
                    raise ClientRedirectError(
                        f"Loop detected: A {entry[1]} redirect to {entry[0]} was already made."
                    )
                seen.add(entry)
                response.history = tuple(history)
                history.append(response)
                environ = self._redirect_environ(response, environ)
                response = self._send(environ, buffered)
            response.history = tuple(history)
        call_on_close = getattr(response, "call_on_close", None)
        if call_on_close is not None:
            # The request body may be a temporary file: close it with the response.
            call_on_close(environ["wsgi.input"].close)
        for context in self._new_contexts:
            self._context_stack.enter_context(context)
        self._new_contexts.clear()
        return response

    def _redirect_environ(self, response: TestResponse, previous: Environ) -> Environ:
        location = response.location
        if location is None:
            raise RuntimeError(
                f"cannot follow a {response.status_code} redirect that has no Location header"
            )
        scheme, netloc, path, query, _ = urlsplit(location)
        builder = EnvironBuilder.from_environ(previous, path=path, query_string=query)
        target_parts = netloc.partition(":")[0].split(".")
        source_parts = builder.server_name.split(".")
        if target_parts != [""]:
            builder.url_scheme = scheme
            builder.host = netloc
        else:
            target_parts = source_parts
        if target_parts != source_parts:
            if target_parts[-len(source_parts) :] != source_parts:
                raise RuntimeError("Following external redirects is not supported.")
            if not self.allow_subdomain_redirects:
                raise RuntimeError("Following subdomain redirects is not enabled.")
        root_parts = builder.script_root.split("/")
        if path.split("/")[: len(root_parts)] == root_parts:
            builder.path = path[len(builder.script_root) :]
        else:
            builder.path = path
            builder.script_root = ""
        stream = builder.input_stream
        if response.status_code in _BODY_KEEPING_REDIRECTS:
            # 307/308 resend the whole body, even if the app read it already.
            if stream is not None and stream.seekable():
                stream.seek(0)
        else:
            if builder.method != "HEAD":
                builder.method = "GET"
            if stream is not None:
                stream.close()
                builder.input_stream = None
            builder.headers.remove("Content-Type")
            builder.headers.remove("Content-Length")
            builder.headers.remove("Transfer-Encoding")
        builder.environ_base = self._copy_environ({})
        return builder.get_environ()

    def get(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method GET."""
        kwargs["method"] = "GET"
        return self.open(*args, **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method POST."""
        kwargs["method"] = "POST"
        return self.open(*args, **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method PUT."""
        kwargs["method"] = "PUT"
        return self.open(*args, **kwargs)

    def patch(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method PATCH."""
        kwargs["method"] = "PATCH"
        return self.open(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method DELETE."""
        kwargs["method"] = "DELETE"
        return self.open(*args, **kwargs)

    def head(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method HEAD."""
        kwargs["method"] = "HEAD"
        return self.open(*args, **kwargs)

    def options(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method OPTIONS."""
        kwargs["method"] = "OPTIONS"
        return self.open(*args, **kwargs)

    def trace(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open`` with method TRACE."""
        kwargs["method"] = "TRACE"
        return self.open(*args, **kwargs)

    def __enter__(self) -> ErlenClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        self._context_stack.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.application!r}>"


FlaskClient = ErlenClient


# --- the CLI runner ----------------------------------------------------------------
# click is imported only when the runner is first asked for, so that the test
# client (and an app's test_request_context) never pays for it.

if TYPE_CHECKING:
    from click.testing import CliRunner

_cli_runner_class: type[CliRunner] | None = None


def _make_cli_runner_class() -> type[CliRunner]:
    global _cli_runner_class
    if _cli_runner_class is not None:
        return _cli_runner_class
    from click.testing import CliRunner, Result

    class ErlenCliRunner(CliRunner):
        """A click ``CliRunner`` bound to an app: ``invoke()`` runs ``app.cli`` commands."""

        def __init__(self, app: Erlen, **kwargs: Any) -> None:
            self.app = app
            super().__init__(**kwargs)

        def invoke(  # type: ignore[override]
            self, cli: Any = None, args: Any = None, **kwargs: Any
        ) -> Result:
            """Invoke ``cli`` (default ``app.cli``) with ``args``; the app is the one loaded."""
            if cli is None:
                cli = self.app.cli
            if "obj" not in kwargs:
                from erlen.cli import ScriptInfo

                kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
            return super().invoke(cli, args, **kwargs)

    _cli_runner_class = ErlenCliRunner
    return ErlenCliRunner


def __getattr__(name: str) -> Any:
    # ErlenCliRunner and its Flask name FlaskCliRunner, built on first use.
    if name in ("ErlenCliRunner", "FlaskCliRunner"):
        return _make_cli_runner_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
