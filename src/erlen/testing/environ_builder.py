"""Building the WSGI environ of a test request (``EnvironBuilder``, ``build_environ``).

For the same arguments the environ is the one Werkzeug's ``EnvironBuilder``
builds, so an app sees the same request under either test client.
"""

from __future__ import annotations

import dataclasses
import mimetypes
import os
import re
import sys
import time
from base64 import b64encode
from collections.abc import Callable, Iterable, Iterator, Mapping
from io import BytesIO
from itertools import chain
from random import random
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

from erlen.errors import ArgumentTypeError, HeaderValueError, RequestArgumentError, describe
from erlen.http.headers import is_token, replace_header
from erlen.http.mime import get_content_type

if TYPE_CHECKING:
    from erlen.app import Erlen


Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
HeaderList = list[tuple[str, str]]

# Flask apps hand context managers to this environ key so `with client:` can
# keep the last request's context active; erlen's app honours the same key.
PRESERVE_CONTEXT_KEY = "werkzeug.debug.preserve_context"


_UNSAFE = re.compile(r"[\r\n\x00]")
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
            self.headers.set("Content-Type", get_content_type(mimetype))

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
