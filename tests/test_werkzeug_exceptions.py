"""Werkzeug's HTTP exceptions raised by an erlen app behave as erlen's own, as under Flask.

Each app raises ``werkzeug.exceptions`` classes (an app ported from Flask
keeps those imports); erlen and Flask must give the same status, headers,
page and handler choice, on WSGI and ASGI.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tests.support import make_twin_apps

RAISING = """
from erlen import Flask, request
from werkzeug.exceptions import HTTPException, abort

app = Flask("werkzeug_raising")


class Teapot(HTTPException):
    code = 418
    description = "Short and stout."


@app.route("/404")
def not_found():
    abort(404)


@app.route("/405")
def not_allowed():
    abort(405, valid_methods=["GET", "POST"])


@app.route("/401")
def unauthorized():
    abort(401, www_authenticate='Basic realm="site"')


@app.route("/described")
def described():
    abort(403, "You shall not pass.")


@app.route("/teapot")
def teapot():
    raise Teapot()


@app.route("/missing-form-key", methods=["POST"])
def missing_form_key():
    return request.form["missing"]


@app.route("/returned")
def returned():
    from werkzeug.exceptions import Gone

    return Gone()
"""


@pytest.fixture(scope="module")
def raising() -> tuple[Any, Any]:
    return make_twin_apps(RAISING)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/404"),
        ("GET", "/405"),
        ("GET", "/401"),
        ("GET", "/described"),
        ("GET", "/teapot"),
        ("POST", "/missing-form-key"),
        ("GET", "/returned"),
    ],
)
def test_unhandled_werkzeug_error_is_its_page(
    compare: Callable[..., Any], raising: tuple[Any, Any], method: str, path: str
) -> None:
    if path == "/missing-form-key":
        # erlen's own BadRequestKeyError: the page is worded by each framework.
        compare(raising, method, path, data={"x": "1"}, same_body=False)
    else:
        compare(raising, method, path)


HANDLED = """
from erlen import Flask, request
import werkzeug.exceptions as wz

app = Flask("werkzeug_handled")

if Flask.__module__.startswith("flask"):
    import werkzeug.exceptions as own
else:
    import erlen.exceptions as own


class Teapot(wz.HTTPException):
    code = 418


def describe(label, error):
    return {
        "handler": label,
        "class": type(error).__name__,
        "code": error.code,
    }, error.code or 500


@app.errorhandler(wz.NotFound)
def werkzeug_not_found(error):
    return describe("werkzeug NotFound", error)


@app.errorhandler(own.Forbidden)
def own_forbidden(error):
    return describe("own Forbidden", error)


@app.errorhandler(405)
def by_code(error):
    return describe("405", error)


@app.errorhandler(418)
def teapot_by_code(error):
    return describe("418", error)


@app.errorhandler(wz.BadRequestKeyError)
def missing_key(error):
    return describe("werkzeug BadRequestKeyError", error)


@app.errorhandler(own.HTTPException)
def any_http(error):
    return describe("own HTTPException", error)


@app.route("/werkzeug/<int:code>")
def werkzeug_abort(code):
    wz.abort(code)


@app.route("/own/<int:code>")
def own_abort(code):
    own.abort(code)


@app.route("/teapot")
def teapot():
    raise Teapot()


@app.route("/form", methods=["POST"])
def form():
    return request.form["missing"]


@app.route("/args")
def args():
    return request.args["missing"]
"""


@pytest.fixture(scope="module")
def handled() -> tuple[Any, Any]:
    return make_twin_apps(HANDLED)


@pytest.mark.parametrize(
    "path",
    [
        # a Werkzeug handler catches Werkzeug's and erlen's NotFound (and the router's)
        "/werkzeug/404",
        "/own/404",
        "/no/such/page",
        # a handler for the app's own class catches Werkzeug's too
        "/werkzeug/403",
        "/own/403",
        # by code, either way
        "/werkzeug/405",
        "/own/405",
        "/teapot",
        # the base class catches whatever has no closer handler
        "/werkzeug/410",
        "/own/410",
        "/werkzeug/400",
        "/args",
    ],
)
def test_handler_lookup_crosses_werkzeug_and_erlen_classes(
    compare: Callable[..., Any], handled: tuple[Any, Any], path: str
) -> None:
    compare(handled, "GET", path)


def test_bad_request_key_error_handler_for_werkzeug_class(
    compare: Callable[..., Any], handled: tuple[Any, Any]
) -> None:
    response = compare(handled, "POST", "/form", data={"x": "1"})
    assert response.get_json()["handler"] == "werkzeug BadRequestKeyError"


def test_werkzeug_error_in_debug_traps_bad_request_key_error(make_client: Any) -> None:
    from werkzeug.exceptions import BadRequestKeyError

    from erlen import Flask

    app = Flask("trap")
    app.debug = True

    @app.route("/")
    def view() -> str:
        raise BadRequestKeyError("name")

    with pytest.raises(BadRequestKeyError):
        make_client(app).get("/")


def test_erlen_does_not_import_werkzeug() -> None:
    # An app that never imports Werkzeug handles its errors without loading it.
    code = (
        "import sys\n"
        "from erlen import Flask, abort\n"
        "app = Flask('plain')\n"
        "@app.errorhandler(404)\n"
        "def nf(e): return 'nf', 404\n"
        "@app.errorhandler(ValueError)\n"
        "def ve(e): return 've', 400\n"
        "@app.route('/a')\n"
        "def a(): abort(404)\n"
        "@app.route('/b')\n"
        "def b(): raise ValueError\n"
        "c = app.test_client()\n"
        "assert c.get('/a').status_code == 404\n"
        "assert c.get('/b').status_code == 400\n"
        "assert c.get('/c').status_code == 404\n"
        "assert 'werkzeug' not in sys.modules, 'werkzeug was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
