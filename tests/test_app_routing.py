"""Routing through the app on WSGI and ASGI against Flask: converters, methods, slashes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import erlen

SOURCE = """
from erlen import Flask, request

app = Flask("routing")

if Flask.__module__.startswith("flask"):
    from werkzeug.routing import BaseConverter
else:
    from erlen.routing import BaseConverter


class ListConverter(BaseConverter):
    regex = r"[a-z]+(?:,[a-z]+)*"

    def to_python(self, value):
        return value.split(",")

    def to_url(self, value):
        return ",".join(value)


app.url_map.converters["list"] = ListConverter


def show(**values):
    return repr(sorted(values.items()))


@app.route("/")
def index(): return "index"

@app.route("/int/<int:n>")
def conv_int(n): return show(n=n)

@app.route("/signed/<int(signed=True):n>")
def conv_signed(n): return show(n=n)

@app.route("/float/<float:x>")
def conv_float(x): return show(x=x)

@app.route("/path/<path:p>")
def conv_path(p): return show(p=p)

@app.route("/uuid/<uuid:u>")
def conv_uuid(u): return show(u=str(u), type=type(u).__name__)

@app.route("/any/<any(red, green):colour>")
def conv_any(colour): return show(colour=colour)

@app.route("/string/<name>")
def conv_string(name): return show(name=name)

@app.route("/length/<string(length=3):code>")
def conv_length(code): return show(code=code)

@app.route("/list/<list:items>")
def conv_list(items): return show(items=items)

@app.route("/methods", methods=["GET", "POST", "PUT"])
def methods(): return request.method

@app.route("/post-only", methods=["POST"])
def post_only(): return "posted"

@app.get("/verb")
def verb_get(): return "get"

@app.post("/verb")
def verb_post(): return "post"

@app.put("/verb")
def verb_put(): return "put"

@app.patch("/verb")
def verb_patch(): return "patch"

@app.delete("/verb")
def verb_delete(): return "delete"

@app.route("/slash/")
def slash(): return "slash"

@app.route("/no-slash")
def no_slash(): return "no-slash"

@app.route("/loose/", strict_slashes=False)
def loose(): return "loose"

@app.route("/defaults/", defaults={"page": 1})
@app.route("/defaults/<int:page>")
def with_defaults(page): return show(page=page)

@app.route("/named", endpoint="custom_name")
def named(): return request.endpoint

def added(): return "added " + request.url_rule.rule

app.add_url_rule("/added", view_func=added)
app.add_url_rule("/added-endpoint", "added_endpoint", added)

@app.route("/own-options", methods=["GET", "OPTIONS"])
def own_options(): return "mine " + request.method

@app.route("/catch/<path:rest>/")
def catch(rest): return rest

@app.route("/query")
def query(): return show(args=sorted(request.args.items(multi=True)))
"""

CASES: list[tuple[str, str]] = [
    ("GET", "/"),
    ("GET", "/int/42"),
    ("GET", "/int/-1"),
    ("GET", "/int/4.2"),
    ("GET", "/int/abc"),
    ("GET", "/int/" + "9" * 30),
    ("GET", "/signed/-7"),
    ("GET", "/float/1.5"),
    ("GET", "/float/1"),
    ("GET", "/float/nan"),
    ("GET", "/path/a/b/c.txt"),
    ("GET", "/path/"),
    ("GET", "/uuid/6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
    ("GET", "/uuid/not-a-uuid"),
    ("GET", "/any/red"),
    ("GET", "/any/blue"),
    ("GET", "/string/a%20b"),
    ("GET", "/string/a/b"),
    ("GET", "/string/%C3%A9t%C3%A9"),
    ("GET", "/length/abc"),
    ("GET", "/length/abcd"),
    ("GET", "/list/a,b,c"),
    ("GET", "/list/A"),
    ("GET", "/methods"),
    ("POST", "/methods"),
    ("PUT", "/methods"),
    ("DELETE", "/methods"),
    ("PATCH", "/methods"),
    ("HEAD", "/methods"),
    ("OPTIONS", "/methods"),
    ("GET", "/post-only"),
    ("HEAD", "/post-only"),
    ("OPTIONS", "/post-only"),
    ("GET", "/verb"),
    ("POST", "/verb"),
    ("PUT", "/verb"),
    ("PATCH", "/verb"),
    ("DELETE", "/verb"),
    ("OPTIONS", "/verb"),
    ("TRACE", "/verb"),
    ("GET", "/slash/"),
    ("GET", "/slash"),
    ("POST", "/slash"),
    ("GET", "/slash?x=1&y=2"),
    ("GET", "/no-slash"),
    ("GET", "/no-slash/"),
    ("GET", "/loose"),
    ("GET", "/loose/"),
    ("GET", "/defaults/"),
    ("GET", "/defaults/3"),
    ("GET", "/defaults/1"),
    ("GET", "/named"),
    ("GET", "/added"),
    ("GET", "/added-endpoint"),
    ("GET", "/own-options"),
    ("OPTIONS", "/own-options"),
    ("GET", "/missing"),
    ("POST", "/missing"),
    ("OPTIONS", "/missing"),
    ("GET", "/query?b=2&a=1&b=3"),
    ("GET", "/%2e%2e/etc/passwd"),
    ("GET", "/catch/a"),
    ("GET", "/catch/a/"),
]

# Rows answered by an HTTP error page (wording differs by framework).
ERROR_ROWS = {
    ("GET", "/int/-1"),
    ("GET", "/int/4.2"),
    ("GET", "/int/abc"),
    ("GET", "/float/1"),
    ("GET", "/float/nan"),
    ("GET", "/path/"),
    ("GET", "/uuid/not-a-uuid"),
    ("GET", "/any/blue"),
    ("GET", "/string/a/b"),
    ("GET", "/length/abcd"),
    ("GET", "/list/A"),
    ("DELETE", "/methods"),
    ("PATCH", "/methods"),
    ("GET", "/post-only"),
    ("HEAD", "/post-only"),
    ("TRACE", "/verb"),
    ("GET", "/no-slash/"),
    ("GET", "/missing"),
    ("POST", "/missing"),
    ("OPTIONS", "/missing"),
    ("GET", "/%2e%2e/etc/passwd"),
    ("POST", "/slash"),
    ("GET", "/int/" + "9" * 30),
}


@pytest.fixture(scope="module")
def twins() -> tuple[Any, Any]:
    from tests.support import make_twin_apps

    return make_twin_apps(SOURCE)


@pytest.mark.parametrize(("method", "path"), CASES)
def test_routing_matches_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any], method: str, path: str
) -> None:
    compare(twins, method, path, same_body=(method, path) not in ERROR_ROWS)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/int/abc", 404),
        ("GET", "/uuid/zzz", 404),
        ("GET", "/post-only", 405),
        ("GET", "/slash", 308),
        ("GET", "/missing", 404),
    ],
)
def test_routing_errors_are_clean_4xx_or_redirects(
    twins: tuple[Any, Any], make_client: Callable[..., Any], method: str, path: str, status: int
) -> None:
    response = make_client(twins[0]).open(path, method=method)
    assert response.status_code == status
    if status == 405:
        assert response.headers["Allow"] == "OPTIONS, POST"


def test_trailing_slash_redirect_keeps_query_and_is_absolute(
    twins: tuple[Any, Any], make_client: Callable[..., Any]
) -> None:
    response = make_client(twins[0]).get("/slash?x=1")
    assert response.status_code == 308
    assert response.headers["Location"] == "http://localhost/slash/?x=1"


def test_follow_trailing_slash_redirect(
    twins: tuple[Any, Any], make_client: Callable[..., Any]
) -> None:
    response = make_client(twins[0]).get("/slash", follow_redirects=True)
    assert [r.status_code for r in response.history] == [308]
    assert (response.status_code, response.get_data()) == (200, b"slash")


@pytest.mark.parametrize(
    ("path_info", "location"),
    [
        ("//evil.example/x", "http://localhost/evil.example/x/"),
        ("/\\evil.example/x", "http://localhost/%5Cevil.example/x/"),
        ("/a//b", "http://localhost/a//b/"),
    ],
)
def test_open_redirect_through_slash_redirect_is_not_possible(
    twins: tuple[Any, Any], make_client: Callable[..., Any], path_info: str, location: str
) -> None:
    # A path that looks like '//host' must never become a redirect to that host.
    response = make_client(twins[0]).get("/", environ_overrides={"PATH_INFO": "/catch" + path_info})
    assert response.status_code == 308
    assert response.headers["Location"] == location.replace("localhost/", "localhost/catch/", 1)


def test_empty_path_info_redirects_to_root_like_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any]
) -> None:
    compare(twins, "GET", "/", same_body=False, environ_overrides={"PATH_INFO": ""})


def test_routing_under_script_root(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("root")

    @app.route("/page/")
    def page() -> Any:
        return erlen.request.script_root + "|" + erlen.request.path

    client = make_client(app)
    response = client.get("/page/", base_url="http://localhost/mount")
    assert response.get_data() == b"/mount|/page/"
    redirect = client.get("/page", base_url="http://localhost/mount")
    assert redirect.headers["Location"] == "http://localhost/mount/page/"


def test_host_header_with_crlf_never_reaches_location(
    make_client: Callable[..., Any],
) -> None:
    app = erlen.Flask("crlf")

    @app.route("/dir/")
    def directory() -> Any:
        return "dir"

    client = make_client(app)
    with pytest.raises(erlen.HeaderValueError):
        client.get("/dir", headers={"Host": "localhost\r\nSet-Cookie: evil=1"})


def test_custom_converter_to_url(make_client: Callable[..., Any], twins: tuple[Any, Any]) -> None:
    app = twins[0]
    with app.test_request_context():
        assert erlen.url_for("conv_list", items=["a", "b"]) == "/list/a,b"
