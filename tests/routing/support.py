"""The harness of the routing tests: the same rules in a Werkzeug map and an erlen map."""

from __future__ import annotations

from typing import Any

import werkzeug.routing as wr
from werkzeug.exceptions import HTTPException as WerkzeugHTTPException

from erlen import routing as er
from erlen.exceptions import HTTPException, RequestRedirect

RuleSpec = tuple[str, dict[str, Any]]


# -- harness -------------------------------------------------------------------


def _werkzeug_map(rules: list[RuleSpec], **map_options: Any) -> wr.Map:
    converters = map_options.pop("converters", {})
    converters = {name: pair[1] for name, pair in converters.items()}
    return wr.Map(
        [wr.Rule(string, **options) for string, options in rules],
        converters=converters,
        **map_options,
    )


def _erlen_map(rules: list[RuleSpec], **map_options: Any) -> er.Map:
    converters = map_options.pop("converters", {})
    url_map = er.Map(**map_options)
    for name, pair in converters.items():
        # registered the Werkzeug way, after construction
        url_map.converters[name] = pair[0]
    for string, options in rules:
        url_map.add(er.Rule(string, **options))
    return url_map


def werkzeug_match(
    rules: list[RuleSpec], path: str, method: str = "GET", query: str = "", **map_options: Any
) -> tuple[Any, ...]:
    adapter = _werkzeug_map(rules, **map_options).bind("localhost", "/")
    try:
        rule, values = adapter.match(path, method, return_rule=True, query_args=query)
    except wr.RequestRedirect as error:
        return ("redirect", error.new_url.removeprefix("http://localhost"))
    except WerkzeugHTTPException as error:
        if error.code == 405:
            return (405, sorted(error.valid_methods))  # type: ignore[attr-defined]
        return (error.code,)
    return ("match", rule.endpoint, values)


def erlen_match(
    rules: list[RuleSpec], path: str, method: str = "GET", query: str = "", **map_options: Any
) -> tuple[Any, ...]:
    url_map = _erlen_map(rules, **map_options)
    try:
        rule, values = url_map.match(path, method, query)
    except RequestRedirect as error:
        return ("redirect", error.new_url)
    except HTTPException as error:
        if error.code == 405:
            return (405, sorted(error.valid_methods))  # type: ignore[attr-defined]
        return (error.code,)
    return ("match", rule.endpoint, values)


# -- custom converters, one written against each library ------------------------


class ErlenListConverter(er.BaseConverter):
    regex = r"[a-z]+(?:,[a-z]+)*"

    def to_python(self, value: str) -> list[str]:
        return value.split(",")

    def to_url(self, value: list[str]) -> str:
        return ",".join(super(ErlenListConverter, self).to_url(item) for item in value)


class WerkzeugListConverter(wr.BaseConverter):
    regex = r"[a-z]+(?:,[a-z]+)*"

    def to_python(self, value: str) -> list[str]:
        return value.split(",")

    def to_url(self, value: list[str]) -> str:
        return ",".join(super(WerkzeugListConverter, self).to_url(item) for item in value)


class ErlenEvenConverter(er.BaseConverter):
    regex = r"\d+"
    weight = 40

    def to_python(self, value: str) -> int:
        if int(value) % 2:
            raise er.ValidationError()
        return int(value)


class WerkzeugEvenConverter(wr.BaseConverter):
    regex = r"\d+"
    weight = 40

    def to_python(self, value: str) -> int:
        if int(value) % 2:
            raise wr.ValidationError()
        return int(value)


class ErlenSlashy(er.BaseConverter):
    regex = r"[^/]+/[^/]+"  # spans a slash: part_isolating becomes False


class WerkzeugSlashy(wr.BaseConverter):
    regex = r"[^/]+/[^/]+"


CUSTOM = {
    "list": (ErlenListConverter, WerkzeugListConverter),
    "even": (ErlenEvenConverter, WerkzeugEvenConverter),
    "slashy": (ErlenSlashy, WerkzeugSlashy),
}


def R(string: str, endpoint: str | None = None, **options: Any) -> RuleSpec:
    options["endpoint"] = endpoint or string
    return (string, options)
