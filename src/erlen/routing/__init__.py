"""URL routing compatible with Flask's ``app.url_map`` (Werkzeug's Map and Rule).

One file per job: :mod:`~erlen.routing.rules` parses a rule string and compiles
the :class:`Rule`; :mod:`~erlen.routing.converters` holds the typed variables
(``<int:id>``); :mod:`~erlen.routing.map` holds the :class:`Map` that matches
paths and builds URLs; :mod:`~erlen.routing.exceptions` the errors routing
raises. Every name is importable from ``erlen.routing`` as before.
"""

from __future__ import annotations

from erlen.exceptions import RequestRedirect
from erlen.routing.converters import (
    DEFAULT_CONVERTERS,
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    NumberConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
)
from erlen.routing.exceptions import (
    BuildError,
    ConverterLookupError,
    RoutingException,
    RuleError,
    ValidationError,
    WebsocketMismatch,
)
from erlen.routing.map import Map
from erlen.routing.rules import Rule, RuleFactory, parse_converter_args as parse_converter_args

__all__ = [
    "DEFAULT_CONVERTERS",
    "AnyConverter",
    "BaseConverter",
    "BuildError",
    "ConverterLookupError",
    "FloatConverter",
    "IntegerConverter",
    "Map",
    "NumberConverter",
    "PathConverter",
    "RequestRedirect",
    "RoutingException",
    "Rule",
    "RuleError",
    "RuleFactory",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
    "WebsocketMismatch",
]
