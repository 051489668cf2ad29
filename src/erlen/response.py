"""The Response: status, headers and body, behaving like ``flask.Response``.

The object is sans-IO: it holds state and knows how to encode its body. The
WSGI rules (what goes on the wire for HEAD, 204, 304, Location rewriting,
closing) live in :mod:`erlen.wsgi`; ``Response.__call__`` delegates there.

The body may also be an async iterable (an ``async def`` generator): it is
streamed on both protocols, and the sync body accessors (``data``,
``get_data()``, ...) refuse it with :class:`AsyncBodyError` instead of
blocking; ``await response.aget_data()`` buffers it.
"""

from __future__ import annotations

import types
from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Literal, overload

import erlen.json as _json_module
from erlen import wsgi as _wsgi
from erlen.errors import (
    ArgumentTypeError,
    AsyncBodyError,
    HeaderValueError,
    describe,
)
from erlen.http.body import as_body_item
from erlen.http.headers import Headers, validate_header_name, validate_header_value
from erlen.http.mime import dump_options_header, get_content_type, parse_options_header
from erlen.http.status import parse_status
from erlen.response_conditional import ResponseConditional
from erlen.response_properties import ResponseHeaderProperties

if TYPE_CHECKING:
    from collections.abc import Mapping

    WSGIEnvironment = dict[str, Any]
    StartResponse = Callable[..., Any]
    WSGIApplication = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]

__all__ = ["AsyncBodyError", "Response", "ResponseStream", "is_async_body"]


def is_async_body(body: object) -> bool:
    """True when ``body`` is streamed with ``async for`` (it has ``__aiter__``)."""
    # PERF: the usual body is a list; its type answers without an attribute lookup.
    return type(body) is not list and hasattr(body, "__aiter__")


def _refuse_async_body(accessor: str) -> AsyncBodyError:
    return AsyncBodyError(
        f"{accessor} cannot read the response body: it is an async iterable, which"
        " sync code cannot consume without blocking. Use 'await response.aget_data()'"
        " to buffer it (or send the response as it is: it is streamed on WSGI and ASGI)."
    )


_GENERATOR = types.GeneratorType
_ASYNC_GENERATOR = types.AsyncGeneratorType

_DEFAULT_MAX_COOKIE_SIZE = 4093
_FORBIDDEN_CHARS = ("\r", "\n", "\x00")

# PERF: status lines for integer codes are parsed once per process.
_STATUS_BY_CODE: dict[int, tuple[str, int]] = {}
# PERF: validated Content-Type values, keyed by the mimetype or content type
# the caller passed; bounded because the keys may come from user input.
_FROM_MIMETYPE: dict[str, str] = {}
_FROM_CONTENT_TYPE: dict[str, str] = {}
_CACHE_LIMIT = 512


def _clean_status(value: int | str | HTTPStatus) -> tuple[str, int]:
    if type(value) is int:
        cached = _STATUS_BY_CODE.get(value)
        if cached is not None:
            return cached
        code, line = parse_status(value)
        _STATUS_BY_CODE[value] = cached = (line, code)
        return cached
    code, line = parse_status(value)
    return line, code


def _checked_content_type(value: object, from_mimetype: bool) -> str:
    """The Content-Type for a mimetype (charset added) or a full content type, validated."""
    cache = _FROM_MIMETYPE if from_mimetype else _FROM_CONTENT_TYPE
    if type(value) is str:
        cached = cache.get(value)
        if cached is not None:
            return cached
    field = "mimetype" if from_mimetype else "content_type"
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{field} must be a str, got {describe(value)}")
    for char in _FORBIDDEN_CHARS:
        if char in value:
            raise HeaderValueError(f"{field} must not contain CR, LF or NUL: got {describe(value)}")
    result = get_content_type(value, "utf-8") if from_mimetype else value
    result = validate_header_value("Content-Type", result)
    if type(value) is str and len(cache) < _CACHE_LIMIT:
        cache[value] = result
    return result


# What a header name given to the constructor means for its fast path:
# 0 a plain header, 1 Content-Type/Content-Length (they change the body
# rules: general path), 2 Location/Content-Location (rewritten when sent).
_SPECIAL_NAMES = {"content-type": 1, "content-length": 1, "location": 2, "content-location": 2}
# name -> its kind, for names already validated; bounded like the other caches.
_NAME_KINDS: dict[str, int] = {}


def _name_kind(name: str) -> int:
    kind = _SPECIAL_NAMES.get(validate_header_name(name).lower(), 0)
    if len(_NAME_KINDS) < _CACHE_LIMIT:
        _NAME_KINDS[name] = kind
    return kind


def _plain_header_pairs(headers: dict[Any, Any]) -> tuple[list[tuple[str, str]], bool] | None:
    """Validated pairs for a dict of str names and str values, and whether one is rewritten.

    None sends the caller to the general path: list values (repeated headers),
    non-str values, or a Content-Type/Content-Length that changes the body rules.
    """
    pairs = []
    rewritten = False
    for name, value in headers.items():
        if type(name) is not str or type(value) is not str:
            return None
        kind = _NAME_KINDS.get(name)
        if kind is None:
            kind = _name_kind(name)
        if kind:
            if kind == 1:
                return None
            rewritten = True
            value = validate_header_value(name, value)
        elif not (value.isascii() and value.isprintable()):
            # PERF: printable ASCII (almost every value) is safe as it is.
            value = validate_header_value(name, value)
        pairs.append((name, value))
    return pairs, rewritten


def _as_body_bytes(value: object) -> bytes:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise ArgumentTypeError(f"response data must be str or bytes, got {describe(value)}")


_as_body_item = as_body_item  # the name the ASGI adapter imports


def _iter_encoded(iterable: Iterable[Any]) -> Iterator[bytes]:
    for item in iterable:
        # PERF: bytes items (the common case) skip the call.
        yield item if type(item) is bytes else _as_body_item(item)


class _CallbackDict(dict[str, str]):
    """A dict that reports each change, so ``mimetype_params`` edits reach the header."""

    __slots__ = ("on_update",)

    def __init__(self, initial: dict[str, str], on_update: Callable[[_CallbackDict], None]):
        super().__init__(initial)
        self.on_update = on_update

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key, value)
        self.on_update(self)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.on_update(self)

    def clear(self) -> None:
        super().clear()
        self.on_update(self)

    def popitem(self) -> tuple[str, str]:
        item = super().popitem()
        self.on_update(self)
        return item

    def update(self, *args: Any, **kwargs: str) -> None:
        super().update(*args, **kwargs)
        self.on_update(self)

    def __ior__(self, other: Any) -> _CallbackDict:  # type: ignore[override,misc]
        super().__ior__(other)
        self.on_update(self)
        return self

    def setdefault(self, key: str, default: str = "") -> str:
        added = key not in self
        value = super().setdefault(key, default)
        if added:
            self.on_update(self)
        return value

    def pop(self, key: str, *default: Any) -> Any:
        present = key in self
        value = super().pop(key, *default)
        if present:
            self.on_update(self)
        return value


class Response(ResponseHeaderProperties, ResponseConditional):
    """An HTTP response: a status, a :class:`~erlen.http.headers.Headers` and a body.

    Behaves like ``flask.Response``: a str body is encoded as UTF-8, bytes are
    sent as is, a list or tuple is a fixed-length body and any other iterable
    (a generator) is streamed. The default mimetype is ``text/html``.
    """

    # __dict__ stays so users and subclasses can set their own attributes.
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_headers",
        "_on_close",
        "_status",
        "_status_code",
        "_stream",
        "direct_passthrough",
        "response",
    )

    #: The status used when none is given.
    default_status = 200
    #: The mimetype used when neither a mimetype nor a content type is given.
    default_mimetype: str | None = "text/html"
    #: Make a relative Location absolute against the request URL when sending.
    autocorrect_location_header = False
    #: Add Content-Length when the body's length is known.
    automatically_set_content_length = True
    #: Allow reading ``data`` of a streamed body by buffering it into a list.
    implicit_sequence_conversion = True
    #: The module whose ``loads`` parses the body in :meth:`get_json`.
    json_module: Any = _json_module

    #: Whether ``set_data`` is this class's own (then str bodies take a short path).
    _plain_set_data = True

    #: Whether ``__init__`` and ``set_data`` are this class's own (then
    #: :meth:`_from_text` may stand in for the constructor).
    _plain_text_init = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._plain_set_data = cls.set_data is Response.set_data
        cls._plain_text_init = cls._plain_set_data and cls.__init__ is Response.__init__

    @classmethod
    def _from_text(
        cls, text: str, status: int | None = None, mimetype: str | None = None
    ) -> Response:
        """``cls(text, status=status, mimetype=mimetype)`` for a str body, without the checks.

        PERF: a view returning a string (or a string and a status) is the most
        common response, and jsonify the next; make_response and the JSON
        provider use this when ``_plain_text_init``.
        """
        if mimetype is None:
            mimetype = cls.default_mimetype
        content_type = _FROM_MIMETYPE.get(mimetype) if type(mimetype) is str else None
        if content_type is None or not cls.automatically_set_content_length:
            return cls(text, status=status, mimetype=mimetype)
        if status is None:
            status = cls.default_status
        status_pair = _STATUS_BY_CODE.get(status) if type(status) is int else None
        if status_pair is None:
            status_pair = _clean_status(status)
        data = text.encode()
        self = cls.__new__(cls)
        self._status, self._status_code = status_pair
        self._headers = [("Content-Type", content_type), ("Content-Length", str(len(data)))]
        self.response = [data]
        self.direct_passthrough = False
        self._on_close = None
        self._stream = None
        return self

    # A Headers, or (PERF) a pending list of validated pairs that becomes one
    # on first access: see the ``headers`` property.
    _headers: Headers | list[tuple[str, str]]
    _on_close: list[Callable[[], Any]] | None
    _stream: ResponseStream | None
    #: The body: a list of bytes, or any iterable or async iterable of str or bytes.
    response: Iterable[Any] | AsyncIterable[Any]
    direct_passthrough: bool

    def __init__(
        self,
        response: Iterable[bytes]
        | bytes
        | Iterable[str]
        | str
        | AsyncIterable[bytes]
        | AsyncIterable[str]
        | None = None,
        status: int | str | HTTPStatus | None = None,
        headers: Mapping[str, str | Iterable[str]] | Iterable[tuple[str, str]] | None = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        body_type = type(response)
        if content_type is None and (
            (
                (body_type is str or body_type is bytes)
                and self._plain_set_data
                and self.automatically_set_content_length
                and (headers is None or type(headers) is dict)
            )
            or (headers is None and (body_type is _GENERATOR or body_type is _ASYNC_GENERATOR))
        ):
            # PERF: the most common responses: a str or bytes body with at most
            # a mimetype, a status and a dict of plain extra headers, or a
            # generator (Flask's streaming idiom) with at most a mimetype and a
            # status; built without the general path's branches, with the
            # same header order as that path.
            fast_mimetype = self.default_mimetype if mimetype is None else mimetype
            extra = ([], False) if headers is None else _plain_header_pairs(headers)
            if fast_mimetype is not None and extra is not None:
                # The caches are read inline; a miss takes the checks.
                content = (
                    _FROM_MIMETYPE.get(fast_mimetype) if type(fast_mimetype) is str else None
                ) or _checked_content_type(fast_mimetype, True)
                if status is None:
                    status = self.default_status
                status_pair = _STATUS_BY_CODE.get(status) if type(status) is int else None
                self._status, self._status_code = status_pair or _clean_status(status)
                pairs, rewritten = extra
                pairs.append(("Content-Type", content))
                if body_type is str or body_type is bytes:
                    given: Any = response  # str or bytes, told apart by body_type
                    data: bytes = given.encode() if body_type is str else given
                    pairs.append(("Content-Length", str(len(data))))
                    # The pending list (no Location, a Content-Length that
                    # matches the body) becomes a Headers object only if asked.
                    self._headers = Headers._from_trusted(pairs) if rewritten else pairs
                    self.response = [data]
                else:
                    self._headers = Headers._from_trusted(pairs)
                    self.response = response  # type: ignore[assignment]
                self.direct_passthrough = direct_passthrough
                self._on_close = None
                self._stream = None
                return
        # Everything is validated before anything is stored or mutated, so a
        # Headers object passed in is untouched when an argument is bad.
        if isinstance(headers, Headers):
            header_obj: Headers | None = headers
        elif not headers:
            header_obj = None
        else:
            header_obj = Headers(headers)

        if content_type is None:
            if mimetype is None and (header_obj is None or "content-type" not in header_obj):
                mimetype = self.default_mimetype
            new_type = None if mimetype is None else _checked_content_type(mimetype, True)
        else:
            new_type = _checked_content_type(content_type, False)

        self._status, self._status_code = _clean_status(
            self.default_status if status is None else status
        )

        fresh = header_obj is None
        if header_obj is None:
            # PERF: the Content-Type was validated (and cached) above, so the
            # fresh list is adopted without a second validation pass.
            header_obj = Headers._from_trusted(
                [] if new_type is None else [("Content-Type", new_type)]
            )
        elif new_type is not None:
            header_obj._set_trusted("Content-Type", new_type)
        self._headers = header_obj
        self.direct_passthrough = direct_passthrough
        self._on_close = None
        self._stream = None

        if response is None:
            self.response = []
        elif isinstance(response, (str, bytes, bytearray, memoryview)):
            if (
                fresh
                and self.automatically_set_content_length
                and type(self).set_data is Response.set_data
            ):
                # PERF: the new header list holds no Content-Length yet, so
                # append instead of the search-and-replace of set_data.
                data = _as_body_bytes(response)
                self.response = [data]
                header_obj._list.append(("Content-Length", str(len(data))))
            else:
                self.set_data(response)
        elif (
            # PERF: what isinstance(response, Iterable) checks, without the ABC machinery.
            getattr(type(response), "__iter__", None) is not None or hasattr(response, "__aiter__")
        ):
            self.response = response
        else:
            raise ArgumentTypeError(
                "response must be str, bytes or an iterable or async iterable of them,"
                f" got {describe(response)}"
            )

    def __repr__(self) -> str:
        if self.is_sequence:
            body = f"{sum(map(len, self.iter_encoded()))} bytes"
        else:
            body = "streamed" if self.is_streamed else "likely-streamed"
        return f"<{type(self).__name__} {body} [{self._status}]>"

    # Headers

    @property
    def headers(self) -> Headers:
        """The response headers (a :class:`~erlen.http.headers.Headers`)."""
        headers = self._headers
        if type(headers) is list:
            headers = self._headers = Headers._from_trusted(headers)
        return headers  # type: ignore[return-value]

    @headers.setter
    def headers(self, value: Headers | Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        self._headers = value if isinstance(value, Headers) else Headers(value)

    # Status

    @property
    def status(self) -> str:
        """The status line, such as ``'404 NOT FOUND'``."""
        return self._status

    @status.setter
    def status(self, value: int | str | HTTPStatus) -> None:
        self._status, self._status_code = _clean_status(value)

    @property
    def status_code(self) -> int:
        """The status code as an int."""
        return self._status_code

    @status_code.setter
    def status_code(self, code: int | str | HTTPStatus) -> None:
        self._status, self._status_code = _clean_status(code)

    # Body

    @overload
    def get_data(self, as_text: Literal[False] = False) -> bytes: ...

    @overload
    def get_data(self, as_text: Literal[True]) -> str: ...

    def get_data(self, as_text: bool = False) -> bytes | str:
        """The body as bytes (or UTF-8 text); a streamed body is buffered first.

        An async body raises :class:`AsyncBodyError`: use :meth:`aget_data`.
        """
        body = self.response
        # PERF: the usual body is one bytes item; skip the join.
        if type(body) is list and len(body) == 1 and type(body[0]) is bytes:
            data: bytes = body[0]
        else:
            self._ensure_sequence(accessor="Response.data / get_data()")
            data = b"".join(self.iter_encoded())
        return data.decode() if as_text else data

    @overload
    async def aget_data(self, as_text: Literal[False] = False) -> bytes: ...

    @overload
    async def aget_data(self, as_text: Literal[True]) -> str: ...

    async def aget_data(self, as_text: bool = False) -> bytes | str:
        """The body as bytes (or text), buffering an async body; for others, :meth:`get_data`.

        Like ``get_data``, the buffered body replaces the async one, so the
        response can still be sent (its ``aclose`` has been awaited by then).
        """
        source = self.response
        if not is_async_body(source):
            return self.get_data(as_text)  # type: ignore[call-overload,no-any-return]
        self._check_buffering_allowed()
        chunks: list[bytes] = []
        try:
            async for item in source:  # type: ignore[union-attr]
                chunks.append(_as_body_item(item))
        finally:
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()
        self.response = chunks
        data = b"".join(chunks)
        return data.decode() if as_text else data

    def set_data(self, value: bytes | bytearray | memoryview | str) -> None:
        """Replace the body with ``value`` (a str is encoded as UTF-8); sets Content-Length."""
        data = _as_body_bytes(value)
        self.response = [data]
        if self.automatically_set_content_length:
            # PERF: a decimal length needs no validation.
            self.headers._set_trusted("Content-Length", str(len(data)))

    data = property(get_data, set_data, doc="The body as bytes; assigning calls set_data.")

    @property
    def is_streamed(self) -> bool:
        """True when the body has no length (a generator or other iterator)."""
        try:
            len(self.response)  # type: ignore[arg-type]
        except (TypeError, AttributeError):
            return True
        return False

    @property
    def is_sequence(self) -> bool:
        """True when the body is a list or tuple (its length is known)."""
        return isinstance(self.response, (list, tuple))

    def iter_encoded(self) -> Iterator[bytes]:
        """Iterate the body as bytes, encoding str items as UTF-8 (sync bodies only)."""
        body = self.response
        if is_async_body(body):
            raise _refuse_async_body("Response.iter_encoded()")
        return _iter_encoded(body)  # type: ignore[arg-type]

    def make_sequence(self) -> None:
        """Buffer a streamed body into a list of bytes; its ``close`` still runs on close."""
        if not self.is_sequence:
            if is_async_body(self.response):
                raise _refuse_async_body("Response.make_sequence()")
            close = getattr(self.response, "close", None)
            self.response = list(self.iter_encoded())
            if close is not None:
                self.call_on_close(close)

    def _ensure_sequence(self, mutable: bool = False, accessor: str = "") -> None:
        if self.is_sequence:
            if mutable and not isinstance(self.response, list):
                self.response = list(self.response)  # type: ignore[arg-type]
            return
        if is_async_body(self.response):
            raise _refuse_async_body(accessor or "Response.make_sequence()")
        self._check_buffering_allowed()
        self.make_sequence()

    def _check_buffering_allowed(self) -> None:
        if self.direct_passthrough:
            raise RuntimeError(
                "Attempted implicit sequence conversion but the"
                " response object is in direct passthrough mode."
            )
        if not self.implicit_sequence_conversion:
            raise RuntimeError(
                "The response object required the iterable to be a"
                " sequence, but the implicit conversion was disabled."
                " Call make_sequence() yourself."
            )

    def calculate_content_length(self) -> int | None:
        """The body length in bytes, or None when it cannot be buffered.

        An async body raises :class:`AsyncBodyError` rather than answering None.
        """
        try:
            self._ensure_sequence(accessor="Response.calculate_content_length()")
        except AsyncBodyError:
            raise
        except RuntimeError:
            return None
        return sum(len(item) for item in self.iter_encoded())

    def freeze(self) -> None:
        """Buffer the body, set Content-Length and add an ETag, ready for pickling."""
        body = self.response
        if is_async_body(body):
            raise _refuse_async_body("Response.freeze()")
        chunks = list(_iter_encoded(body))  # type: ignore[arg-type]
        self.response = chunks
        self.headers._set_trusted("Content-Length", str(sum(map(len, chunks))))
        self.add_etag()

    @property
    def stream(self) -> ResponseStream:
        """A write-only file-like object appending to the body."""
        stream = self._stream
        if stream is None:
            stream = self._stream = ResponseStream(self)
        return stream

    # Closing

    def call_on_close(self, func: Callable[[], Any]) -> Callable[[], Any]:
        """Run ``func`` when the response is closed; returns ``func`` (usable as a decorator)."""
        if self._on_close is None:
            self._on_close = [func]
        else:
            self._on_close.append(func)
        return func

    def close(self) -> None:
        """Close the body (if it has ``close``) and run the ``call_on_close`` functions.

        Every function runs even if an earlier one raises; the first error is
        raised afterwards.
        """
        error: BaseException | None = None
        close = getattr(self.response, "close", None)
        if close is not None:
            try:
                close()
            except BaseException as exc:
                error = exc
        if self._on_close:
            for func in self._on_close:
                try:
                    func()
                except BaseException as exc:
                    if error is None:
                        error = exc
        if error is not None:
            raise error

    async def aclose(self) -> None:
        """Await the body's ``aclose`` (an async generator's cleanup), then :meth:`close`."""
        aclose = getattr(self.response, "aclose", None)
        try:
            if aclose is not None:
                await aclose()
        finally:
            self.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Headers

    @property
    def mimetype(self) -> str | None:
        """The Content-Type without parameters, such as ``'text/html'``."""
        content_type = self.headers.get("content-type")
        return content_type.partition(";")[0].strip() if content_type else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers._set_trusted("Content-Type", _checked_content_type(value, True))

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The Content-Type parameters as a dict; changing it rewrites the header."""

        def on_update(params: _CallbackDict) -> None:
            self.headers["Content-Type"] = dump_options_header(self.mimetype, params)

        params = parse_options_header(self.headers.get("content-type", ""))[1]
        return _CallbackDict(params, on_update)

    @property
    def content_type(self) -> str | None:
        """The Content-Type header; assigning ``None`` removes it."""
        value: str | None = self.headers.get("Content-Type")
        return value

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        if value is None:
            self.headers.pop("Content-Type", None)
        else:
            self.headers._set_trusted("Content-Type", _checked_content_type(value, False))

    @content_type.deleter
    def content_type(self) -> None:
        self.headers.pop("Content-Type", None)

    @property
    def content_length(self) -> int | None:
        """The Content-Length header as an int (None if absent or not a number)."""
        value = self.headers.get("Content-Length")
        if value is None:
            return None
        try:
            return int(value)
        except (ValueError, TypeError):
            return None

    @content_length.setter
    def content_length(self, value: int | str | None) -> None:
        if value is None:
            self.headers.pop("Content-Length", None)
        else:
            self.headers["Content-Length"] = str(value)

    @content_length.deleter
    def content_length(self) -> None:
        self.headers.pop("Content-Length", None)

    @property
    def location(self) -> str | None:
        """The Location header (sent as a URI; relative unless autocorrected)."""
        value: str | None = self.headers.get("Location")
        return value

    @location.setter
    def location(self, value: str | None) -> None:
        if value is None:
            self.headers.pop("Location", None)
            return
        if not isinstance(value, str):
            raise ArgumentTypeError(f"location must be a str, got {describe(value)}")
        # Stored as given (the adapter converts it when sending, as Werkzeug
        # does); Headers runs the same conversion now, so a bad host, port or
        # surrogate raises LocationValueError here rather than at send time.
        self.headers["Location"] = value

    @location.deleter
    def location(self) -> None:
        self.headers.pop("Location", None)

    @property
    def is_json(self) -> bool:
        """True for ``application/json`` and ``application/*+json`` mimetypes."""
        mimetype = self.mimetype
        return mimetype is not None and (
            mimetype == "application/json"
            or (mimetype.startswith("application/") and mimetype.endswith("+json"))
        )

    # Cookies

    @property
    def max_cookie_size(self) -> int:
        """``MAX_COOKIE_SIZE`` from the current app's config, else 4093."""
        from erlen._current import current_app_or_none

        app = current_app_or_none()
        if app is not None:
            size: int = app.config.get("MAX_COOKIE_SIZE", _DEFAULT_MAX_COOKIE_SIZE)
            return size
        return _DEFAULT_MAX_COOKIE_SIZE

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: Any = None,
        expires: Any = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Add a Set-Cookie header (a warning is issued if it exceeds max_cookie_size)."""
        from erlen.http.cookies import dump_cookie

        header = dump_cookie(
            key,
            value=value,
            max_age=max_age,
            expires=expires,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
            max_size=self.max_cookie_size,
        )
        self.headers.add("Set-Cookie", header)

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Expire a cookie in the client: set it empty with ``Max-Age=0`` and a past date."""
        self.set_cookie(
            key,
            expires=0,
            max_age=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    # JSON

    @property
    def json(self) -> Any | None:
        """The body parsed as JSON if :attr:`is_json`, else None."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False) -> Any | None:
        """Parse the body as JSON; None if not JSON (unless ``force``) or invalid and ``silent``."""
        if not (force or self.is_json):
            return None
        data = self.get_data()
        try:
            return self.json_module.loads(data)
        except ValueError:
            if not silent:
                raise
            return None

    # WSGI

    @classmethod
    def force_type(cls, response: Any, environ: WSGIEnvironment | None = None) -> Response:
        """Make ``response`` an instance of ``cls`` (in place), or run a WSGI app into one."""
        if not isinstance(response, Response):
            if environ is None:
                raise ArgumentTypeError(
                    "cannot convert WSGI application into response objects without an environ"
                )
            response = Response(*_wsgi.run_wsgi_app(response, environ))
        response.__class__ = cls
        result: Response = response
        return result

    @classmethod
    def from_app(
        cls, app: WSGIApplication, environ: WSGIEnvironment, buffered: bool = False
    ) -> Response:
        """Run a WSGI application and wrap its output in a response."""
        return cls(*_wsgi.run_wsgi_app(app, environ, buffered))

    def get_wsgi_headers(self, environ: WSGIEnvironment) -> Headers:
        """A copy of the headers as they are sent for ``environ`` (see :mod:`erlen.wsgi`)."""
        return Headers._from_trusted(_wsgi.wsgi_header_list(self, environ))

    def get_app_iter(self, environ: WSGIEnvironment) -> Iterable[bytes]:
        """The body iterable to send for ``environ``; closing it closes the response."""
        return _wsgi.app_iter(self, environ)

    def get_wsgi_response(
        self, environ: WSGIEnvironment
    ) -> tuple[Iterable[bytes], str, list[tuple[str, str]]]:
        """``(app_iter, status, headers)`` for ``environ``."""
        headers = _wsgi.wsgi_header_list(self, environ)
        return _wsgi.app_iter(self, environ), self._status, headers

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve this response as a WSGI application."""
        return _wsgi.respond(self, environ, start_response)


class ResponseStream:
    """The write-only file-like view of a response body (``response.stream``)."""

    __slots__ = ("closed", "response")

    mode = "wb+"

    def __init__(self, response: Response) -> None:
        self.response = response
        self.closed = False

    def write(self, value: bytes) -> int:
        """Append ``value`` to the body; drops a Content-Length made stale by it."""
        if self.closed:
            raise ValueError("I/O operation on closed file")
        self.response._ensure_sequence(mutable=True, accessor="Response.stream.write()")
        self.response.response.append(value)  # type: ignore[union-attr]
        self.response.headers.pop("Content-Length", None)
        return len(value)

    def writelines(self, seq: Iterable[bytes]) -> None:
        """Write each item of ``seq``."""
        for item in seq:
            self.write(item)

    def close(self) -> None:
        """Mark the stream closed; later writes raise ``ValueError``."""
        self.closed = True

    def flush(self) -> None:
        """Nothing is buffered; raises if closed, as a file does."""
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def isatty(self) -> bool:
        """Always False; raises if closed."""
        if self.closed:
            raise ValueError("I/O operation on closed file")
        return False

    def tell(self) -> int:
        """Bytes written so far (the body length)."""
        self.response._ensure_sequence(accessor="Response.stream.tell()")
        return sum(map(len, self.response.response))  # type: ignore[arg-type]

    @property
    def encoding(self) -> str:
        """The encoding of str bodies: always UTF-8."""
        return "utf-8"
