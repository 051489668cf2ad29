"""Transient: the routing module, moved whole before it is cut by job."""

from __future__ import annotations

from erlen.routing.map import (
    DEFAULT_CONVERTERS,
    AnyConverter,
    BaseConverter,
    BuildError,
    ConverterLookupError,
    FloatConverter,
    IntegerConverter,
    Map,
    NumberConverter,
    PathConverter,
    RequestRedirect,
    RoutingException,
    Rule,
    RuleError,
    RuleFactory,
    UnicodeConverter,
    UUIDConverter,
    ValidationError,
    WebsocketMismatch,
    parse_converter_args as parse_converter_args,
)

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
