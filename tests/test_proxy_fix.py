"""erlen's own trusted-proxy setting (``PROXY_FIX``) against Werkzeug's ProxyFix middleware,
on both protocols: the same request attributes for the same forwarded headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from werkzeug.middleware.proxy_fix import ProxyFix

import erlen
from erlen import request
from erlen.http.forwarded import ProxyFixConfigError


def build(native: bool, counts: dict[str, int]) -> erlen.Flask:
    app = erlen.Flask(__name__)
    if native:
        app.config["PROXY_FIX"] = counts
    else:
        app.wsgi_app = ProxyFix(app.wsgi_app, **counts)  # type: ignore[method-assign]

    @app.get("/where")
    def where() -> dict[str, Any]:
        return {
            "remote": request.remote_addr,
            "scheme": request.scheme,
            "host": request.host,
            "url": request.url,
            "root": request.root_path,
        }

    return app


header_values = st.lists(
    st.sampled_from(["203.0.113.9", "10.0.0.1", "https", "http", "example.com", "a.test:8443"]),
    max_size=3,
).map(", ".join)
counts = st.fixed_dictionaries(
    {key: st.integers(0, 2) for key in ("x_for", "x_proto", "x_host", "x_port", "x_prefix")}
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    counts=counts,
    forwarded_for=header_values,
    proto=st.sampled_from(["", "https", "http, https"]),
    host=st.sampled_from(["", "example.com", "proxy.test, example.com:8443"]),
    port=st.sampled_from(["", "8443", "80, 443"]),
    prefix=st.sampled_from(["", "/app", "/a, /b/"]),
)
def test_proxy_fix_setting_matches_werkzeugs_middleware(
    counts: dict[str, int], forwarded_for: str, proto: str, host: str, port: str, prefix: str
) -> None:
    headers = {
        name: value
        for name, value in {
            "X-Forwarded-For": forwarded_for,
            "X-Forwarded-Proto": proto,
            "X-Forwarded-Host": host,
            "X-Forwarded-Port": port,
            "X-Forwarded-Prefix": prefix,
        }.items()
        if value
    }
    expected = build(False, counts).test_client().get("/where", headers=headers).json
    for asgi in (False, True):
        got = build(True, counts).test_client(asgi=asgi).get("/where", headers=headers).json
        assert got == expected, asgi


def test_proxy_fix_applies_on_both_protocols(make_client: Callable[..., Any]) -> None:
    app = build(True, {"x_for": 1, "x_proto": 1})
    response = make_client(app).get(
        "/where", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    )
    assert response.json["remote"] == "203.0.113.9"
    assert response.json["scheme"] == "https"


def test_untrusted_extra_values_are_ignored(make_client: Callable[..., Any]) -> None:
    # One proxy: a client's own X-Forwarded-For entry (the first) is not trusted.
    app = build(True, {"x_for": 1})
    response = make_client(app).get("/where", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"})
    assert response.json["remote"] == "203.0.113.9"


@pytest.mark.parametrize(
    "setting", [{"x_forr": 1}, {"x_for": -1}, {"x_for": "1"}, ["x_for"], {"x_for": True}]
)
def test_bad_proxy_fix_setting_is_a_clear_error(setting: Any) -> None:
    app = erlen.Flask(__name__)
    app.config["PROXY_FIX"] = setting

    @app.get("/")
    def index() -> str:
        return "x"

    with pytest.raises(ProxyFixConfigError, match="PROXY_FIX"):
        app.test_client().get("/")
