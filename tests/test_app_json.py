"""JSON through the app on WSGI and ASGI, against Flask: jsonify, dict/list, the provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import erlen
from erlen.errors import JSONValueError

SOURCE = """
import dataclasses
import datetime
import decimal
import uuid
from erlen import Flask, jsonify, request

app = Flask("json")


# Built without annotations: exec'd twin code inherits `from __future__ import annotations`.
Point = dataclasses.make_dataclass("Point", [("x", int), ("y", list)])


@app.route("/args")
def args(): return jsonify(1, "two", None)

@app.route("/one-arg")
def one_arg(): return jsonify([3, 2, 1])

@app.route("/kwargs")
def kwargs(): return jsonify(b=1, a=2, c={"z": 1, "y": 2})

@app.route("/none")
def none(): return jsonify()

@app.route("/scalar")
def scalar(): return jsonify("just a string")

@app.route("/types")
def types():
    return jsonify(
        date=datetime.date(2024, 2, 29),
        datetime=datetime.datetime(2024, 1, 2, 3, 4, 5),
        aware=datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        uuid=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        decimal=decimal.Decimal("1.10"),
        point=Point(1, [2, 3]),
        unicode="\\u2603 \\u00e9 <script>",
        nested=[{"b": 2, "a": 1}],
        floats=[1.5, 0.1, -0.0, 1e100],
        big=2**70,
        boolean=[True, False],
    )

@app.route("/html-chars")
def html_chars(): return {"html": "</script><!-- & ' \\u2028"}

@app.route("/dict")
def a_dict(): return {"z": 1, "a": [1, {"d": 4, "c": 3}]}

@app.route("/list")
def a_list(): return [{"b": 1, "a": 2}]

@app.route("/echo", methods=["POST"])
def echo(): return jsonify(request.get_json())
"""

PATHS = [
    "/args",
    "/one-arg",
    "/kwargs",
    "/none",
    "/scalar",
    "/types",
    "/html-chars",
    "/dict",
    "/list",
]


@pytest.fixture(scope="module")
def twins() -> tuple[Any, Any]:
    from tests.support import make_twin_apps

    return make_twin_apps(SOURCE)


@pytest.mark.parametrize("path", PATHS)
def test_jsonify_matches_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any], path: str
) -> None:
    compare(twins, "GET", path)


@pytest.mark.parametrize("path", PATHS)
def test_debug_pretty_output_matches_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any], path: str
) -> None:
    erlen_app, flask_app = twins
    erlen_app.debug = flask_app.debug = True
    try:
        compare(twins, "GET", path)
    finally:
        erlen_app.debug = flask_app.debug = False


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("sort_keys", False), ("ensure_ascii", False), ("compact", False), ("mimetype", "text/json")],
)
def test_provider_settings_match_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any], attribute: str, value: Any
) -> None:
    erlen_app, flask_app = twins
    saved = [getattr(app.json, attribute) for app in twins]
    setattr(erlen_app.json, attribute, value)
    setattr(flask_app.json, attribute, value)
    try:
        compare(twins, "GET", "/types")
        compare(twins, "GET", "/dict")
    finally:
        setattr(erlen_app.json, attribute, saved[0])
        setattr(flask_app.json, attribute, saved[1])


@pytest.mark.parametrize(
    "payload",
    [{"a": 1}, [1, 2, 3], "text", 12, None, {"nested": {"list": [True, None, 1.5]}}],
)
def test_json_round_trip_matches_flask(
    twins: tuple[Any, Any], compare: Callable[..., Any], payload: Any
) -> None:
    compare(twins, "POST", "/echo", json=payload)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_is_refused_with_json_value_error(
    make_client: Callable[..., Any], value: float
) -> None:
    # Deliberate difference: Flask sends the invalid JSON token NaN/Infinity.
    app = erlen.Flask("nan")
    app.testing = True

    @app.route("/jsonify")
    def with_jsonify() -> Any:
        return erlen.jsonify(value=value)

    @app.route("/dict")
    def with_dict() -> Any:
        return {"value": [value]}

    client = make_client(app)
    with pytest.raises(JSONValueError):
        client.get("/jsonify")
    with pytest.raises(JSONValueError):
        client.get("/dict")


def test_unserializable_value_is_refused(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("unknown")
    app.testing = True

    @app.route("/")
    def index() -> Any:
        return {"value": object()}

    with pytest.raises(TypeError):
        make_client(app).get("/")


def test_jsonify_with_args_and_kwargs_is_refused() -> None:
    app = erlen.Flask("both")
    with app.app_context(), pytest.raises(TypeError):
        erlen.jsonify(1, a=2)


def test_replaced_json_provider_is_used(make_client: Callable[..., Any]) -> None:
    from erlen.json import DefaultJSONProvider

    class UpperProvider(DefaultJSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return super().dumps(obj, **kwargs).upper()

        def loads(self, s: str | bytes, **kwargs: Any) -> Any:
            value = super().loads(s, **kwargs)
            return {"loaded_by": "upper", "value": value}

    app = erlen.Flask("provider")
    app.json = UpperProvider(app)

    @app.route("/", methods=["GET", "POST"])
    def index() -> Any:
        if erlen.request.method == "POST":
            return {"got": erlen.request.get_json()}
        return {"key": "value"}

    client = make_client(app)
    assert client.get("/").get_data() == b'{"KEY":"VALUE"}\n'
    # The client's json= uses the app's provider too, as Flask's client does.
    response = client.post("/", json={"a": "b"})
    assert response.get_json() == {
        "loaded_by": "upper",
        "value": {"GOT": {"LOADED_BY": "UPPER", "VALUE": {"A": "B"}}},
    }


def test_json_provider_class_attribute(make_client: Callable[..., Any]) -> None:
    from erlen.json import DefaultJSONProvider

    class Unsorted(DefaultJSONProvider):
        sort_keys = False

    class MyApp(erlen.Flask):
        json_provider_class = Unsorted

    app = MyApp("provider_class")

    @app.route("/")
    def index() -> Any:
        return {"b": 1, "a": 2}

    assert make_client(app).get("/").get_data() == b'{"b":1,"a":2}\n'
