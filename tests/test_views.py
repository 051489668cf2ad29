"""Class-based views (erlen.views) against flask.views, on WSGI and ASGI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from erlen import Flask
from tests.support import make_twin_apps

SOURCE = """
from erlen import Flask, Blueprint, request, views

app = Flask("views")
COUNTS = {"made": 0}

class Hello(views.View):
    methods = ["GET", "POST"]

    def __init__(self, greeting):
        COUNTS["made"] += 1
        self.greeting = greeting

    def dispatch_request(self, name="world"):
        return f"{self.greeting} {name} {request.method} {COUNTS['made']}"

class Shared(views.View):
    init_every_request = False

    def __init__(self):
        COUNTS["made"] += 1
        self.made = COUNTS["made"]

    def dispatch_request(self):
        return f"shared {self.made}"

def shout(view):
    def wrapper(**kwargs):
        return view(**kwargs).upper()
    return wrapper

def tag(view):
    def wrapper(**kwargs):
        return view(**kwargs) + " tagged"
    return wrapper

class Decorated(views.View):
    decorators = [shout, tag]

    def dispatch_request(self):
        return "decorated"

class NoOptions(views.View):
    provide_automatic_options = False
    methods = ["GET"]

    def dispatch_request(self):
        return "no options"

class Items(views.MethodView):
    def get(self, item_id=None):
        return f"get {item_id}"

    def post(self):
        return "posted", 201

    def delete(self, item_id):
        return "", 204

class MoreItems(Items):
    def put(self, item_id):
        return f"put {item_id}"

class Explicit(views.MethodView):
    methods = ["GET"]

    def get(self):
        return "explicit"

    def post(self):
        return "never routed"

app.add_url_rule("/hello", view_func=Hello.as_view("hello", "hi"))
app.add_url_rule("/hello/<name>", view_func=Hello.as_view("hello_name", "hey"))
app.add_url_rule("/shared", view_func=Shared.as_view("shared"))
app.add_url_rule("/decorated", view_func=Decorated.as_view("decorated"))
app.add_url_rule("/no-options", view_func=NoOptions.as_view("no_options"))
items = Items.as_view("items")
app.add_url_rule("/items/", defaults={"item_id": None}, view_func=items, methods=["GET"])
app.add_url_rule("/items/", view_func=items, methods=["POST"])
app.add_url_rule("/items/<int:item_id>", view_func=items, methods=["GET", "DELETE"])
app.add_url_rule("/more/<int:item_id>", view_func=MoreItems.as_view("more"))
app.add_url_rule("/explicit", view_func=Explicit.as_view("explicit"))

bp = Blueprint("api", __name__, url_prefix="/api")
bp.add_url_rule("/items/<int:item_id>", view_func=Items.as_view("item"))
app.register_blueprint(bp)

@app.route("/names")
def names():
    return " ".join([
        app.view_functions["hello"].__name__,
        app.view_functions["hello"].view_class.__name__,
        str(sorted(MoreItems.methods)),
        str(sorted(Items.methods)),
        str(Explicit.methods),
    ])
"""

CASES = [
    ("GET", "/hello"),
    ("POST", "/hello"),
    ("GET", "/hello/ann"),
    ("PUT", "/hello"),
    ("OPTIONS", "/hello"),
    ("GET", "/shared"),
    ("GET", "/decorated"),
    ("GET", "/no-options"),
    ("OPTIONS", "/no-options"),
    ("GET", "/items/"),
    ("POST", "/items/"),
    ("GET", "/items/3"),
    ("DELETE", "/items/3"),
    ("HEAD", "/items/3"),
    ("GET", "/more/4"),
    ("PUT", "/more/4"),
    ("DELETE", "/more/4"),
    ("OPTIONS", "/more/4"),
    ("GET", "/explicit"),
    ("POST", "/explicit"),
    ("GET", "/api/items/5"),
    ("DELETE", "/api/items/5"),
    ("GET", "/names"),
]


@pytest.fixture
def twins() -> tuple[Any, Any]:
    # A fresh pair per test: the views count their instances.
    return make_twin_apps(SOURCE)


@pytest.mark.parametrize(("method", "path"), CASES)
def test_class_based_views_match_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any], method: str, path: str
) -> None:
    # 405 pages are worded by each framework.
    error = (method, path) in {("PUT", "/hello"), ("POST", "/explicit"), ("OPTIONS", "/no-options")}
    compare(twins, method, path, same_body=not error)


def test_views_module_is_importable_as_in_flask() -> None:
    from erlen.views import MethodView, View, http_method_funcs

    assert issubclass(MethodView, View)
    assert "patch" in http_method_funcs


def test_async_method_view(make_client: Callable[..., Any]) -> None:
    from erlen.views import MethodView

    app = Flask(__name__)

    class Things(MethodView):
        async def get(self, thing: str) -> str:
            return f"async {thing}"

        def post(self, thing: str) -> tuple[str, int]:
            return f"sync {thing}", 201

    app.add_url_rule("/things/<thing>", view_func=Things.as_view("things"))
    client = make_client(app)
    assert client.get("/things/a").get_data() == b"async a"
    response = client.post("/things/b")
    assert (response.status_code, response.get_data()) == (201, b"sync b")
    assert sorted(Things.methods) == ["GET", "POST"]  # type: ignore[arg-type]
