"""JSON for erlen: Flask's swappable JSON provider, written for the standard library.

``app.json`` is a :class:`JSONProvider`; :class:`DefaultJSONProvider` encodes
with :mod:`json` and produces exactly Flask 3.1's bytes: sorted keys, ASCII
escapes, dates as HTTP dates, ``Decimal`` and ``UUID`` as strings, dataclasses
as dicts, ``__html__`` objects as their markup, compact output from
:meth:`DefaultJSONProvider.response` unless the app is in debug mode.

Deliberate difference from Flask: ``NaN``, ``Infinity`` and ``-Infinity`` are
refused. The standard library (and so Flask) writes them as the bare tokens
``NaN``/``Infinity``, which are not JSON and which strict parsers (browsers'
``JSON.parse``, most other languages) reject. :meth:`DefaultJSONProvider.dumps`,
:meth:`DefaultJSONProvider.response`, :func:`jsonify` and the module-level
:func:`dumps`/:func:`dump` raise :class:`erlen.errors.JSONValueError` instead.
A caller who really wants the tokens can still pass ``allow_nan=True``.

orjson, when installed, encodes what :func:`jsonify` and
:meth:`DefaultJSONProvider.response` send (and ``dumps`` with those two
settings: compact separators, or ``indent=2``), but only values whose bytes are
then certainly the standard library's: exact dicts, lists, tuples, ASCII
strings, ints and booleans, ``None`` and floats written without an exponent.
Anything else (dates, ``UUID``, ``Decimal``, ``Enum``, subclasses, non-ASCII
text, NaN, big ints, floats below 1e-4 or from 1e16) is encoded by :mod:`json`,
per call. :mod:`erlen.json._orjson` lists why each is excluded; orjson is
imported on the first such call, never by ``import erlen``. ``ORJSON_ACTIVE``
says whether it is in use.
"""

from __future__ import annotations

import json as _json
from typing import IO, TYPE_CHECKING, Any, AnyStr

from erlen.json.provider import (
    DefaultJSONProvider as DefaultJSONProvider,
    JSONProvider as JSONProvider,
    _default,
    _stdlib_dumps,
)

if TYPE_CHECKING:
    from erlen.response import Response

__all__ = [
    "ORJSON_ACTIVE",
    "DefaultJSONProvider",
    "JSONProvider",
    "dump",
    "dumps",
    "jsonify",
    "load",
    "loads",
]


def __getattr__(name: str) -> Any:
    # ORJSON_ACTIVE: whether DefaultJSONProvider hands plain values to orjson.
    # Computed on first read: it imports orjson, which `import erlen` must not.
    if name == "ORJSON_ACTIVE":
        from erlen.json._orjson import orjson_active

        return orjson_active()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _app_or_none() -> Any:
    from erlen._current import current_app_or_none

    return current_app_or_none()


def dumps(obj: Any, **kwargs: Any) -> str:
    """Serialize with the current app's provider, or :func:`json.dumps` with
    Flask's extra types outside an app context (keys then keep their order)."""
    app = _app_or_none()
    if app is not None:
        result: str = app.json.dumps(obj, **kwargs)
        return result
    kwargs.setdefault("default", _default)
    return _stdlib_dumps(obj, kwargs)


def dump(obj: Any, fp: IO[str], **kwargs: Any) -> None:
    """Like :func:`dumps`, writing to the text file ``fp``."""
    app = _app_or_none()
    if app is not None:
        app.json.dump(obj, fp, **kwargs)
    else:
        # Encode first so a refused value leaves the file untouched.
        fp.write(dumps(obj, **kwargs))


def loads(s: str | bytes, **kwargs: Any) -> Any:
    """Parse JSON with the current app's provider, or :func:`json.loads`."""
    app = _app_or_none()
    if app is not None:
        return app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def load(fp: IO[AnyStr], **kwargs: Any) -> Any:
    """Parse JSON read from ``fp`` with the current app's provider, or :func:`json.load`."""
    app = _app_or_none()
    if app is not None:
        return app.json.load(fp, **kwargs)
    return _json.loads(fp.read(), **kwargs)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """A JSON response from the current app's provider (needs an app context)."""
    from erlen._current import current_context

    response: Response = current_context().app.json.response(*args, **kwargs)
    return response
