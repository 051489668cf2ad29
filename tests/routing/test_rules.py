"""erlen.routing.Rule against werkzeug.routing.Rule: parsing, attributes, bad rules refused."""

from __future__ import annotations

import re
from typing import Any

import pytest
import werkzeug.routing as wr

from erlen import routing as er
from tests.routing.support import CUSTOM, R, _erlen_map, _werkzeug_map
from tests.routing.test_map import BUILD_RULES

# -- rules and the map -------------------------------------------------------------------


@pytest.mark.parametrize(
    "methods", [None, ["GET"], ["get", "post"], ("PUT",), {"HEAD"}, ["GET", "HEAD", "OPTIONS"]]
)
def test_rule_methods_like_werkzeug(methods: Any) -> None:
    assert er.Rule("/", methods=methods).methods == wr.Rule("/", methods=methods).methods


def test_rule_attributes_like_werkzeug() -> None:
    string = "/x/<int(min=1):id>/<name>/"
    ours = _erlen_map([R(string, "e", defaults={"extra": 1})])
    theirs = _werkzeug_map([R(string, "e", defaults={"extra": 1})])
    our_rule, their_rule = next(ours.iter_rules()), next(theirs.iter_rules())
    for attribute in ("rule", "endpoint", "methods", "defaults", "arguments", "is_leaf"):
        assert getattr(our_rule, attribute) == getattr(their_rule, attribute), attribute
    assert our_rule.strict_slashes is True and our_rule.merge_slashes is True
    assert str(our_rule) == string


def test_iter_rules_order_like_werkzeug() -> None:
    ours, theirs = (
        _erlen_map(BUILD_RULES, converters=CUSTOM),
        _werkzeug_map(BUILD_RULES, converters=CUSTOM),
    )
    assert [r.rule for r in ours.iter_rules()] == [r.rule for r in theirs.iter_rules()]
    assert [r.rule for r in ours.iter_rules("all")] == [r.rule for r in theirs.iter_rules("all")]


@pytest.mark.parametrize(
    "arguments",
    [
        "",
        "1",
        "1, 2",
        "min=1",
        "min = 1 , max=5",
        "1.5",
        "True, False, None",
        "'a', \"b\"",
        "u'x', r\"y\"",
        "'a,b', c",
        "name=value",
        "x.y",
        "'True'",
        "1_000",
        "1e5",
    ],
)
def test_converter_argument_parsing_like_werkzeug(arguments: str) -> None:
    assert er.parse_converter_args(arguments) == wr.parse_converter_args(arguments)


@pytest.mark.parametrize("arguments", ["=1", "'unterminated", "a b", "-1"])
def test_bad_converter_arguments_raise(arguments: str) -> None:
    with pytest.raises(er.RuleError):
        er.parse_converter_args(arguments)
    with pytest.raises(ValueError):
        wr.parse_converter_args(arguments)


@pytest.mark.parametrize("arguments", ["min=", "1, !!", "max=5 junk"])
def test_trailing_garbage_in_converter_arguments_is_refused(arguments: str) -> None:
    # deliberate difference: Werkzeug silently ignores what it cannot parse at the end
    with pytest.raises(er.RuleError, match="cannot parse converter arguments"):
        er.parse_converter_args(arguments)


@pytest.mark.parametrize("string", ["no-slash", "/<bad", "/<1x>", "/x/<int(min=1:y>"])
def test_malformed_rules_raise_rule_error(string: str) -> None:
    with pytest.raises(er.RuleError, match=re.escape(repr(string)[1:-1][:5])):
        er.Map([er.Rule(string, endpoint="e")])
    with pytest.raises(ValueError):
        wr.Map([wr.Rule(string, endpoint="e")])


def test_unknown_converter_is_lookup_error() -> None:
    with pytest.raises(LookupError, match="'nope'"):
        er.Map([er.Rule("/<nope:x>", endpoint="e")])


def test_control_characters_in_rule_refused() -> None:
    with pytest.raises(er.RuleError):
        er.Rule("/a\r\nb")


def test_methods_as_string_is_type_error() -> None:
    with pytest.raises(TypeError):
        er.Rule("/", methods="GET")


def test_rule_bound_twice_is_refused() -> None:
    rule = er.Rule("/", endpoint="e")
    er.Map([rule])
    with pytest.raises(RuntimeError):
        er.Map([rule])
