"""URL routing compatible with Flask's ``app.url_map`` (Werkzeug's Map and Rule).

Rules are compiled when they are added. A static path (no converters) is found
with one dict lookup; dynamic rules live in a tree of path segments whose
static edges are dict lookups and whose dynamic edges are precompiled regexes
tried in Werkzeug's weight order, so matching results, redirects and errors
are the ones Werkzeug gives for the same rules.
"""

from __future__ import annotations

import difflib
import re
import uuid
from bisect import insort_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, urlencode, urljoin

from erlen.errors import ErlenError, describe
from erlen.exceptions import (
    BadRequest,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestRedirect,
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

# Characters left unescaped in a path segment / a query (WHATWG URL spec sets,
# the ones Werkzeug uses), so built URLs are byte-identical to Flask's.
_PATH_SAFE = "!$&'()*+,/:;=@"
_QUERY_SAFE = "!$'()*,/:;?@"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# A subdomain or host pattern: host characters and <converter(args):name> variables.
_DOMAIN_PIECE = re.compile(
    r"(?P<static>[A-Za-z0-9.:\-\[\]_]+)"
    r"|<(?:(?P<converter>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<arguments>[^)]*)\))?:)?"
    r"(?P<variable>[A-Za-z_][A-Za-z0-9_]*)>"
)
_DOMAIN_RULE = re.compile(f"(?:{_DOMAIN_PIECE.pattern})+")


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


# ---------------------------------------------------------------------------
# Converters


class BaseConverter:
    """Turns one URL variable into a Python value and back.

    Subclass and register with ``url_map.converters['name'] = MyConverter``;
    ``regex`` is what the variable matches, lower ``weight`` is tried first,
    and ``to_python`` may raise :class:`ValidationError` to refuse a value.
    """

    regex = "[^/]+"
    weight = 100
    part_isolating = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that sets its own regex spanning "/" must not be matched
        # one segment at a time, unless it says otherwise explicitly.
        if "regex" in cls.__dict__ and "part_isolating" not in cls.__dict__:
            cls.part_isolating = "/" not in cls.regex

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        self.map = map

    def to_python(self, value: str) -> Any:
        """The view argument for the matched text."""
        return value

    def to_url(self, value: Any) -> str:
        """The URL text for a value, percent-encoded as a path segment."""
        return quote(str(value), safe=_PATH_SAFE)


class UnicodeConverter(BaseConverter):
    """The default: one path segment, with optional ``minlength``/``maxlength``/``length``."""

    def __init__(
        self,
        map: Map,
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map)
        if length is not None:
            self.regex = f"[^/]{{{int(length)}}}"
        else:
            upper = "" if maxlength is None else str(int(maxlength))
            self.regex = f"[^/]{{{int(minlength)},{upper}}}"


class AnyConverter(BaseConverter):
    """One of a fixed set of words: ``<any(about, help):page>``."""

    def __init__(self, map: Map, *items: str) -> None:
        super().__init__(map)
        self.items = set(items)
        self.regex = "(?:" + "|".join(re.escape(item) for item in items) + ")"

    def to_url(self, value: Any) -> str:
        if value in self.items:
            return str(value)
        choices = ", ".join(repr(str(item)) for item in sorted(self.items))
        raise RuleError(f"any() value {describe(value)} is not one of {choices}")


class PathConverter(BaseConverter):
    """Like the default converter but spans slashes: ``<path:filename>``."""

    part_isolating = False
    regex = "[^/].*?"
    weight = 200


class NumberConverter(BaseConverter):
    """Shared behaviour of ``int`` and ``float``: ``min``, ``max``, ``signed``."""

    weight = 50
    num_convert: Callable[[Any], Any] = int

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | float | None = None,
        max: int | float | None = None,
        signed: bool = False,
    ) -> None:
        if signed:
            self.regex = "-?" + self.regex
        super().__init__(map)
        self.fixed_digits = fixed_digits
        self.min = min
        self.max = max
        self.signed = signed

    def to_python(self, value: str) -> Any:
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        try:
            number = self.num_convert(value)
        except ValueError as error:
            raise ValidationError() from error
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        text = str(self.num_convert(value))
        return text.zfill(self.fixed_digits) if self.fixed_digits else text


class IntegerConverter(NumberConverter):
    """Non-negative integers (``signed=True`` allows a minus): ``<int:id>``."""

    regex = r"\d+"

    def to_python(self, value: str) -> Any:
        # PERF: ``<int:id>`` without bounds or a digit count (the usual
        # form) needs only the conversion; the regex already checked the text.
        if self.fixed_digits or self.min is not None or self.max is not None:
            return super().to_python(value)
        try:
            return int(value)
        except ValueError as error:  # more digits than int() accepts
            raise ValidationError() from error


class FloatConverter(NumberConverter):
    """Decimal numbers with a dot: ``<float:ratio>``."""

    regex = r"\d+\.\d+"
    num_convert = float

    def __init__(
        self,
        map: Map,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, min=min, max=max, signed=signed)


class UUIDConverter(BaseConverter):
    """A UUID in 8-4-4-4-12 hex form, given to the view as ``uuid.UUID``."""

    regex = r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_url(self, value: Any) -> str:
        return str(value)


DEFAULT_CONVERTERS: Mapping[str, type[BaseConverter]] = MappingProxyType(
    {
        "default": UnicodeConverter,
        "string": UnicodeConverter,
        "any": AnyConverter,
        "path": PathConverter,
        "int": IntegerConverter,
        "float": FloatConverter,
        "uuid": UUIDConverter,
    }
)


# ---------------------------------------------------------------------------
# Rule strings

_RULE_PIECE = re.compile(
    r"""
    (?P<slash>/)
    | (?P<static>[^</]+)
    | <
        (?: (?P<converter>[A-Za-z_][A-Za-z0-9_]*)
            (?: \( (?P<arguments>.*?) \) )?
            : )?
        (?P<variable>[A-Za-z_][A-Za-z0-9_]*)
      >
    """,
    re.VERBOSE,
)

# One converter argument: ``name=value`` or ``value``, then a comma or the end.
_CONVERTER_ARGUMENT = re.compile(
    r"""
    \s* (?: (?P<name>\w+) \s* = \s* )?
    (?: [urUR]? (?P<quoted> "[^"]*" | '[^']*' ) | (?P<bare> [\w.]+ ) )
    \s* (?: , | \Z )
    """,
    re.VERBOSE,
)
_CONSTANTS: dict[str, Any] = {"None": None, "True": True, "False": False}


def _argument_value(text: str) -> Any:
    if text in _CONSTANTS:
        return _CONSTANTS[text]
    for number_type in (int, float):
        try:
            return number_type(text)
        except ValueError:
            pass
    return text


def parse_converter_args(text: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``'1, max=5'`` -> ``((1,), {'max': 5})`` as Werkzeug reads converter arguments."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    position = 0
    end = len(text)
    while position < end:
        found = _CONVERTER_ARGUMENT.match(text, position)
        if found is None or found.end() == position:
            raise RuleError(f"cannot parse converter arguments {text!r} at {text[position:]!r}")
        quoted = found.group("quoted")
        value = quoted[1:-1] if quoted is not None else _argument_value(found.group("bare"))
        name = found.group("name")
        if name is None:
            args.append(value)
        else:
            kwargs[name] = value
        position = found.end()
    return tuple(args), kwargs


class _Part:
    """One edge of the matching tree: a literal segment or a compiled regex."""

    __slots__ = (
        "content",
        "final",
        "groups",
        "key",
        "pattern",
        "single",
        "static",
        "suffixed",
        "weight",
    )

    def __init__(
        self,
        content: str,
        static: bool,
        final: bool,
        suffixed: bool,
        weight: tuple[Any, ...],
        group_names: list[str],
    ) -> None:
        self.content = content
        self.static = static
        self.final = final
        self.suffixed = suffixed
        self.weight = weight
        self.key = (content, static, final, suffixed, weight)
        if static:
            self.pattern: re.Pattern[str] | None = None
            self.groups: tuple[int, ...] = ()
        else:
            self.pattern = re.compile(content)
            self.groups = tuple(self.pattern.groupindex[name] for name in group_names)
        self.single = self.groups[0] if len(self.groups) == 1 else 0


def _weight(static_weights: list[tuple[int, int]], argument_weights: list[Any]) -> tuple[Any, ...]:
    # Sort key of a dynamic edge: more literal text first (longer literals
    # earlier), then more variables, then lighter converters (int before
    # string before path). This is the order Werkzeug tries them in.
    return (
        -len(static_weights),
        tuple(static_weights),
        -len(argument_weights),
        tuple(argument_weights),
    )


class RuleFactory:
    """Something that yields rules for a map (a Rule yields itself)."""

    def get_rules(self, map: Map) -> Iterable[Rule]:
        """The rules to add to ``map``."""
        raise NotImplementedError


class Rule(RuleFactory):
    """One URL pattern such as ``/user/<int:id>`` and the endpoint it leads to.

    ``methods`` is stored upper-case, with HEAD added when GET is present.
    ``defaults`` supplies values for variables the pattern lacks; a URL that
    spells out a default redirects to the rule with the default.
    """

    def __init__(
        self,
        string: str,
        defaults: Mapping[str, Any] | None = None,
        subdomain: str | None = None,
        methods: Iterable[str] | None = None,
        build_only: bool = False,
        endpoint: Any = None,
        strict_slashes: bool | None = None,
        merge_slashes: bool | None = None,
        redirect_to: str | Callable[..., str] | None = None,
        alias: bool = False,
        host: str | None = None,
        websocket: bool = False,
    ) -> None:
        if not isinstance(string, str):
            raise RuleError(f"URL rule must be a str: {describe(string)}")
        if not string.startswith("/"):
            raise RuleError(f"URL rule must start with a slash: {describe(string)}")
        if _CONTROL_CHARACTERS.search(string):
            raise RuleError(f"URL rule must not contain control characters: {describe(string)}")
        self.rule = string
        self.is_leaf = not string.endswith("/")
        self.is_branch = string.endswith("/")
        self.map: Map = None  # type: ignore[assignment]
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.subdomain = subdomain
        self.host = host
        self.defaults = defaults
        self.build_only = build_only
        self.alias = alias
        self.websocket = websocket
        # Set by the app: whether OPTIONS is answered automatically for this rule.
        self.provide_automatic_options = False
        method_set: set[str] | None = None
        if methods is not None:
            if isinstance(methods, str):
                raise TypeError("'methods' should be a list of strings.")
            method_set = {method.upper() for method in methods}
            if "GET" in method_set:
                method_set.add("HEAD")
            for method in method_set:
                if _CONTROL_CHARACTERS.search(method) or not method:
                    raise RuleError(f"rule method must be a token: {describe(method)}")
            if websocket and method_set - {"GET", "HEAD", "OPTIONS"}:
                raise RuleError(
                    "WebSocket rules can only use 'GET', 'HEAD', and 'OPTIONS' methods."
                )
        self.methods = method_set
        self.endpoint: Any = endpoint
        self.redirect_to = redirect_to
        self.arguments: set[str] = set(map(str, defaults)) if defaults else set()
        self._converters: dict[str, BaseConverter] = {}
        self._converter_items: tuple[tuple[str, BaseConverter], ...] = ()
        self._trace: list[tuple[bool, str]] = []
        self._parts: list[_Part] = []
        self._build_ops: list[tuple[bool, str]] = []
        self._consumed: frozenset[str] = frozenset()
        self._default_providers: list[Rule] = []
        # true when a match on this rule needs nothing beyond returning it
        self._plain = False

    # -- construction ---------------------------------------------------------

    def empty(self) -> Rule:
        """An unbound copy of this rule."""
        return type(self)(self.rule, **self.get_empty_kwargs())

    def get_empty_kwargs(self) -> Mapping[str, Any]:
        """The keyword arguments ``empty()`` passes to the constructor."""
        return {
            "defaults": dict(self.defaults) if self.defaults else None,
            "subdomain": self.subdomain,
            "methods": self.methods,
            "build_only": self.build_only,
            "endpoint": self.endpoint,
            "strict_slashes": self.strict_slashes,
            "redirect_to": self.redirect_to,
            "alias": self.alias,
            "host": self.host,
        }

    def get_rules(self, map: Map) -> Iterator[Rule]:
        yield self

    def bind(self, map: Map, rebind: bool = False) -> None:
        """Attach to ``map`` and compile (a rule belongs to one map)."""
        if self.map is not None and not rebind:
            raise RuntimeError(f"url rule {self!r} already bound to map {self.map!r}")
        self.map = map
        if self.subdomain is None:
            self.subdomain = map.default_subdomain
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        if self.merge_slashes is None:
            self.merge_slashes = map.merge_slashes
        self.compile()

    def refresh(self) -> None:
        """Recompile after the rule was changed in place."""
        self.bind(self.map, rebind=True)

    def get_converter(
        self,
        variable_name: str,
        converter_name: str,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
    ) -> BaseConverter:
        """The converter instance for one variable of this rule."""
        converter_class = self.map.converters.get(converter_name)
        if converter_class is None:
            raise ConverterLookupError(
                f"the converter {converter_name!r} (variable {variable_name!r}"
                f" in rule {self.rule!r}) does not exist"
            )
        return converter_class(self.map, *args, **kwargs)

    def compile(self) -> None:
        """Parse the rule string into matching parts and build operations."""
        self._parts = []
        self._trace = []
        self._converters = {}
        rule = self.rule
        if self.merge_slashes:
            rule = re.sub("/{2,}", "/", rule)
        self._parts = self._parse(rule)
        self._converter_items = tuple(self._converters.items())
        self._compile_domain()
        defaults = self.defaults or {}
        operations: list[tuple[bool, str]] = []
        for dynamic, data in self._trace:
            if dynamic and data in defaults:
                # a default for a variable in the pattern is a constant
                operations.append((False, self._converters[data].to_url(defaults[data])))
            elif dynamic:
                operations.append((True, data))
            else:
                operations.append((False, quote(data, safe=_PATH_SAFE)))
        merged: list[tuple[bool, str]] = []
        for operation in operations:
            if merged and not operation[0] and not merged[-1][0]:
                merged[-1] = (False, merged[-1][1] + operation[1])
            else:
                merged.append(operation)
        self._build_ops = merged
        self._consumed = frozenset(self.arguments) | frozenset(map(str, defaults))

    @property
    def domain_rule(self) -> str:
        """The host (host matching) or subdomain pattern this rule matches on."""
        if self.map is not None and self.map.host_matching:
            return self.host or ""
        return self.subdomain or ""

    def _compile_domain(self) -> None:
        """Compile the subdomain or host pattern (``<user>.example.com``, ``api``)."""
        domain = self.domain_rule
        self._domain_converters: dict[str, BaseConverter] = {}
        self._domain_ops: list[tuple[bool, str]] = []
        self._domain_pattern: re.Pattern[str] | None = None
        if not domain:
            return
        what = "host" if self.map.host_matching else "subdomain"
        if not isinstance(domain, str) or not _DOMAIN_RULE.fullmatch(domain):
            raise RuleError(
                f"malformed {what} {describe(domain)} in rule {self.rule!r}: use letters,"
                " digits, '-', '.', ':' and <converter:name> variables"
            )
        regex = ""
        for piece in _DOMAIN_PIECE.finditer(domain):
            variable = piece.group("variable")
            if variable is None:
                text = piece.group("static")
                regex += re.escape(text)
                self._domain_ops.append((False, text))
                continue
            if variable in self._converters or variable in self._domain_converters:
                raise RuleError(
                    f"variable name {variable!r} used twice in rule {self.rule!r}"
                    f" ({what} {domain!r})"
                )
            args, kwargs = parse_converter_args(piece.group("arguments") or "")
            converter = self.get_converter(
                variable, piece.group("converter") or "default", args, kwargs
            )
            self._domain_converters[variable] = converter
            self.arguments.add(variable)
            regex += f"(?P<{variable}>{converter.regex})"
            self._domain_ops.append((True, variable))
        if self._domain_converters:
            self._domain_pattern = re.compile(regex + r"\Z")

    def _match_domain(self, domain: str) -> dict[str, Any] | None:
        """The domain's variables when ``domain`` fits this rule's pattern, else None."""
        pattern = self._domain_pattern
        if pattern is None:
            return {} if domain == self.domain_rule else None
        found = pattern.match(domain)
        if found is None:
            return None
        try:
            return {
                name: converter.to_python(found.group(name))
                for name, converter in self._domain_converters.items()
            }
        except ValidationError:
            return None

    def _build_domain(self, values: Mapping[str, Any]) -> str:
        return "".join(
            self._domain_converters[data].to_url(values[data]) if dynamic else data
            for dynamic, data in self._domain_ops
        )

    def _parse(self, rule: str) -> list[_Part]:
        parts: list[_Part] = []
        content = ""
        static = True
        final = False
        static_weights: list[tuple[int, int]] = []
        argument_weights: list[Any] = []
        group_names: list[str] = []
        position = 0
        while position < len(rule):
            piece = _RULE_PIECE.match(rule, position)
            if piece is None:
                raise RuleError(f"malformed url rule: {rule!r} at {rule[position:]!r}")
            position = piece.end()
            text = piece.group("static")
            if text is not None:
                static_weights.append((len(static_weights), -len(text)))
                self._trace.append((False, text))
                content += text if static else re.escape(text)
                continue
            variable = piece.group("variable")
            if variable is not None:
                if static:
                    content = re.escape(content)
                    static = False
                if variable in self._converters:
                    raise RuleError(f"variable name {variable!r} used twice in rule {self.rule!r}")
                args, kwargs = parse_converter_args(piece.group("arguments") or "")
                converter = self.get_converter(
                    variable, piece.group("converter") or "default", args, kwargs
                )
                self._converters[variable] = converter
                self.arguments.add(variable)
                if not converter.part_isolating:
                    final = True
                group = f"erlen_{len(group_names)}"
                group_names.append(group)
                content += f"(?P<{group}>{converter.regex})"
                argument_weights.append(converter.weight)
                self._trace.append((True, variable))
                continue
            self._trace.append((False, "/"))
            if final:
                content += "/"
                continue
            if not static:
                content += r"\Z"
            parts.append(
                _Part(
                    content,
                    static,
                    False,
                    False,
                    _weight(static_weights, argument_weights),
                    group_names,
                )
            )
            content, static, final = "", True, False
            static_weights, argument_weights, group_names = [], [], []
        suffixed = final and content.endswith("/")
        if suffixed:
            # A slash-spanning variable followed by a trailing slash: capture the
            # slash separately so "/x/y" can be redirected to "/x/y/".
            content = content[:-1] + "(?<!/)(/?)"
        if not static:
            content += r"\Z"
        weight = _weight(static_weights, argument_weights)
        parts.append(_Part(content, static, final, suffixed, weight, group_names))
        if suffixed:
            parts.append(_Part("", True, False, False, weight, []))
        return parts

    # -- building -------------------------------------------------------------

    def suitable_for(self, values: Mapping[str, Any], method: str | None = None) -> bool:
        """True when ``values`` (and ``method``) are enough to build this rule."""
        if method is not None and self.methods is not None and method not in self.methods:
            return False
        defaults = self.defaults or {}
        for name in self.arguments:
            if name not in defaults and name not in values:
                return False
        for name, value in defaults.items():
            if name in values and value != values[name]:
                return False
        return True

    def provides_defaults_for(self, rule: Rule) -> bool:
        """True when this rule supplies defaults for ``rule`` (same endpoint and arguments)."""
        return bool(
            not self.build_only
            and self.defaults
            and self.endpoint == rule.endpoint
            and self != rule
            and self.arguments == rule.arguments
        )

    def build(
        self, values: Mapping[str, Any], append_unknown: bool = True
    ) -> tuple[str, str] | None:
        """``(domain, path)`` for ``values``; ``None`` when a converter refuses a value.

        ``domain`` is the built subdomain or host ('' for the default one).
        """
        try:
            pieces = [
                self._converters[data].to_url(values[data]) if dynamic else data
                for dynamic, data in self._build_ops
            ]
            domain = self._build_domain(values) if self._domain_ops else ""
        except ValidationError:
            return None
        path = "".join(pieces) or ""
        if append_unknown:
            consumed = self._consumed
            extra = [(key, value) for key, value in values.items() if key not in consumed]
            if extra:
                query = self._encode_query(extra)
                if query:
                    path = f"{path}?{query}"
        return domain, path

    def _encode_query(self, items: list[tuple[str, Any]]) -> str:
        pairs: list[tuple[str, Any]] = []
        for key, value in items:
            if isinstance(value, (list, tuple, set)):
                pairs.extend((key, item) for item in value)
            else:
                pairs.append((key, value))
        if self.map.sort_parameters:
            pairs.sort(key=self.map.sort_key)
        return urlencode([pair for pair in pairs if pair[1] is not None], safe=_QUERY_SAFE)

    def build_compare_key(self) -> tuple[int, int, int]:
        """Order among rules of one endpoint: non-alias, more arguments, more defaults first."""
        return (1 if self.alias else 0, -len(self.arguments), -len(self.defaults or ()))

    # -- identity -------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and self._trace == other._trace

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.rule

    def __repr__(self) -> str:
        if self.map is None:
            return f"<{type(self).__name__} (unbound)>"
        shown = "".join(f"<{data}>" if dynamic else data for dynamic, data in self._trace)
        methods = f" ({', '.join(sorted(self.methods))})" if self.methods is not None else ""
        return f"<{type(self).__name__} {shown!r}{methods} -> {self.endpoint}>"


# ---------------------------------------------------------------------------
# The map


class _State:
    """A node of the matching tree: rules ending here and the edges onward."""

    __slots__ = ("dynamic", "rules", "static")

    def __init__(self) -> None:
        self.static: dict[str, _State] = {}
        self.dynamic: list[tuple[_Part, _State]] = []
        self.rules: list[Rule] = []


class _SlashRequired(Exception):
    pass


_TRAILING_SLASH_PARTS = [""]
_MERGE_SLASHES = re.compile("/{2,}")


def _edge_weight(edge: tuple[_Part, _State]) -> tuple[Any, ...]:
    return edge[0].weight


def _quote_controls(text: str) -> str:
    # Control characters never reach a Location header: percent-encode them.
    return _CONTROL_CHARACTERS.sub(lambda found: quote(found.group()), text)


class Map:
    """The rules of an app (``app.url_map``): add, match and build URLs."""

    default_converters: Mapping[str, type[BaseConverter]] = DEFAULT_CONVERTERS

    def __init__(
        self,
        rules: Iterable[RuleFactory] | None = None,
        default_subdomain: str = "",
        strict_slashes: bool = True,
        merge_slashes: bool = True,
        redirect_defaults: bool = True,
        converters: Mapping[str, type[BaseConverter]] | None = None,
        sort_parameters: bool = False,
        sort_key: Callable[[Any], Any] | None = None,
        host_matching: bool = False,
    ) -> None:
        self.default_subdomain = default_subdomain
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.redirect_defaults = redirect_defaults
        self._host_matching = host_matching
        self.converters: dict[str, type[BaseConverter]] = dict(self.default_converters)
        if converters:
            self.converters.update(converters)
        self.sort_parameters = sort_parameters
        self.sort_key = sort_key
        self._root = _State()
        # PERF: path -> rules of fully static patterns, in tree order; a static
        # request is answered by this one lookup without walking the tree.
        self._static: dict[str, list[Rule]] = {}
        # (path, method) -> the plain static rule the lookup below found for
        # them; only canonical keys are stored, so it holds at most one entry
        # per static rule and method. Cleared whenever a rule is added.
        self._static_hits: dict[tuple[str, str], Rule] = {}
        self._rules_by_endpoint: dict[Any, list[Rule]] = {}
        # Rules matched on a subdomain or host other than the default: one
        # sub-map per pattern, keyed by it (empty for most apps, whose
        # matching then never looks at the host).
        self._domains: dict[str, tuple[Rule, Map]] = {}
        self._routes_on_host = host_matching
        for factory in rules or ():
            self.add(factory)

    #: Whether matching looks at the request's host (PERF: one attribute read
    #: per request decides it; false for an app without host or subdomain rules).
    _routes_on_host = False

    @property
    def host_matching(self) -> bool:
        """Whether rules match on the full host (``Rule(host=...)``) instead of a subdomain."""
        return self._host_matching

    @host_matching.setter
    def host_matching(self, value: bool) -> None:
        self._host_matching = value
        self._routes_on_host = bool(value or self._domains)

    # -- registration ---------------------------------------------------------

    def add(self, rulefactory: RuleFactory) -> None:
        """Bind and compile a rule (or every rule of a factory) into the map."""
        self._static_hits.clear()
        for rule in rulefactory.get_rules(self):
            rule.bind(self)
            if not rule.build_only:
                domain = rule.domain_rule
                if domain:
                    self._domain_map(rule)._insert(rule)
                else:
                    self._insert(rule)
            rules = self._rules_by_endpoint.setdefault(rule.endpoint, [])
            rules.append(rule)
            rules.sort(key=Rule.build_compare_key)
            self._refresh_endpoint(rules)

    def _domain_map(self, rule: Rule) -> Map:
        """The sub-map holding the rules of ``rule``'s subdomain or host pattern."""
        entry = self._domains.get(rule.domain_rule)
        if entry is None:
            sub_map = Map(
                strict_slashes=self.strict_slashes,
                merge_slashes=self.merge_slashes,
                redirect_defaults=self.redirect_defaults,
            )
            sub_map.converters = self.converters
            # Shared: alias redirects and defaults build through the whole map.
            sub_map._rules_by_endpoint = self._rules_by_endpoint
            entry = self._domains[rule.domain_rule] = (rule, sub_map)
            self._routes_on_host = True
        entry[1]._static_hits.clear()
        return entry[1]

    def _insert(self, rule: Rule) -> None:
        state = self._root
        for part in rule._parts:
            if part.static:
                next_state = state.static.get(part.content)
                if next_state is None:
                    next_state = state.static[part.content] = _State()
                state = next_state
                continue
            for existing, existing_state in state.dynamic:
                if existing.key == part.key:
                    state = existing_state
                    break
            else:
                next_state = _State()
                # stable: equal weights keep registration order
                insort_right(state.dynamic, (part, next_state), key=_edge_weight)
                state = next_state
        state.rules.append(rule)
        if not rule.websocket and all(part.static for part in rule._parts):
            path = "/".join(part.content for part in rule._parts)
            self._static.setdefault(path, []).append(rule)

    def _refresh_endpoint(self, rules: list[Rule]) -> None:
        for index, rule in enumerate(rules):
            rule._default_providers = [
                earlier for earlier in rules[:index] if earlier.provides_defaults_for(rule)
            ]
            rule._plain = (
                not (rule.defaults or rule.alias or rule.redirect_to is not None)
                and not rule._default_providers
            )

    def iter_rules(self, endpoint: Any | None = None) -> Iterator[Rule]:
        """Every rule (grouped by endpoint), or the rules of one endpoint."""
        if endpoint is not None:
            return iter(self._rules_by_endpoint[endpoint])
        return iter(self._rules)

    @property
    def _rules(self) -> list[Rule]:
        return [rule for rules in self._rules_by_endpoint.values() for rule in rules]

    def is_endpoint_expecting(self, endpoint: Any, *arguments: str) -> bool:
        """True when some rule of ``endpoint`` takes all of ``arguments``."""
        wanted = set(arguments)
        return any(wanted <= rule.arguments for rule in self._rules_by_endpoint[endpoint])

    def update(self) -> None:
        """Kept for Werkzeug compatibility: rules are already compiled on ``add``."""

    # -- matching -------------------------------------------------------------

    def match(
        self,
        path: str,
        method: str = "GET",
        query_string: str = "",
        *,
        domain: str | None = None,
    ) -> tuple[Rule, dict[str, Any]]:
        """The rule and view arguments for a decoded path (PATH_INFO).

        Raises ``NotFound``, ``MethodNotAllowed`` (path known, method not), or
        ``RequestRedirect`` whose ``new_url`` is the canonical path plus the
        query string: a missing trailing slash, merged slashes, or defaults.
        ``domain`` is the request's subdomain (or host, with ``host_matching``);
        it matters only when some rule has a subdomain or host.
        """
        if domain is not None and self._routes_on_host:
            return self._match_domain(
                "/" + path.lstrip("/") if path else "", method.upper(), query_string, domain
            )
        key = (path, method)
        hit = self._static_hits.get(key)
        if hit is not None:
            return hit, {}
        return self._match_canonical(
            "/" + path.lstrip("/") if path else "", method.upper(), query_string, key
        )

    def _match_canonical(
        self, path: str, method: str, query_string: str, key: tuple[str, str] | None = None
    ) -> tuple[Rule, dict[str, Any]]:
        """:meth:`match` for a path with one leading slash and an upper-case method.

        ``key`` is the caller's (path, method) before normalizing, when it
        differs: a static hit is remembered under it only if it is canonical.
        """
        if key is None:
            key = (path, method)
            hit = self._static_hits.get(key)
            if hit is not None:
                return hit, {}
        rules = self._static.get(path)
        if rules is not None:
            for rule in rules:
                methods = rule.methods
                if methods is None or method in methods:
                    if rule._plain:
                        if key == (path, method):
                            self._static_hits[key] = rule
                        return rule, {}
                    return self._finish(rule, {}, method, path, query_string)
        parts = path.split("/")
        quick = self._walk_greedy(parts, method)
        if quick is not None:
            try:
                values = self._convert(*quick)
            except ValidationError:
                pass  # the full walk below finds the same rule and reports it
            else:
                rule = quick[0]
                if rule._plain:
                    return rule, values
                return self._finish(rule, values, method, path, query_string)
        seen: set[str] = set()
        flags = [False]  # [websocket mismatch]
        try:
            found = self._walk(self._root, parts, 0, [], method, seen, flags)
        except _SlashRequired:
            raise self._redirect(path + "/", query_string) from None
        if found is None:
            if self.merge_slashes and "//" in path:
                merged = _MERGE_SLASHES.sub("/", path)
                try:
                    found = self._walk(self._root, merged.split("/"), 0, [], method, seen, flags)
                except _SlashRequired:
                    raise self._redirect(merged + "/", query_string) from None
                if found is not None and found[0].merge_slashes is not False:
                    raise self._redirect(merged, query_string)
            raise self._no_match(seen, flags[0])
        rule, texts = found
        try:
            values = self._convert(rule, texts)
        except ValidationError:
            raise self._no_match(seen, flags[0]) from None
        if rule._plain:
            return rule, values
        return self._finish(rule, values, method, path, query_string)

    def _match_domain(
        self, path: str, method: str, query_string: str, domain: str
    ) -> tuple[Rule, dict[str, Any]]:
        """Match in each sub-map whose pattern fits ``domain``: literal patterns
        first, then patterns with variables, in registration order."""
        candidates: list[tuple[Map, dict[str, Any]]] = []
        if domain == "":
            candidates.append((self, {}))
        entry = self._domains.get(domain)
        if entry is not None and entry[0]._domain_pattern is None:
            candidates.append((entry[1], {}))
        for pattern_rule, sub_map in self._domains.values():
            if pattern_rule._domain_pattern is not None:
                values = pattern_rule._match_domain(domain)
                if values is not None:
                    candidates.append((sub_map, values))
        allowed: set[str] = set()
        websocket_mismatch = False
        for candidate, domain_values in candidates:
            try:
                rule, values = candidate._match_canonical(path, method, query_string)
            except MethodNotAllowed as error:
                allowed.update(error.valid_methods or ())
                continue
            except WebsocketMismatch:
                websocket_mismatch = True
                continue
            except NotFound:
                continue
            if domain_values:
                values = {**domain_values, **values}
            return rule, values
        raise self._no_match(allowed, websocket_mismatch)

    @staticmethod
    def _convert(rule: Rule, texts: list[str]) -> dict[str, Any]:
        """The view arguments from the matched texts (ValidationError when one is refused)."""
        items = rule._converter_items
        if len(texts) == 1:
            # PERF: one variable is the common case; no loop, no zip
            name, converter = items[0]
            return {name: converter.to_python(texts[0])}
        values = {}
        for index in range(min(len(items), len(texts))):
            name, converter = items[index]
            values[name] = converter.to_python(texts[index])
        return values

    def _walk_greedy(self, parts: list[str], method: str) -> tuple[Rule, list[str]] | None:
        """The walk's answer when no step needs backtracking, else None.

        PERF: at each segment the walk below tries the literal edge, then the
        regex edges in order; taking the first that fits and never going back
        reaches the same rule whenever it reaches one, without the recursion.
        Anything else (a dead end, a path converter, a trailing slash, a
        method or websocket mismatch) returns None for the full walk.
        """
        state = self._root
        values: list[str] = []
        for part in parts:
            next_state = state.static.get(part)
            if next_state is not None:
                state = next_state
                continue
            for edge, edge_state in state.dynamic:
                if edge.final or edge.suffixed:
                    return None
                matched = edge.pattern.match(part)  # type: ignore[union-attr]
                if matched is not None:
                    if edge.single:
                        values.append(matched.group(edge.single))
                    else:
                        values.extend(matched.group(*edge.groups))
                    state = edge_state
                    break
            else:
                return None
        for rule in state.rules:
            methods = rule.methods
            if (methods is None or method in methods) and not rule.websocket:
                return rule, values
        return None

    def _walk(
        self,
        state: _State,
        parts: list[str],
        index: int,
        values: list[str],
        method: str,
        seen: set[str],
        flags: list[bool],
    ) -> tuple[Rule, list[str]] | None:
        # Depth first, literal edges before regex edges, regex edges in weight
        # order: the first rule reached wins, exactly as in Werkzeug.
        count = len(parts)
        if index == count:
            for rule in state.rules:
                methods = rule.methods
                if methods is not None and method not in methods:
                    seen.update(methods)
                elif rule.websocket:
                    flags[0] = True
                else:
                    return rule, values
            slash_state = state.static.get("")
            if slash_state is not None:
                for rule in slash_state.rules:
                    if not rule.websocket and (rule.methods is None or method in rule.methods):
                        if rule.strict_slashes:
                            raise _SlashRequired
                        return rule, values
            return None
        part = parts[index]
        next_state = state.static.get(part)
        if next_state is not None:
            found = self._walk(next_state, parts, index + 1, values, method, seen, flags)
            if found is not None:
                return found
        for edge, edge_state in state.dynamic:
            if edge.final:
                target = "/".join(parts[index:])
                rest, rest_index = parts, count
            else:
                target = part
                rest, rest_index = parts, index + 1
            matched = edge.pattern.match(target)  # type: ignore[union-attr]
            if matched is None:
                continue
            if edge.suffixed and matched.group(matched.re.groups) == "/":
                rest, rest_index = _TRAILING_SLASH_PARTS, 0
            found = self._walk(
                edge_state,
                rest,
                rest_index,
                # PERF: one converter per segment is the common case; skip the
                # tuple that group(*indices) would build
                [*values, matched.group(edge.single)]
                if edge.single
                else values + list(matched.group(*edge.groups)),
                method,
                seen,
                flags,
            )
            if found is not None:
                return found
        if index == count - 1 and part == "":
            # "/x/" may match a rule "/x" whose strict_slashes is off
            for rule in state.rules:
                if rule.strict_slashes:
                    continue
                methods = rule.methods
                if methods is not None and method not in methods:
                    seen.update(methods)
                elif rule.websocket:
                    flags[0] = True
                else:
                    return rule, values
        return None

    @staticmethod
    def _no_match(seen: set[str], websocket_mismatch: bool) -> HTTPException:
        if seen:
            # sorted: Werkzeug's order here depends on the string hash seed
            return MethodNotAllowed(valid_methods=sorted(seen))
        if websocket_mismatch:
            return WebsocketMismatch()
        return NotFound()

    @staticmethod
    def _redirect(path: str, query_string: str) -> RequestRedirect:
        new_url = "/" + quote(path, safe=_PATH_SAFE).lstrip("/")
        if query_string:
            new_url = f"{new_url}?{_quote_controls(query_string)}"
        return RequestRedirect(new_url)

    def _finish(
        self, rule: Rule, values: dict[str, Any], method: str, path: str, query_string: str
    ) -> tuple[Rule, dict[str, Any]]:
        if rule.defaults:
            values.update(rule.defaults)
        if rule.alias and self.redirect_defaults:
            url = self.build(rule.endpoint, values, method, append_unknown=False)
            if query_string:
                url = f"{url}?{_quote_controls(query_string)}"
            raise RequestRedirect(url)
        if self.redirect_defaults:
            for provider in rule._default_providers:
                if provider.suitable_for(values, method):
                    values.update(provider.defaults or {})
                    built = provider.build(values)
                    if built is not None:
                        raise self._redirect_built(built[1], query_string)
        redirect_to = rule.redirect_to
        if redirect_to is not None:
            if isinstance(redirect_to, str):

                def substitute(found: re.Match[str]) -> str:
                    name = found.group(1)
                    return rule._converters[name].to_url(values[name])

                target = re.sub(r"<([^>]+)>", substitute, redirect_to)
            else:
                target = redirect_to(self, **values)
            raise RequestRedirect(_quote_controls(urljoin("/", target)))
        return rule, values

    @staticmethod
    def _redirect_built(path: str, query_string: str) -> RequestRedirect:
        new_url = "/" + path.lstrip("/")
        if query_string:
            new_url = f"{new_url}?{_quote_controls(query_string)}"
        return RequestRedirect(new_url)

    def allowed_methods(self, path: str, domain: str | None = None) -> set[str]:
        """The methods some rule accepts for ``path`` (empty when any method is)."""
        try:
            self.match(path, "--", domain=domain)
        except MethodNotAllowed as error:
            return set(error.valid_methods or ())
        except HTTPException:
            pass
        return set()

    # -- building -------------------------------------------------------------

    def build(
        self,
        endpoint: Any,
        values: Mapping[str, Any] | None = None,
        method: str | None = None,
        append_unknown: bool = True,
    ) -> str:
        """The path for ``endpoint`` with ``values``; unknown values form the query.

        ``None`` values are dropped and list values repeat their key. Raises
        :class:`BuildError` when no rule of the endpoint fits.
        """
        return self.build_with_domain(endpoint, values, method, append_unknown)[1]

    def build_with_domain(
        self,
        endpoint: Any,
        values: Mapping[str, Any] | None = None,
        method: str | None = None,
        append_unknown: bool = True,
    ) -> tuple[str, str]:
        """Like :meth:`build`, returning ``(subdomain or host, path)``."""
        given = {key: value for key, value in values.items() if value is not None} if values else {}
        rules = self._rules_by_endpoint.get(endpoint, ())
        built: tuple[str, str] | None = None
        # With no method asked for, rules serving GET win over the others.
        for wanted in ("GET", None) if method is None else (method,):
            for rule in rules:
                if rule.suitable_for(given, wanted):
                    built = rule.build(given, append_unknown)
                    if built is not None:
                        return built[0], "/" + built[1].lstrip("/")
        raise BuildError(endpoint, given, method, self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._rules!r})"
