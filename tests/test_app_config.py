"""App configuration, against Flask's Config, and config seen by requests on WSGI and ASGI."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import flask
import pytest

import erlen


class Settings:
    """A settings object: only upper-case names are configuration."""

    SECRET_KEY = "s3cret"
    DEBUG_LEVEL = 3
    lower_case = "ignored"


def both_configs() -> tuple[Any, Any]:
    """Bare configs: Flask's app defaults also hold session/template keys erlen has not."""
    from erlen.config import Config

    return Config("."), flask.Config(".")


def test_defaults_match_flask() -> None:
    ours, theirs = erlen.Flask("cfg").config, flask.Flask("cfg").config
    for key in (
        "DEBUG",
        "TESTING",
        "PROPAGATE_EXCEPTIONS",
        "SECRET_KEY",
        "SERVER_NAME",
        "APPLICATION_ROOT",
        "PREFERRED_URL_SCHEME",
        "MAX_CONTENT_LENGTH",
        "MAX_COOKIE_SIZE",
        "TRAP_HTTP_EXCEPTIONS",
        "TRAP_BAD_REQUEST_ERRORS",
        "PERMANENT_SESSION_LIFETIME",
        "PROVIDE_AUTOMATIC_OPTIONS",
        "MAX_FORM_MEMORY_SIZE",
        "MAX_FORM_PARTS",
    ):
        assert ours[key] == theirs[key], key


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (({"A": 1, "b": 2},), {}),
        ((), {"C": 3, "d": 4}),
        (({"A": 1},), {"B": timedelta(seconds=5)}),
        ((None,), {}),
    ],
)
def test_from_mapping_matches_flask(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    ours, theirs = both_configs()
    assert ours.from_mapping(*args, **kwargs) == theirs.from_mapping(*args, **kwargs)
    assert dict(ours) == dict(theirs)


def test_from_object_matches_flask() -> None:
    ours, theirs = both_configs()
    ours.from_object(Settings)
    theirs.from_object(Settings)
    assert dict(ours) == dict(theirs)
    assert "lower_case" not in ours


def test_from_object_by_import_string_matches_flask() -> None:
    ours, theirs = both_configs()
    ours.from_object("tests.test_app_config.Settings")
    theirs.from_object("tests.test_app_config.Settings")
    assert dict(ours) == dict(theirs)


def test_from_prefixed_env_matches_flask(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {
        "FLASK_SECRET_KEY": "env-secret",
        "FLASK_PORT": "8080",
        "FLASK_RATIO": "1.5",
        "FLASK_ENABLED": "true",
        "FLASK_LIST": "[1, 2]",
        "FLASK_NOT_JSON": "plain {",
        "FLASK_NESTED__KEY": "42",
        "ERLEN_OTHER": "x",
        "OTHER_FLASK_X": "no",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    ours, theirs = both_configs()
    ours["NESTED"] = {}
    theirs["NESTED"] = {}
    assert ours.from_prefixed_env() == theirs.from_prefixed_env()
    assert dict(ours) == dict(theirs)
    ours, theirs = both_configs()
    ours.from_prefixed_env("ERLEN")
    theirs.from_prefixed_env("ERLEN")
    assert dict(ours) == dict(theirs)
    assert ours["OTHER"] == "x"


def test_get_namespace_matches_flask() -> None:
    ours, theirs = both_configs()
    for config in (ours, theirs):
        config.update(IMAGE_STORE_TYPE="fs", IMAGE_STORE_PATH="/x", OTHER=1)
    for kwargs in ({}, {"lowercase": False}, {"trim_namespace": False}):
        assert ours.get_namespace("IMAGE_STORE_", **kwargs) == theirs.get_namespace(
            "IMAGE_STORE_", **kwargs
        )


def test_debug_and_testing_properties() -> None:
    app = erlen.Flask("props")
    app.debug = True
    app.testing = True
    assert app.config["DEBUG"] is True and app.config["TESTING"] is True


def test_config_seen_in_requests(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("seen")
    app.config.from_mapping(GREETING="hello")

    @app.route("/")
    def index() -> str:
        return str(erlen.current_app.config["GREETING"])

    assert make_client(app).get("/").get_data() == b"hello"


def test_max_cookie_size_inside_a_request_warns(make_client: Callable[..., Any]) -> None:
    app = erlen.Flask("cookies")
    app.config["MAX_COOKIE_SIZE"] = 80
    sizes: list[int] = []

    @app.route("/<int:size>")
    def index(size: int) -> Any:
        response = erlen.make_response("x")
        sizes.append(response.max_cookie_size)
        response.set_cookie("k", "v" * size)
        return response

    client = make_client(app)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert client.get("/10").status_code == 200
    with pytest.warns(UserWarning, match="size"):
        response = client.get("/100")
    # Like Werkzeug, the cookie is still sent: the warning is advice.
    assert response.headers["Set-Cookie"].startswith("k=" + "v" * 100)
    assert sizes == [80, 80]


def test_max_cookie_size_outside_a_request_is_the_default() -> None:
    assert erlen.Response().max_cookie_size == flask.Response().max_cookie_size == 4093
    app = erlen.Flask("cookie_size")
    app.config["MAX_COOKIE_SIZE"] = 123
    with app.app_context():
        assert erlen.Response().max_cookie_size == 123


def test_response_class_max_cookie_size_matches_flask_in_app_context() -> None:
    ours_app, theirs_app = erlen.Flask("a"), flask.Flask("a")
    for app in (ours_app, theirs_app):
        app.config["MAX_COOKIE_SIZE"] = 50
    with ours_app.app_context():
        ours = erlen.Response().max_cookie_size
    with theirs_app.app_context():
        theirs = flask.Response().max_cookie_size
    assert ours == theirs == 50


def test_application_root_and_server_name_shape_the_client(
    make_client: Callable[..., Any],
) -> None:
    app = erlen.Flask("rooted")
    app.config.update(SERVER_NAME="example.test", APPLICATION_ROOT="/app")

    @app.route("/where")
    def where() -> str:
        return f"{erlen.request.host} {erlen.request.script_root} {erlen.url_for('where')}"

    response = make_client(app).get("/where")
    assert response.get_data() == b"example.test /app /app/where"
