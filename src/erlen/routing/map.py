"""The URL map: rules added and compiled into a tree, matched against a path, built into URLs.

A static path (no converters) is found with one dict lookup; dynamic rules
live in a tree of path segments whose static edges are dict lookups and whose
dynamic edges are precompiled regexes tried in Werkzeug's weight order, so
matching results, redirects and errors are the ones Werkzeug gives for the
same rules.
"""

from __future__ import annotations

import re
from bisect import insort_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, urljoin

from erlen.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestRedirect
from erlen.routing.converters import (
    _CONTROL_CHARACTERS,
    _PATH_SAFE,
    DEFAULT_CONVERTERS,
    BaseConverter,
)
from erlen.routing.exceptions import BuildError, ValidationError, WebsocketMismatch
from erlen.routing.rules import Rule, RuleFactory, _Part


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
