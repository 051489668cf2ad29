"""Cookies: Set-Cookie values cannot add attributes; request cookies cannot spoof prefixes."""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st
from werkzeug.http import dump_cookie as werkzeug_dump_cookie

import erlen
from erlen.errors import ErlenError
from erlen.http.cookies import dump_cookie, parse_cookie
from tests.security.wire import serve_both

# What the value part of "key=value" may look like on the wire: a cookie-octet
# token or a quoted string with backslash escapes; no ';', no raw controls.
_VALUE = re.compile(r'[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*|"(?:[\x20-\x7e]|\\.)*"')


@pytest.mark.parametrize(
    "value",
    ["a;Domain=evil.example", "a; Secure", "a,b=c", 'a"b', "a\\b", "caf\u00e9", "\u2028",
     "x\x7fy", "\x19", " lead", "tail ", "a=b"],
)  # fmt: skip
def test_cookie_injection_value_is_quoted_like_werkzeug(value: str) -> None:
    ours = dump_cookie("k", value)
    theirs = werkzeug_dump_cookie("k", value)
    assert ours == theirs
    assert ours.count(";") == ours.count("; Path=")  # the only ';' starts our own attribute
    assert parse_cookie(ours.split("; Path=")[0]) == [("k", value)]


@settings(max_examples=300, deadline=None)
@given(st.text().filter(lambda v: not any(c in v for c in "\r\n\x00")))
def test_cookie_injection_any_value_stays_one_attribute(value: str) -> None:
    try:
        header = dump_cookie("k", value, path="/", samesite="Lax")
    except ErlenError:
        return  # e.g. lone surrogates, refused at the call
    assert header.startswith("k=")
    value_part, _, rest = header[2:].partition("; Path=/")
    assert rest == "; SameSite=Lax"
    assert _VALUE.fullmatch(value_part), value_part
    assert parse_cookie(f"k={value_part}") == [("k", value)]


@pytest.mark.parametrize(
    ("field", "value"),
    [("path", "/a;Domain=evil"), ("domain", "good.example;Secure"), ("domain", "a\x1bb"),
     ("samesite", "Lax; Secure"), ("samesite", "Sometimes"), ("expires", "x; Domain=evil"),
     ("secure", "yes"), ("httponly", 1), ("max_age", "10; Domain=evil")],
)  # fmt: skip
def test_cookie_injection_every_attribute_is_checked(field: str, value: Any) -> None:
    with pytest.raises(ErlenError) as caught:
        erlen.Response().set_cookie("k", "v", **{field: value})
    assert isinstance(caught.value, (ValueError, TypeError))


def test_cookie_injection_path_characters_are_percent_encoded() -> None:
    header = dump_cookie("k", "v", path="/a b,\u00e9")
    assert header.endswith("Path=/a%20b,%C3%A9")
    assert header == werkzeug_dump_cookie("k", "v", path="/a b,\u00e9")


@pytest.mark.parametrize("samesite", ["None", "none"])
def test_cookie_samesite_none_without_secure_is_sent_as_werkzeug_sends_it(samesite: str) -> None:
    """Browsers drop SameSite=None cookies that lack Secure; Werkzeug does not add it, nor
    does erlen (a drop-in must not change the cookie); the output matches byte for byte."""
    ours = dump_cookie("k", "v", samesite=samesite)
    assert ours == werkzeug_dump_cookie("k", "v", samesite=samesite)
    assert "Secure" not in ours
    assert dump_cookie("k", "v", samesite=samesite, secure=True).endswith(
        "; Secure; Path=/; SameSite=None"
    )


def test_cookie_injection_escape_sequences_are_escaped_stricter_than_werkzeug() -> None:
    """Werkzeug sends 0x1A-0x1F raw inside the quotes; erlen escapes them (compat.md)."""
    assert werkzeug_dump_cookie("k", "\x1b[31m") == 'k="\x1b[31m"; Path=/'
    assert dump_cookie("k", "\x1b[31m") == 'k="\\033[31m"; Path=/'


def test_cookie_partitioned_implies_secure() -> None:
    assert "; Secure" in dump_cookie("k", "v", partitioned=True)


@pytest.mark.parametrize(
    ("header", "names"),
    [
        ("__Host-id=real", ["__Host-id"]),
        ("%5F_Host-id=spoof", ["%5F_Host-id"]),
        ("__host-id=spoof", ["__host-id"]),
        ("__Host-id", []),  # nameless cookie whose value looks like a prefixed name
        ("__SECURE-x", []),
        ("\uff3f_Host-id=spoof", []),
        ("\u00a0__Host-id=spoof", []),
        ('a="x; __Host-id=forged"', []),  # a quote neither swallows nor forges pairs
        ("__Host-id =spoof", ["__Host-id"]),
    ],
)
def test_cookie_prefix_spoofing_names_are_taken_verbatim(header: str, names: list[str]) -> None:
    parsed = [name for name, _ in parse_cookie(header)]
    assert parsed == names


def test_cookie_prefix_spoofing_through_the_app() -> None:
    app = erlen.Flask("cookies")

    @app.route("/")
    def index() -> Any:
        return {"prefixed": sorted(k for k in erlen.request.cookies if k.startswith("__Host-"))}

    cookie = "%5F_Host-sid=evil; __host-sid=evil; __Host-sid; \u00a0__Host-sid=evil"
    for result in serve_both(
        app, "/", headers={"Cookie": cookie.encode().decode("latin-1")}
    ).values():
        assert result.status_code == 200
        assert b'"prefixed":[]' in result.body


def test_cookie_oversized_value_warns_but_is_still_safe() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        header = dump_cookie("k", "x" * 5000)
    assert caught and "4093" in str(caught[0].message)
    assert "\r" not in header and "\n" not in header
