"""Flask's JSON providers (``flask.json.provider``): how an app turns values into JSON.

:class:`DefaultJSONProvider` is the standard-library implementation described
in :mod:`erlen.json`; subclass :class:`JSONProvider` to use another library.
"""

from __future__ import annotations

import dataclasses
import decimal
import json as _json
import uuid
import weakref
from collections.abc import Callable
from datetime import date
from typing import IO, TYPE_CHECKING, Any, AnyStr

from erlen.errors import ArgumentTypeError, JSONValueError
from erlen.http.dates import http_date
from erlen.json._orjson import dumps_or_none as _orjson_dumps_or_none

if TYPE_CHECKING:
    from erlen.response import Response

__all__ = ["DefaultJSONProvider", "JSONProvider"]

_c_make_encoder: Any = getattr(_json.encoder, "c_make_encoder", None)
_c_escape_ascii: Any = _json.encoder.encode_basestring_ascii
_c_escape_unicode: Any = _json.encoder.encode_basestring
_COMPACT = (",", ":")
_NAN_MESSAGE = "Out of range float values are not JSON compliant"


def _default(value: Any) -> Any:
    """Encode the types JSON lacks as Flask does; anything else is a TypeError."""
    if isinstance(value, date):
        return http_date(value)
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    raise ArgumentTypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _refuse_nan(error: ValueError) -> JSONValueError:
    # The C encoder's message does not name the value on every Python version;
    # the pure-Python one (used with ``indent``) appends its repr.
    _, _, shown = str(error).partition(": ")
    value = shown or "NaN or Infinity"
    return JSONValueError(
        f"float value {value} is not valid JSON: NaN, Infinity and -Infinity cannot be"
        " encoded (convert them to None or a string, or pass allow_nan=True)"
    )


def _stdlib_dumps(obj: Any, kwargs: dict[str, Any]) -> str:
    kwargs.setdefault("allow_nan", False)
    try:
        return _json.dumps(obj, **kwargs)
    except ValueError as error:
        if str(error).startswith(_NAN_MESSAGE):
            raise _refuse_nan(error) from None
        raise


class JSONProvider:
    """The JSON operations of one app; subclass it to use another JSON library.

    Subclasses implement at least :meth:`dumps` and :meth:`loads`. The app is
    held through a weak proxy so the provider does not keep it alive.
    """

    def __init__(self, app: Any) -> None:
        try:
            self._app: Any = weakref.proxy(app)
        except TypeError:  # an app class without __weakref__ in its slots
            self._app = app

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize ``obj`` to a JSON string."""
        raise NotImplementedError

    def dump(self, obj: Any, fp: IO[str], **kwargs: Any) -> None:
        """Serialize ``obj`` as JSON and write it to the text file ``fp``."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON from text or UTF-8 bytes."""
        raise NotImplementedError

    def load(self, fp: IO[AnyStr], **kwargs: Any) -> Any:
        """Parse JSON read from the file ``fp`` (text or UTF-8 bytes)."""
        return self.loads(fp.read(), **kwargs)

    @staticmethod
    def _prepare_response_obj(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if args and kwargs:
            raise ArgumentTypeError(
                "app.json.response() takes either positional or keyword arguments, not both"
                f" (got args={len(args)}, kwargs={sorted(kwargs)!r})"
            )
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A ``application/json`` response of the arguments: none is ``null``,
        one is itself, several are a list, keyword arguments are an object."""
        obj = self._prepare_response_obj(args, kwargs)
        response: Response = self._app.response_class(self.dumps(obj), mimetype="application/json")
        return response


class DefaultJSONProvider(JSONProvider):
    """Flask's default provider on the standard :mod:`json` module.

    Dates and datetimes become HTTP dates, ``Decimal`` and ``UUID`` strings,
    dataclasses dicts, objects with ``__html__`` their markup. NaN and Infinity
    are refused with :class:`~erlen.errors.JSONValueError`.
    """

    #: Called for any object :mod:`json` cannot encode; returns an encodable
    #: value or raises ``TypeError``.
    default: Callable[[Any], Any] = staticmethod(_default)
    #: Escape non-ASCII characters as ``\\uXXXX``.
    ensure_ascii = True
    #: Sort the keys of every object (keys must then all be strings).
    sort_keys = True
    #: ``True`` compact, ``False`` indented; ``None`` indents only in debug mode.
    compact: bool | None = None
    #: The mimetype :meth:`response` sets.
    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize ``obj``; keyword arguments go to :func:`json.dumps`."""
        if not kwargs:
            return self._encode(obj, (", ", ": "))
        if len(kwargs) == 1:
            # The two forms response() uses: orjson takes them when installed
            # and its bytes are certainly json's (erlen/json/_orjson.py). It may
            # take dates, Decimals and UUIDs only while ``default`` is Flask's
            # conversion (an app may replace it).
            if kwargs.get("separators") == _COMPACT:
                if self.ensure_ascii is True:
                    text = _orjson_dumps_or_none(
                        obj, self.sort_keys, False, _default if self.default is _default else None
                    )
                    if text is not None:
                        return text
                return self._encode(obj, _COMPACT)
            indent = kwargs.get("indent")
            if type(indent) is int and indent == 2 and self.ensure_ascii is True:
                text = _orjson_dumps_or_none(
                    obj, self.sort_keys, True, _default if self.default is _default else None
                )
                if text is not None:
                    return text
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return _stdlib_dumps(obj, kwargs)

    def _encode(self, obj: Any, separators: tuple[str, str]) -> str:
        # PERF: json.dumps with any argument builds a JSONEncoder and a closure
        # per call; building the C encoder directly skips both. The settings are
        # read per call because apps change them at run time.
        ensure_ascii = self.ensure_ascii
        if _c_make_encoder is None:  # pragma: no cover - CPython always has it
            return _stdlib_dumps(
                obj,
                {
                    "default": self.default,
                    "ensure_ascii": ensure_ascii,
                    "sort_keys": self.sort_keys,
                    "separators": separators,
                },
            )
        encoder = _c_make_encoder(
            {},
            self.default,
            _c_escape_ascii if ensure_ascii else _c_escape_unicode,
            None,
            separators[1],
            separators[0],
            self.sort_keys,
            False,
            False,
        )
        try:
            return "".join(encoder(obj, 0))
        except ValueError as error:
            if str(error).startswith(_NAN_MESSAGE):
                raise _refuse_nan(error) from None
            raise

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON from text or UTF-8 bytes; keyword arguments go to :func:`json.loads`."""
        return _json.loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response of the arguments followed by a newline: compact, or
        indented by 2 when :attr:`compact` is ``False`` or ``None`` in debug mode."""
        obj = self._prepare_response_obj(args, kwargs)
        compact = self.compact
        if compact is False or (compact is None and self._app.debug):
            body = self.dumps(obj, indent=2)
        else:
            body = self.dumps(obj, separators=_COMPACT)
        response_class = self._app.response_class
        response: Response
        if response_class._plain_text_init:
            response = response_class._from_text(body + "\n", mimetype=self.mimetype)
        else:
            response = response_class(body + "\n", mimetype=self.mimetype)
        return response
