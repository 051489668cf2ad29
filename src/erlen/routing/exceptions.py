"""The errors routing raises: bad rules at registration, failed builds, converter rejections."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from erlen.errors import ErlenError
from erlen.exceptions import BadRequest

if TYPE_CHECKING:
    from erlen.routing.map import Map


class RuleError(ErlenError, ValueError):
    """A rule string or a converter argument list cannot be parsed."""


class ConverterLookupError(ErlenError, LookupError):
    """A rule names a converter that is not registered in ``Map.converters``."""


class ValidationError(ValueError):
    """Raised by a converter's ``to_python``: this URL does not match the rule."""


class RoutingException(Exception):
    """Base of the exceptions routing raises that are not plain HTTP errors."""


class WebsocketMismatch(BadRequest):
    """The only rule matching the path is a WebSocket rule (and this is HTTP)."""


class BuildError(RoutingException, LookupError):
    """``Map.build`` found no rule for the endpoint and values given."""

    def __init__(
        self,
        endpoint: Any,
        values: Mapping[str, Any],
        method: str | None,
        adapter: Any = None,
    ) -> None:
        super().__init__(endpoint, values, method)
        self.endpoint = endpoint
        self.values = values
        self.method = method
        self.adapter = adapter

    def _map(self) -> Map | None:
        from erlen.routing.map import Map  # the map module imports this one

        candidate = getattr(self.adapter, "map", self.adapter)
        return candidate if isinstance(candidate, Map) else None

    def __str__(self) -> str:
        text = f"Could not build url for endpoint {self.endpoint!r}"
        if self.method:
            text += f" ({self.method!r})"
        if self.values:
            text += f" with values {sorted(self.values)!r}"
        text += "."
        url_map = self._map()
        if url_map is None:
            return text
        rules = url_map._rules_by_endpoint.get(self.endpoint)
        if rules:
            given = set(self.values)
            missing = min(
                (sorted((rule.arguments | set(rule.defaults or ())) - given) for rule in rules),
                key=len,
            )
            if missing:
                text += f" Missing values: {missing!r}."
            if self.method and all(
                rule.methods is not None and self.method not in rule.methods for rule in rules
            ):
                methods = sorted(set().union(*(rule.methods or () for rule in rules)))
                text += f" The endpoint accepts only {methods!r}."
            return text
        names = [str(endpoint) for endpoint in url_map._rules_by_endpoint]
        close = difflib.get_close_matches(str(self.endpoint), names, n=1)
        if close:
            text += f" Did you mean {close[0]!r}?"
        return text
