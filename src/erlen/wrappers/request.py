"""The Request: one incoming HTTP request, with Flask 3.1's attributes.

A WSGI server hands a PEP 3333 environ over (``Request(environ)``); the ASGI
adapter hands the request's parts (``Request.from_parts``), and the environ is
then built only if something reads ``request.environ``. Nothing is parsed up
front: every attribute is computed the first time it is read and then kept,
so a request whose view only looks at ``request.path`` costs a dict lookup or
two.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any

from erlen._current import current_app_or_none
from erlen.http.datastructures import (
    CombinedMultiDict,
    FileStorage,
    ImmutableList,
    ImmutableMultiDict,
    MultiDict,
)
from erlen.http.json_nesting import DEFAULT_MAX_JSON_NESTING, json_nesting_exceeds
from erlen.http.query import parse_query
from erlen.wrappers.body import _open_input, _parse_content_length
from erlen.wrappers.environ_headers import EnvironHeaders
from erlen.wrappers.http_errors import _http_error, _nested_too_deeply
from erlen.wrappers.request_parts import RequestParts
from erlen.wrappers.trusted_hosts import _HOST_RE, _host_is_trusted
from erlen.wrappers.urls import _current_url, _request_line, _with_one_slash, _wsgi_text
from erlen.wrappers.user_agent import UserAgent

if TYPE_CHECKING:
    from datetime import datetime

    from erlen.http.accept import Accept, CharsetAccept, LanguageAccept, MIMEAccept
    from erlen.http.conditional import ETags, IfRange, Range
    from erlen.http.header_types import Authorization, HeaderSet, RequestCacheControl

__all__ = ["Request"]

# Werkzeug's defaults, used outside an app (inside one, the app config decides).
DEFAULT_MAX_CONTENT_LENGTH: int | None = None
DEFAULT_MAX_FORM_MEMORY_SIZE: int | None = 500_000
DEFAULT_MAX_FORM_PARTS: int | None = 1000

_EMPTY: ImmutableMultiDict[str, Any] = ImmutableMultiDict()
#: The class-level value of a lazily computed attribute not computed yet.
_UNSET: Any = object()
_NOT_CACHED: Any = Ellipsis
_DEFAULT_PORTS = {"http": ":80", "ws": ":80", "https": ":443", "wss": ":443"}
_SECURE_SCHEMES = frozenset({"https", "wss"})


def _split_blueprint_path(name: str) -> list[str]:
    names = [name]
    while "." in name:
        name = name.rpartition(".")[0]
        names.append(name)
    return names


class Request:
    """An HTTP request, with Flask 3.1's attributes, computed lazily from its environ or parts."""

    # PERF: a computed value is kept in the instance __dict__ once made; until
    # then the class-level default (_UNSET, or None for the limits) answers,
    # so a first read costs a comparison, not a raised AttributeError (about
    # 0.3 us each, and a JSON view reads ten of them). The few values every
    # request needs (method, path, environ, routing) keep their slots.
    __slots__ = (
        "__dict__",
        "_environ",
        "_method",
        "_parts",
        "_path",
        "routing_exception",
        "shallow",
        "url_rule",
        "view_args",
    )

    # The lazily computed values: class-level defaults until computed (then
    # instance attributes), and the types of the slots.
    _accept_charsets: CharsetAccept = _UNSET
    _accept_encodings: Accept = _UNSET
    _accept_languages: LanguageAccept = _UNSET
    _accept_mimetypes: MIMEAccept = _UNSET
    _access_route: list[str] = _UNSET
    _args: MultiDict[str, str] = _UNSET
    _authorization: Authorization | None = _UNSET
    _cache_control: RequestCacheControl = _UNSET
    _base_url: str = _UNSET
    _cached_data: bytes = _UNSET
    _cached_json: tuple[Any, Any] = _UNSET
    _content_length: int | None = _UNSET
    _cookies: MultiDict[str, str] = _UNSET
    # None while the request is read from its parts (see from_parts).
    _environ: dict[str, Any] | None
    _parts: RequestParts
    _files: MultiDict[str, FileStorage] = _UNSET
    _form: MultiDict[str, str] = _UNSET
    _full_path: str = _UNSET
    _headers: EnvironHeaders = _UNSET
    _host: str = _UNSET
    _host_url: str = _UNSET
    _if_match: ETags = _UNSET
    _if_modified_since: datetime | None = _UNSET
    _if_none_match: ETags = _UNSET
    _if_range: IfRange = _UNSET
    _if_unmodified_since: datetime | None = _UNSET
    _json_module: Any = _UNSET
    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None
    #: Arrays and objects in a JSON body may nest this deep (``None``: no limit
    #: but the interpreter's own); deeper is a 400 on every Python version.
    max_json_nesting: int | None = DEFAULT_MAX_JSON_NESTING
    _method: str
    _mimetype: tuple[str, dict[str, str]] = _UNSET
    _path: str
    _pragma: HeaderSet = _UNSET
    _query_string: bytes = _UNSET
    _range: Range | None = _UNSET
    _root_path: str = _UNSET
    _root_url: str = _UNSET
    _stream: IO[bytes] = _UNSET
    _url: str = _UNSET
    _user_agent: UserAgent = _UNSET
    _values: CombinedMultiDict[str, str] = _UNSET

    #: Set (in the instance ``__dict__``) once form data has been parsed.
    _form_loaded = False
    #: Host names accepted in the Host header; ``None`` accepts any valid host.
    trusted_hosts: list[str] | None = None
    #: The class of ``args``, ``form``, ``files`` and ``cookies``.
    parameter_storage_class: type[MultiDict[str, Any]] = ImmutableMultiDict
    dict_storage_class: type[MultiDict[str, Any]] = ImmutableMultiDict
    #: The class of ``access_route``.
    list_storage_class: type[list[Any]] = ImmutableList
    user_agent_class: type[UserAgent] = UserAgent

    def __init__(
        self, environ: dict[str, Any], populate_request: bool = True, shallow: bool = False
    ) -> None:
        self._environ = environ
        self.shallow = shallow
        self.url_rule: Any = None
        self.view_args: dict[str, Any] | None = None
        self.routing_exception: Exception | None = None
        if populate_request and not shallow:
            environ["erlen.request"] = self
        # PERF: routing needs the method and path of every request; computing
        # them here is cheaper than a first read through a lazy property.
        self._method, self._path = _request_line(environ)

    #: Whether ``__init__`` is this class's own: then the adapters may route
    #: first and make the request on first use (see ``Context.request``).
    _plain_init = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._plain_init = cls.__init__ is Request.__init__

    @classmethod
    def from_parts(
        cls,
        method: str,
        path: str,
        *,
        scheme: str = "http",
        server: tuple[str, int | None] | None = None,
        root_path: str = "",
        query_string: bytes = b"",
        headers: Iterable[tuple[bytes | str, bytes | str]] = (),
        client: tuple[str, int] | None = None,
        stream: IO[bytes] | None = None,
        server_protocol: str = "HTTP/1.1",
        environ_extra: Mapping[str, Any] | None = None,
    ) -> Request:
        """A request made from its parts, without a PEP 3333 environ (see :class:`RequestParts`).

        ``path`` is the path below ``root_path``; ``headers`` are ``(name,
        value)`` pairs (bytes are latin-1), repeated names joined as a server
        joins them. The environ is built only if ``environ`` is read. A
        subclass with its own ``__init__`` gets that environ straight away.
        """
        parts = RequestParts(
            method,
            path,
            scheme,
            server,
            root_path,
            query_string,
            headers,
            client,
            stream,
            server_protocol,
            environ_extra,
        )
        return cls._from_parts(parts, method.upper(), _with_one_slash(path))

    @classmethod
    def _from_parts(cls, parts: RequestParts, method: str, path: str) -> Request:
        """``from_parts`` for an adapter that has the canonical method and path already.

        PERF: routing computed both already; they are not computed twice.
        """
        if not cls._plain_init:
            return cls(parts.build_environ())
        self = cls.__new__(cls)
        self._environ = None
        self._parts = parts
        self.shallow = False
        self.url_rule = None
        self.view_args = None
        self.routing_exception = None
        self._method = method
        self._path = path
        return self

    @property
    def environ(self) -> dict[str, Any]:
        """The PEP 3333 environ of this request (built from its parts on first read)."""
        environ = self._environ
        if environ is None:
            self._environ = environ = self._parts.build_environ()
            environ["erlen.request"] = self
            # From now on every read goes to the environ, so a change to it
            # shows as it does for a WSGI request; the headers follow too.
            headers = self._headers
            if headers is not _UNSET:
                headers.environ = environ
        return environ

    @environ.setter
    def environ(self, value: dict[str, Any]) -> None:
        self._environ = value

    @property
    def _environ_method(self) -> str | None:
        """``REQUEST_METHOD`` as the environ holds it (or will), whatever ``method`` was set to."""
        environ = self._environ
        if environ is None:
            return self._parts.method.upper()
        return environ.get("REQUEST_METHOD")

    def _header(self, key: str) -> str | None:
        """The header under environ ``key`` (``HTTP_ACCEPT``), from the environ or the parts."""
        environ = self._environ
        if environ is not None:
            return environ.get(key)
        return self._parts.header_map().get(key)

    def _release_environ(self) -> None:
        """Break the environ -> request reference (the request is over)."""
        environ = self._environ
        if environ is not None:
            environ.pop("erlen.request", None)

    def __repr__(self) -> str:
        try:
            url = self.url
        except Exception as error:
            url = f"(invalid URL: {error})"
        return f"<{type(self).__name__} {url!r} [{self.method}]>"

    # -- the request line --------------------------------------------------

    @property
    def method(self) -> str:
        """The request method, upper-cased (``GET``)."""
        try:
            return self._method
        except AttributeError:
            self._method = method = str(self.environ.get("REQUEST_METHOD", "GET")).upper()
            return method

    @method.setter
    def method(self, value: str) -> None:
        self._method = value.upper()

    @property
    def scheme(self) -> str:
        """The URL scheme (``http``, ``https``)."""
        environ = self._environ
        if environ is None:
            return self._parts.scheme
        return environ.get("wsgi.url_scheme", "http")  # type: ignore[no-any-return]

    @property
    def is_secure(self) -> bool:
        """True for ``https`` and ``wss``."""
        return self.scheme in _SECURE_SCHEMES

    @property
    def path(self) -> str:
        """The path after ``root_path``, always starting with one ``/``."""
        return self._path

    @path.setter
    def path(self, value: str) -> None:
        self._path = value

    @property
    def root_path(self) -> str:
        """The prefix the app is mounted under (``SCRIPT_NAME``), without a trailing ``/``."""
        if self._root_path is not _UNSET:
            return self._root_path
        environ = self._environ
        if environ is None:
            value = self._parts.root_path.rstrip("/")
        else:
            value = _wsgi_text(environ.get("SCRIPT_NAME") or "").rstrip("/")
        self._root_path = value
        return value

    @root_path.setter
    def root_path(self, value: str) -> None:
        self._root_path = value

    @property
    def script_root(self) -> str:
        """Alias of :attr:`root_path`."""
        return self.root_path

    @property
    def query_string(self) -> bytes:
        """The raw query string, as bytes."""
        if self._query_string is not _UNSET:
            return self._query_string
        environ = self._environ
        if environ is None:
            self._query_string = value = self._parts.query_string
            return value
        raw: str = environ.get("QUERY_STRING", "")
        try:
            value = raw.encode("latin-1")
        except UnicodeEncodeError:
            value = raw.encode("utf-8")
        self._query_string = value
        return value

    @query_string.setter
    def query_string(self, value: bytes) -> None:
        self._query_string = value

    @property
    def full_path(self) -> str:
        """The path and the query string: ``/p?`` when there is no query."""
        if self._full_path is not _UNSET:
            return self._full_path
        query = self.query_string.decode("utf-8", "replace")
        self._full_path = value = f"{self.path}?{query}"
        return value

    @property
    def args(self) -> MultiDict[str, str]:
        """The query string's parameters (an :class:`ImmutableMultiDict`)."""
        if self._args is not _UNSET:
            return self._args
        query = self.query_string
        self._args = value = self.parameter_storage_class(parse_query(query)) if query else _EMPTY
        return value

    @property
    def remote_addr(self) -> str | None:
        """The client's address (``REMOTE_ADDR``)."""
        environ = self._environ
        if environ is None:
            return self._parts.remote_addr
        return environ.get("REMOTE_ADDR")

    @property
    def remote_user(self) -> str | None:
        """The user the server authenticated (``REMOTE_USER``)."""
        environ = self._environ
        if environ is None:
            return None
        return environ.get("REMOTE_USER")

    @property
    def server(self) -> tuple[str, int | None] | None:
        """The server's ``(host, port)`` from ``SERVER_NAME``/``SERVER_PORT``."""
        environ = self._environ
        if environ is None:
            name: str | None = self._parts.server_name
            port_text: Any = self._parts.server_port
        else:
            name = environ.get("SERVER_NAME")
            port_text = environ.get("SERVER_PORT")
        if name is None:
            return None
        try:
            port: int | None = int(port_text)
        except (TypeError, ValueError):
            port = None
        return name, port

    # -- host and URLs -----------------------------------------------------

    @property
    def host(self) -> str:
        """``host[:port]`` from the Host header, else the server address; default
        ports are dropped and an invalid value gives ``""``."""
        if self._host is not _UNSET:
            return self._host
        self._host = value = self._compute_host()
        return value

    def _compute_host(self) -> str:
        host = self._header("HTTP_HOST")
        if host is None:
            server = self.server
            if server is None or server[1] is None:
                return ""
            name = server[0]
            if ":" in name and name[:1] != "[":
                name = f"[{name}]"
            host = f"{name}:{server[1]}"
        default_port = _DEFAULT_PORTS.get(self.scheme)
        if default_port is not None and host.endswith(default_port):
            host = host[: -len(default_port)]
        match = _HOST_RE.fullmatch(host)
        valid = match is not None and (match.group(1) is None or int(match.group(1)) <= 65535)
        trusted = self.trusted_hosts
        if trusted:
            if not valid or not _host_is_trusted(host, trusted):
                raise _http_error("SecurityError", f"Host {host!r} is not trusted.")
        elif not valid:
            return ""
        return host

    @property
    def url(self) -> str:
        """The full URL: scheme, host, root path, path and query string."""
        if self._url is not _UNSET:
            return self._url
        self._url = value = _current_url(
            self.scheme, self.host, self.root_path, self.path, self.query_string
        )
        return value

    @property
    def base_url(self) -> str:
        """:attr:`url` without the query string."""
        if self._base_url is not _UNSET:
            return self._base_url
        self._base_url = value = _current_url(self.scheme, self.host, self.root_path, self.path)
        return value

    @property
    def root_url(self) -> str:
        """Scheme, host and root path, ending in ``/``."""
        if self._root_url is not _UNSET:
            return self._root_url
        self._root_url = value = _current_url(self.scheme, self.host, self.root_path)
        return value

    @property
    def url_root(self) -> str:
        """Alias of :attr:`root_url`."""
        return self.root_url

    @property
    def host_url(self) -> str:
        """Scheme and host only, ending in ``/``."""
        if self._host_url is not _UNSET:
            return self._host_url
        self._host_url = value = _current_url(self.scheme, self.host)
        return value

    # -- headers -------------------------------------------------------------

    @property
    def headers(self) -> EnvironHeaders:
        """The request headers (read-only, case-insensitive)."""
        if self._headers is not _UNSET:
            return self._headers
        environ = self._environ
        # Under ASGI the headers are read from the parts' own header keys
        # until an environ is built (then they are re-pointed at it).
        source = self._parts.header_map() if environ is None else environ
        self._headers = value = EnvironHeaders(source)
        return value

    @property
    def cookies(self) -> MultiDict[str, str]:
        """The cookies the client sent (an :class:`ImmutableMultiDict`)."""
        if self._cookies is not _UNSET:
            return self._cookies
        header = self._header("HTTP_COOKIE")
        if header:
            from erlen.http.cookies import parse_cookie

            value = self.dict_storage_class(parse_cookie(header))
        else:
            value = _EMPTY
        self._cookies = value
        return value

    @property
    def content_type(self) -> str | None:
        """The Content-Type header."""
        return self._header("CONTENT_TYPE")

    @property
    def content_length(self) -> int | None:
        """The Content-Length as an int; ``None`` if absent or chunked, 0 if invalid."""
        if self._content_length is not _UNSET:
            return self._content_length
        self._content_length = value = _parse_content_length(
            self._header("CONTENT_LENGTH"), self._header("HTTP_TRANSFER_ENCODING")
        )
        return value

    @property
    def content_encoding(self) -> str | None:
        """The Content-Encoding header."""
        return self._header("HTTP_CONTENT_ENCODING")

    @property
    def content_md5(self) -> str | None:
        """The Content-MD5 header."""
        return self._header("HTTP_CONTENT_MD5")

    @property
    def referrer(self) -> str | None:
        """The Referer header."""
        return self._header("HTTP_REFERER")

    @property
    def origin(self) -> str | None:
        """The Origin header."""
        return self._header("HTTP_ORIGIN")

    @property
    def user_agent(self) -> UserAgent:
        """The User-Agent header; ``user_agent.string`` is its text."""
        if self._user_agent is not _UNSET:
            return self._user_agent
        self._user_agent = value = self.user_agent_class(self._header("HTTP_USER_AGENT") or "")
        return value

    # -- negotiation, conditions, credentials (parsed on first read) -------------

    @property
    def accept_mimetypes(self) -> MIMEAccept:
        """The Accept header: the media types the client takes, best first."""
        if self._accept_mimetypes is not _UNSET:
            return self._accept_mimetypes
        from erlen.http.accept import MIMEAccept, parse_accept_header

        self._accept_mimetypes = value = parse_accept_header(
            self._header("HTTP_ACCEPT"), MIMEAccept
        )
        return value

    @property
    def accept_charsets(self) -> CharsetAccept:
        """The Accept-Charset header."""
        if self._accept_charsets is not _UNSET:
            return self._accept_charsets
        from erlen.http.accept import CharsetAccept, parse_accept_header

        self._accept_charsets = value = parse_accept_header(
            self._header("HTTP_ACCEPT_CHARSET"), CharsetAccept
        )
        return value

    @property
    def accept_encodings(self) -> Accept:
        """The Accept-Encoding header (``gzip``, ``br``, ...)."""
        if self._accept_encodings is not _UNSET:
            return self._accept_encodings
        from erlen.http.accept import parse_accept_header

        self._accept_encodings = value = parse_accept_header(self._header("HTTP_ACCEPT_ENCODING"))
        return value

    @property
    def accept_languages(self) -> LanguageAccept:
        """The Accept-Language header."""
        if self._accept_languages is not _UNSET:
            return self._accept_languages
        from erlen.http.accept import LanguageAccept, parse_accept_header

        self._accept_languages = value = parse_accept_header(
            self._header("HTTP_ACCEPT_LANGUAGE"), LanguageAccept
        )
        return value

    @property
    def authorization(self) -> Authorization | None:
        """The Authorization header parsed (Basic gives username and password,
        Bearer a token); None when absent or malformed."""
        if self._authorization is not _UNSET:
            return self._authorization
        from erlen.http.header_types import Authorization

        self._authorization = value = Authorization.from_header(self._header("HTTP_AUTHORIZATION"))
        return value

    @property
    def cache_control(self) -> RequestCacheControl:
        """The Cache-Control header, read-only."""
        if self._cache_control is not _UNSET:
            return self._cache_control
        from erlen.http.header_types import RequestCacheControl, parse_cache_control_header

        self._cache_control = value = parse_cache_control_header(
            self._header("HTTP_CACHE_CONTROL"), None, RequestCacheControl
        )
        return value

    @property
    def pragma(self) -> HeaderSet:
        """The Pragma header as a set (``'no-cache' in request.pragma``)."""
        if self._pragma is not _UNSET:
            return self._pragma
        from erlen.http.header_types import parse_set_header

        self._pragma = value = parse_set_header(self._header("HTTP_PRAGMA") or "")
        return value

    @property
    def if_match(self) -> ETags:
        """The entity tags of If-Match."""
        if self._if_match is not _UNSET:
            return self._if_match
        from erlen.http.conditional import parse_etags

        self._if_match = value = parse_etags(self._header("HTTP_IF_MATCH"))
        return value

    @property
    def if_none_match(self) -> ETags:
        """The entity tags of If-None-Match."""
        if self._if_none_match is not _UNSET:
            return self._if_none_match
        from erlen.http.conditional import parse_etags

        self._if_none_match = value = parse_etags(self._header("HTTP_IF_NONE_MATCH"))
        return value

    @property
    def if_modified_since(self) -> datetime | None:
        """If-Modified-Since as an aware UTC datetime, None if absent or invalid."""
        if self._if_modified_since is not _UNSET:
            return self._if_modified_since
        self._if_modified_since = value = _header_date(self._header("HTTP_IF_MODIFIED_SINCE"))
        return value

    @property
    def if_unmodified_since(self) -> datetime | None:
        """If-Unmodified-Since as an aware UTC datetime, None if absent or invalid."""
        if self._if_unmodified_since is not _UNSET:
            return self._if_unmodified_since
        self._if_unmodified_since = value = _header_date(self._header("HTTP_IF_UNMODIFIED_SINCE"))
        return value

    @property
    def if_range(self) -> IfRange:
        """The If-Range header: an entity tag or a date (both None when absent)."""
        if self._if_range is not _UNSET:
            return self._if_range
        from erlen.http.conditional import parse_if_range_header

        self._if_range = value = parse_if_range_header(self._header("HTTP_IF_RANGE"))
        return value

    @property
    def range(self) -> Range | None:
        """The Range header parsed, None when absent or malformed."""
        if self._range is not _UNSET:
            return self._range
        from erlen.http.conditional import parse_range_header

        self._range = value = parse_range_header(self._header("HTTP_RANGE"))
        return value

    @property
    def date(self) -> datetime | None:
        """The Date header as an aware UTC datetime, None if absent or invalid."""
        return _header_date(self._header("HTTP_DATE"))

    @property
    def max_forwards(self) -> int | None:
        """The Max-Forwards header as an int, None if absent or not a number."""
        value = self._header("HTTP_MAX_FORWARDS")
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            return None

    @property
    def access_route(self) -> list[str]:
        """The client's address, then each proxy's: X-Forwarded-For, else ``remote_addr``."""
        if self._access_route is not _UNSET:
            return self._access_route
        forwarded = self._header("HTTP_X_FORWARDED_FOR")
        remote_addr = self.remote_addr
        if forwarded is not None:
            from erlen.http.header_types import parse_list_header

            value = self.list_storage_class(parse_list_header(forwarded))
        elif remote_addr is not None:
            value = self.list_storage_class([remote_addr])
        else:
            value = self.list_storage_class()
        self._access_route = value
        return value

    @property
    def access_control_request_headers(self) -> HeaderSet | None:
        """The headers a CORS preflight asks to send (Access-Control-Request-Headers)."""
        header = self._header("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
        if header is None:
            return None
        from erlen.http.header_types import parse_set_header

        return parse_set_header(header)

    @property
    def access_control_request_method(self) -> str | None:
        """The method a CORS preflight asks to use (Access-Control-Request-Method)."""
        return self._header("HTTP_ACCESS_CONTROL_REQUEST_METHOD")

    @classmethod
    def from_values(cls, *args: Any, **kwargs: Any) -> Request:
        """A request built from test-client style arguments (path, method, data, headers...)."""
        # Imported here: the test tools sit above the request in the layers.
        from erlen.testing import EnvironBuilder

        builder = EnvironBuilder(*args, **kwargs)
        try:
            return cls(builder.get_environ())
        finally:
            builder.close()

    def _content_type_parts(self) -> tuple[str, dict[str, str]]:
        if self._mimetype is not _UNSET:
            return self._mimetype
        from erlen.http.mime import parse_options_header

        head, options = parse_options_header(self._header("CONTENT_TYPE") or "")
        self._mimetype = value = (head.lower(), options)
        return value

    @property
    def mimetype(self) -> str:
        """The Content-Type without parameters, lowercased."""
        return self._content_type_parts()[0]

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The Content-Type parameters (``{'charset': 'utf-8'}``)."""
        return self._content_type_parts()[1]

    @property
    def is_json(self) -> bool:
        """True for ``application/json`` and ``application/*+json``."""
        mimetype = self._content_type_parts()[0]
        return mimetype == "application/json" or (
            mimetype.startswith("application/") and mimetype.endswith("+json")
        )

    # -- routing (set by the app) ---------------------------------------------

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule, or ``None``."""
        rule = self.url_rule
        return None if rule is None else rule.endpoint

    @property
    def blueprint(self) -> str | None:
        """The blueprint part of the endpoint (before the last dot), or ``None``."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The current blueprint and its parents, innermost first."""
        name = self.blueprint
        return [] if name is None else _split_blueprint_path(name)

    # -- limits ------------------------------------------------------------

    def _config_limit(self, key: str, default: int | None) -> int | None:
        app = current_app_or_none()
        if app is None:
            return default
        limit: int | None = app.config.get(key, default)
        return limit

    @property
    def max_content_length(self) -> int | None:
        """Most bytes of body read (413 beyond): set here, else ``MAX_CONTENT_LENGTH``."""
        value = self._max_content_length
        if value is not None:
            return value
        return self._config_limit("MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:
        """Largest non-file multipart field (413 beyond), else ``MAX_FORM_MEMORY_SIZE``."""
        value = self._max_form_memory_size
        if value is not None:
            return value
        return self._config_limit("MAX_FORM_MEMORY_SIZE", DEFAULT_MAX_FORM_MEMORY_SIZE)

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    @property
    def max_form_parts(self) -> int | None:
        """Most multipart parts (413 beyond), else ``MAX_FORM_PARTS``."""
        value = self._max_form_parts
        if value is not None:
            return value
        return self._config_limit("MAX_FORM_PARTS", DEFAULT_MAX_FORM_PARTS)

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value

    # -- the body ------------------------------------------------------------

    @property
    def input_stream(self) -> IO[bytes]:
        """The raw ``wsgi.input``, unguarded; use :attr:`stream` instead."""
        environ = self._environ
        if environ is None:
            stream = self._parts.stream
            return io.BytesIO() if stream is None else stream
        return environ["wsgi.input"]  # type: ignore[no-any-return]

    @property
    def stream(self) -> IO[bytes]:
        """The body stream, never read past Content-Length or ``max_content_length``."""
        if self._stream is not _UNSET:
            return self._stream
        if self.shallow:
            raise RuntimeError(
                "This request was created with 'shallow=True': reading the body is disabled."
            )
        environ = self._environ
        if environ is None:
            raw = self._parts.stream
            # The parts come from a server that ends the body itself.
            terminated = True
        else:
            raw = environ.get("wsgi.input")
            terminated = "wsgi.input_terminated" in environ
        self._stream = value = _open_input(
            raw, terminated, self.content_length, self.max_content_length
        )
        return value

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> Any:
        """The whole body as bytes (or text with ``as_text``), cached by default.

        With ``parse_form_data`` a form body is parsed first and this is then empty.
        """
        data = self._cached_data
        if data is _UNSET:
            if parse_form_data:
                self._load_form_data()
            data = self.stream.read()
            if cache:
                self._cached_data = data
        if as_text:
            return data.decode("utf-8", "replace")
        return data

    @property
    def data(self) -> bytes:
        """The body as bytes, empty if it was form data (see :attr:`form`)."""
        return self.get_data(parse_form_data=True)  # type: ignore[no-any-return]

    def _load_form_data(self) -> None:
        if self._form is not _UNSET:
            return
        if self._header("CONTENT_TYPE"):
            mimetype, options = self._content_type_parts()
            if self._cached_data is not _UNSET:
                stream: IO[bytes] = io.BytesIO(self._cached_data)
            else:
                stream = self.stream
            if mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
                from erlen.http.forms import parse_form

                form, files = parse_form(
                    stream,
                    mimetype,
                    self.content_length,
                    options,
                    max_form_memory_size=self.max_form_memory_size,
                    max_form_parts=self.max_form_parts,
                    cls=self.parameter_storage_class,
                )
            else:
                form = files = _EMPTY
            self._stream = stream
        else:
            self.stream  # noqa: B018 -- opening it applies the 413 check, as Werkzeug
            form = files = _EMPTY
        self._form = form
        self._files = files
        self._form_loaded = True

    @property
    def form(self) -> MultiDict[str, str]:
        """The fields of an urlencoded or multipart body (files are in :attr:`files`)."""
        if self._form is _UNSET:
            self._load_form_data()
        return self._form

    @property
    def files(self) -> MultiDict[str, FileStorage]:
        """The uploaded files of a multipart body, as :class:`FileStorage` objects."""
        if self._files is _UNSET:
            self._load_form_data()
        return self._files

    @property
    def values(self) -> CombinedMultiDict[str, str]:
        """:attr:`args` and, unless the method is GET, :attr:`form`, combined."""
        if self._values is not _UNSET:
            return self._values
        sources: list[MultiDict[str, str]] = [self.args]
        if self.method != "GET":
            sources.append(self.form)
        self._values = value = CombinedMultiDict(sources)
        return value

    # -- JSON ----------------------------------------------------------------

    @property
    def json_module(self) -> Any:
        """What ``get_json`` parses with: the app's JSON provider, else ``erlen.json``."""
        if self._json_module is not _UNSET:
            return self._json_module
        # Looked up on each call so a provider swapped in later applies.
        import erlen.json

        return erlen.json

    @json_module.setter
    def json_module(self, value: Any) -> None:
        self._json_module = value

    @property
    def json(self) -> Any:
        """:meth:`get_json` with its defaults (415 unless the body is JSON)."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """The body parsed as JSON.

        Without ``force`` the Content-Type must be JSON, else 415. Invalid JSON
        is a 400. ``silent`` returns ``None`` instead of either error.
        """
        cached = self._cached_json
        if cached is _UNSET:
            cached = self._cached_json = (_NOT_CACHED, _NOT_CACHED)
        if cache and cached[silent] is not _NOT_CACHED:
            return cached[silent]
        if not (force or self.is_json):
            return None if silent else self.on_json_loading_failed(None)
        data = self.get_data(cache=cache)
        try:
            limit = self.max_json_nesting
            if limit is not None and json_nesting_exceeds(data, limit):
                raise ValueError(f"JSON is nested too deeply to decode (more than {limit} levels)")
            value = self.json_module.loads(data)
        except (ValueError, RecursionError) as caught:
            # Deeply nested JSON exhausts the decoder's recursion limit: that
            # is bad input (400), not a server error (Flask gives a 500 here).
            error = caught if isinstance(caught, ValueError) else _nested_too_deeply(caught)
            if silent:
                if cache:
                    self._cached_json = (self._cached_json[0], None)
                return None
            value = self.on_json_loading_failed(error)
            if cache:
                self._cached_json = (value, self._cached_json[1])
            return value
        if cache:
            self._cached_json = (value, value)
        return value

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """Called when JSON cannot be loaded; its return value is used, by default
        it raises 415 (wrong Content-Type, ``e`` is None) or 400 (invalid JSON)."""
        if e is None:
            raise _http_error(
                "UnsupportedMediaType",
                "Did not attempt to load JSON data because the request"
                " Content-Type was not 'application/json'.",
            )
        app = current_app_or_none()
        if app is not None and getattr(app, "debug", False):
            raise _http_error("BadRequest", f"Failed to decode JSON object: {e}")
        raise _http_error("BadRequest") from _http_error(
            "BadRequest", f"Failed to decode JSON object: {e}"
        )

    # -- cleanup -------------------------------------------------------------

    def close(self) -> None:
        """Close the uploaded files."""
        # PERF: a flag read, not a failed slot read, for the many requests
        # that never parse a form.
        if not self._form_loaded:
            return
        for _, storage in self._files.items(multi=True):
            storage.close()

    def __enter__(self) -> Request:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _header_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    from erlen.http.dates import parse_http_date

    return parse_http_date(value)
