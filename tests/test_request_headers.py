"""The parsed request headers of Flask's Request, compared with Flask on WSGI and ASGI.

A view returns the parsed values as JSON; erlen and Flask must send the same
bytes for the same request headers.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from tests.support import make_twin_apps

SOURCE = """
from erlen import Flask, request

app = Flask("request_headers")


def accept(value, offers):
    return {
        "pairs": [list(pair) for pair in value],
        "best": value.best,
        "provided": value.provided,
        "best_match": value.best_match(offers),
        "default": value.best_match(["nothing/offered"], "dflt") if "/" in offers[0] else None,
        "qualities": [value.quality(offer) for offer in offers],
        "contains": [offer in value for offer in offers],
        "values": list(value.values()),
        "header": value.to_header(),
    }


def when(value):
    return None if value is None else value.isoformat()


def etags(value):
    return {
        "strong": sorted(value.as_set()),
        "all": sorted(value.as_set(include_weak=True)),
        "star": value.star_tag,
        "contains": value.contains("abc"),
        "bool": bool(value),
        "header": value.to_header(),
    }


@app.route("/headers", methods=["GET", "POST", "OPTIONS"])
def headers():
    auth = request.authorization
    control = request.cache_control
    mimetypes = request.accept_mimetypes
    if_range = request.if_range
    byte_range = request.range
    requested = request.access_control_request_headers
    return {
        "authorization": None if auth is None else {
            "type": auth.type,
            "parameters": auth.parameters,
            "token": auth.token,
            "username": auth.username,
            "password": auth.password,
            "header": auth.to_header(),
        },
        "mimetypes": accept(mimetypes, ["text/html", "application/json", "text/plain"]),
        "accept_flags": [mimetypes.accept_html, mimetypes.accept_xhtml, mimetypes.accept_json],
        "languages": accept(request.accept_languages, ["en", "en-GB", "de-CH", "fr"]),
        "encodings": accept(request.accept_encodings, ["gzip", "br", "identity"]),
        "charsets": accept(request.accept_charsets, ["utf-8", "latin1", "ascii"]),
        "cache_control": {
            "dict": dict(control),
            "attributes": [
                control.no_cache, control.no_store, control.no_transform,
                control.only_if_cached, control.max_age, control.min_fresh,
                control.stale_if_error, control.max_stale,
            ],
            "header": control.to_header(),
        },
        "if_match": etags(request.if_match),
        "if_none_match": etags(request.if_none_match),
        "if_modified_since": when(request.if_modified_since),
        "if_unmodified_since": when(request.if_unmodified_since),
        "if_range": [if_range.etag, when(if_range.date), if_range.to_header()],
        "range": None if byte_range is None else [
            byte_range.units, [list(r) for r in byte_range.ranges], byte_range.to_header()
        ],
        "date": when(request.date),
        "max_forwards": request.max_forwards,
        "pragma": [sorted(request.pragma), "no-cache" in request.pragma],
        "access_route": list(request.access_route),
        "acr_headers": None if requested is None else sorted(requested),
        "acr_method": request.access_control_request_method,
        "origin": request.origin,
    }
"""


@pytest.fixture(scope="module")
def twins() -> tuple[Any, Any]:
    return make_twin_apps(SOURCE)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


HEADER_SETS: list[dict[str, str]] = [
    {},
    {"Authorization": basic("ann", "pa:ss wörd")},
    {"Authorization": "Bearer abc.DEF-123"},
    {"Authorization": 'Digest username="ann", realm="r", nonce="n", uri="/"'},
    {"Authorization": "Basic !!!notbase64"},
    {
        "Accept": "text/html;q=0.9, application/json, */*;q=0.1, text/plain;format=flowed",
        "Accept-Language": "de-CH, de;q=0.9, en;q=0.5, *;q=0.1",
        "Accept-Encoding": "gzip, br;q=0.8, identity;q=0, *;q=0.01",
        "Accept-Charset": "UTF8, iso-8859-1;q=0.5",
    },
    {"Accept": "text/*;q=0.3, text/html;level=1, bad, */html", "Accept-Language": "en-US"},
    {"Accept": "application/json;q=2, text/html;q=abc", "Accept-Language": "en_gb, fr-CA;q=0.7"},
    {"Cache-Control": "no-cache, max-age=60, max-stale, min-fresh=abc, only-if-cached"},
    {"Cache-Control": 'no-store, max-stale=30, stale-if-error="5", x-ext=1', "Pragma": "no-cache"},
    {
        "If-Match": '"abc", W/"weak", "x"',
        "If-None-Match": "*",
        "If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT",
        "If-Unmodified-Since": "not a date",
        "If-Range": '"abc"',
        "Range": "bytes=0-99, 200-300, -50",
    },
    {
        "If-None-Match": 'W/"abc"',
        "If-Range": "Sun, 06 Nov 1994 08:49:37 GMT",
        "Range": "bytes=5-1",
        "Date": "Sunday, 06-Nov-94 08:49:37 GMT",
        "Max-Forwards": "10",
    },
    {"Range": "pages=1-2", "Max-Forwards": "ten", "Date": "Sun Nov  6 08:49:37 1994"},
    {"X-Forwarded-For": "203.0.113.5, 10.0.0.1,  10.0.0.2", "Pragma": "no-cache, x"},
    {
        "Origin": "https://example.com",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "X-Token, content-type",
    },
]


@pytest.mark.parametrize("headers", HEADER_SETS, ids=lambda h: ",".join(h) or "none")
def test_parsed_headers_match_flask(
    compare: Callable[..., Any], twins: tuple[Any, Any], headers: dict[str, str]
) -> None:
    compare(twins, "GET", "/headers", headers=headers)


def test_values_are_computed_once() -> None:
    from erlen import Request

    request = Request.from_values(
        "/p", headers={"Accept": "text/html", "Authorization": "Bearer t"}
    )
    assert request.accept_mimetypes is request.accept_mimetypes
    assert request.authorization is request.authorization
    assert request.authorization is not None and request.authorization.token == "t"


def test_access_route_is_immutable() -> None:
    from erlen import Request

    request = Request.from_values("/", headers={"X-Forwarded-For": "1.2.3.4"})
    assert request.access_route == ["1.2.3.4"]
    with pytest.raises(TypeError):
        request.access_route.append("x")


FROM_VALUES_CASES: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("/path?a=1",), {}),
    (("/form",), {"method": "POST", "data": {"name": "ann", "n": "1"}}),
    (("/json",), {"method": "PUT", "json": {"k": [1, 2]}}),
    (("/h",), {"headers": {"X-A": "1"}, "base_url": "https://example.com:8443/root"}),
    (("/q",), {"query_string": {"x": "y"}, "content_type": "text/plain", "data": "body"}),
]


@pytest.mark.parametrize(("args", "kwargs"), FROM_VALUES_CASES)
def test_from_values_like_werkzeug(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    from werkzeug.wrappers import Request as WzRequest

    from erlen import Request

    ours = Request.from_values(*args, **kwargs)
    theirs = WzRequest.from_values(*args, **kwargs)
    for name in ("method", "url", "path", "root_path", "host", "scheme", "content_type"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.args.to_dict(flat=False) == theirs.args.to_dict(flat=False)
    assert ours.form.to_dict(flat=False) == theirs.form.to_dict(flat=False)
    assert ours.get_data() == theirs.get_data()
    assert dict(ours.headers) == dict(theirs.headers)
    assert type(ours) is Request


TRUSTED_SOURCE = """
from erlen import Flask, request

app = Flask("trusted")
app.config["TRUSTED_HOSTS"] = ["example.com", ".example.org", "localhost"]


@app.route("/")
def index():
    return {"host": request.host}


@app.errorhandler(400)
def bad(error):
    return {"class": type(error).__name__, "description": error.description}, 400
"""

UNHANDLED_SOURCE = TRUSTED_SOURCE.replace("@app.errorhandler(400)", "@app.errorhandler(418)")


@pytest.mark.parametrize(
    "host",
    ["example.com", "example.com:8080", "a.example.org", "example.org", "evil.com", "localhost"],
)
@pytest.mark.parametrize("source", [TRUSTED_SOURCE, UNHANDLED_SOURCE], ids=["handled", "plain"])
def test_trusted_hosts_like_flask(compare: Callable[..., Any], source: str, host: str) -> None:
    twins = make_twin_apps(source)
    compare(twins, "GET", "/", headers={"Host": host}, same_body=source is TRUSTED_SOURCE)


def test_untrusted_host_also_fails_unknown_paths(compare: Callable[..., Any]) -> None:
    twins = make_twin_apps(TRUSTED_SOURCE)
    compare(twins, "GET", "/nowhere", headers={"Host": "evil.com"})


ABORTER_SOURCE = """
from erlen import Flask, abort, redirect

if Flask.__module__.startswith("flask"):
    from werkzeug.exceptions import Aborter, HTTPException
else:
    from erlen.exceptions import Aborter, HTTPException


class PaymentRequired(HTTPException):
    code = 402
    description = "Pay first."


class MyAborter(Aborter):
    def __init__(self):
        super().__init__(extra={402: PaymentRequired})


class App(Flask):
    aborter_class = MyAborter

    def redirect(self, location, code=302):
        response = super().redirect(location, code)
        response.headers["X-Redirected-By"] = "app"
        return response


app = App("aborter")


@app.route("/pay")
def pay():
    abort(402)


@app.route("/go")
def go():
    return redirect("/elsewhere", 307)


@app.route("/direct")
def direct():
    app.aborter(404)
"""


@pytest.mark.parametrize("path", ["/pay", "/go", "/direct"])
def test_aborter_and_redirect_like_flask(compare: Callable[..., Any], path: str) -> None:
    twins = make_twin_apps(ABORTER_SOURCE)
    compare(twins, "GET", path, same_body=path == "/go")


def test_redirect_keeps_an_explicit_response_class() -> None:
    # Flask ignores Response= inside an app; erlen uses it (docs/compat.md).
    from erlen import Flask, Response, redirect

    class Other(Response):
        pass

    app = Flask("explicit")
    with app.test_request_context():
        assert type(redirect("/x", 302, Other)) is Other
        assert type(redirect("/x")) is app.response_class
