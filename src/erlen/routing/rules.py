"""Rules: parsing a rule string into parts and weights, and the compiled ``Rule``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from erlen.errors import describe
from erlen.routing.converters import _CONTROL_CHARACTERS, _PATH_SAFE, _QUERY_SAFE, BaseConverter
from erlen.routing.exceptions import ConverterLookupError, RuleError, ValidationError

if TYPE_CHECKING:
    from erlen.routing.map import Map


# A subdomain or host pattern: host characters and <converter(args):name> variables.
_DOMAIN_PIECE = re.compile(
    r"(?P<static>[A-Za-z0-9.:\-\[\]_]+)"
    r"|<(?:(?P<converter>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<arguments>[^)]*)\))?:)?"
    r"(?P<variable>[A-Za-z_][A-Za-z0-9_]*)>"
)
_DOMAIN_RULE = re.compile(f"(?:{_DOMAIN_PIECE.pattern})+")


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
