"""The test client's cookie jar, against Werkzeug's cookie parsing and RFC 6265."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import flask
import pytest
from hypothesis import given, settings, strategies as st
from werkzeug.http import dump_cookie
from werkzeug.test import Cookie as WerkzeugCookie

import erlen.testing.client
import erlen.testing.cookies
from erlen.errors import CookieValueError
from erlen.testing import Cookie, ErlenClient

cookie_values = st.text(max_size=20).filter(lambda v: "\r" not in v and "\n" not in v)


@settings(max_examples=200, deadline=None)
@given(
    value=cookie_values,
    path=st.sampled_from(["/", "/a", "/a/b/"]),
    max_age=st.one_of(st.none(), st.integers(1, 10**6)),
    samesite=st.sampled_from([None, "Lax", "Strict", "None"]),
    secure=st.booleans(),
    httponly=st.booleans(),
)
def test_set_cookie_header_parses_like_werkzeug(
    value: str, path: str, max_age: int | None, samesite: str | None, secure: bool, httponly: bool
) -> None:
    header = dump_cookie(
        "key",
        value,
        max_age=max_age,
        path=path,
        samesite=samesite,
        secure=secure,
        httponly=httponly,
    )
    theirs = WerkzeugCookie._from_response_header("localhost", "/req/path", header)
    ours = Cookie.from_set_cookie("localhost", "/req/path", header)
    assert ours is not None
    assert ours.decoded_value == value == theirs.decoded_value
    assert (ours.key, ours.value, ours.path, ours.max_age) == (
        theirs.key,
        theirs.value,
        theirs.path,
        theirs.max_age,
    )
    assert (ours.secure, ours.http_only, ours.same_site, ours.expires) == (
        theirs.secure,
        theirs.http_only,
        theirs.same_site,
        theirs.expires,
    )
    # Our own serializer (client.set_cookie) writes the same header.
    mine = erlen.testing.cookies._format_set_cookie(
        "key",
        value,
        max_age=max_age,
        path=path,
        samesite=samesite,
        secure=secure,
        httponly=httponly,
    )
    assert re.sub("Expires=[^;]+", "", mine) == re.sub("Expires=[^;]+", "", header)


# ---------------------------------------------------------------------------
# Cookie jar: where erlen follows RFC 6265 more closely than Werkzeug


def set_cookie_app(*headers: str) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Set-Cookie", h) for h in headers])
        return [environ.get("HTTP_COOKIE", "").encode()]

    return app


def test_cookie_with_past_expires_is_removed() -> None:
    # Werkzeug only deletes on Max-Age=0 or Expires at the epoch exactly.
    client = ErlenClient(
        set_cookie_app("old=1; Expires=Wed, 01 Jan 2020 00:00:00 GMT"), flask.Response
    )
    client.get("/")
    assert client.get_cookie("old") is None
    assert client.get("/").data == b""


def test_max_age_wins_over_expires() -> None:
    header = "k=v; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=3600"
    client = ErlenClient(set_cookie_app(header), flask.Response)
    client.get("/")
    cookie = client.get_cookie("k")
    assert cookie is not None and cookie.max_age == 3600
    negative = ErlenClient(set_cookie_app("k=v; Max-Age=-1"), flask.Response)
    negative.get("/")
    assert negative.get_cookie("k") is None


def test_cookie_expires_when_max_age_runs_out(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000.0]
    # The jar (cookies) and the client both read the clock.
    monkeypatch.setattr(erlen.testing.cookies, "_clock", lambda: now[0])
    monkeypatch.setattr(erlen.testing.client, "_clock", lambda: now[0])
    client = ErlenClient(set_cookie_app(), flask.Response)
    client.set_cookie("k", "v", max_age=10)
    assert client.get("/").data == b"k=v"
    now[0] += 9
    assert client.get("/").data == b"k=v"
    now[0] += 2
    assert client.get("/").data == b""
    assert client._cookies == {}


def test_invalid_max_age_is_ignored() -> None:
    client = ErlenClient(set_cookie_app("k=v; Max-Age=soon"), flask.Response)
    client.get("/")
    cookie = client.get_cookie("k")
    assert cookie is not None and cookie.max_age is None


def test_unparsable_set_cookie_is_ignored() -> None:
    client = ErlenClient(set_cookie_app("=novalue", "bad key=1", "ok=1"), flask.Response)
    client.get("/")
    assert list(client._cookies or {}) == [("localhost", "/", "ok")]


def test_domain_cookie_for_another_site_is_refused() -> None:
    client = ErlenClient(
        set_cookie_app("k=v; Domain=evil.test", "w=1; Domain=.LOCALHOST"), flask.Response
    )
    client.get("/")
    assert client.get_cookie("k", domain="evil.test") is None
    wide = client.get_cookie("w")
    assert wide is not None and not wide.origin_only
    assert client.get("/", base_url="http://sub.localhost/").data == b"w=1"


def test_secure_cookie_only_over_https_except_loopback() -> None:
    app = set_cookie_app("s=1; Secure", "p=2; Partitioned; Secure")
    client = ErlenClient(app, flask.Response)
    client.get("/", base_url="https://example.com/")
    jar_cookie = client.get_cookie("p", domain="example.com")
    assert jar_cookie is not None and jar_cookie.partitioned and jar_cookie.secure
    assert client.get("/", base_url="https://example.com/").data == b"s=1; p=2"
    reader = ErlenClient(set_cookie_app(), flask.Response)
    reader._cookies = client._cookies
    assert reader.get("/", base_url="http://example.com/").data == b""
    assert reader.get("/", base_url="https://example.com/").data == b"s=1; p=2"
    # localhost is a secure context to browsers, so Flask test suites keep working.
    reader.set_cookie("local", "1", secure=True)
    assert reader.get("/").data == b"local=1"


def test_path_scoped_cookie_matching() -> None:
    client = ErlenClient(set_cookie_app(), flask.Response)
    client.set_cookie("a", "1", path="/docs")
    client.set_cookie("b", "2", path="/docs/")
    assert client.get("/docs").data == b"a=1"
    assert client.get("/docs/x").data == b"a=1; b=2"
    assert client.get("/docsx").data == b""
    assert client.get("/").data == b""


@pytest.mark.parametrize(
    "key, value, kwargs",
    [
        ("a\r\nb", "v", {}),
        ("a;b", "v", {}),
        ("", "v", {}),
        ("k", "v", {"domain": "a\nb"}),
        ("k", "v", {"samesite": "sometimes"}),
    ],
)
def test_client_set_cookie_refuses_injection(key: str, value: str, kwargs: dict[str, Any]) -> None:
    client = ErlenClient(set_cookie_app(), flask.Response)
    with pytest.raises(CookieValueError):
        client.set_cookie(key, value, **kwargs)


def test_client_set_cookie_escapes_value_and_path() -> None:
    client = ErlenClient(set_cookie_app(), flask.Response)
    client.set_cookie("k", "v\r\nSet-Cookie: x=1\x00")
    client.set_cookie("p", "1", path="/a\r\nb")
    cookie = client.get_cookie("k")
    assert cookie is not None and cookie.decoded_value == "v\r\nSet-Cookie: x=1\x00"
    assert cookie.value == '"v\\015\\012Set-Cookie: x=1\\000"'
    assert client.get_cookie("p", path="/a%0D%0Ab") is not None
    assert b"\r" not in client.get("/").data


def test_set_cookie_with_timedelta_and_datetime() -> None:
    client = ErlenClient(set_cookie_app(), flask.Response)
    client.set_cookie("t", "1", max_age=timedelta(hours=1))
    client.set_cookie("d", "1", expires=datetime(2099, 1, 1))
    t, d = client.get_cookie("t"), client.get_cookie("d")
    assert t is not None and t.max_age == 3600
    assert d is not None and d.expires == datetime(2099, 1, 1, tzinfo=timezone.utc)
