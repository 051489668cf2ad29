"""Static folders of the app and of blueprints, resources and the instance folder,
against Flask on WSGI and ASGI."""

from __future__ import annotations

import json
import os
import pathlib
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import flask
import pytest

import erlen
from tests.conftest import wire


@pytest.fixture
def root(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "site.css").write_text("body { color: red }\n")
    (tmp_path / "static" / "index.html").write_text("<p>index</p>\n")
    (tmp_path / "bp_files").mkdir()
    (tmp_path / "bp_files" / "bp.js").write_text("console.log('bp');\n")
    (tmp_path / "top.txt").write_text("top level file\n")
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "data.json").write_text('{"DEBUG_LEVEL": 3}')
    return tmp_path


def _build(package: Any, root: pathlib.Path, **app_options: Any) -> Any:
    app = package.Flask("static_twin", root_path=str(root), **app_options)
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = timedelta(minutes=5)
    bp = package.Blueprint(
        "assets", "static_twin", static_folder="bp_files", url_prefix="/assets", root_path=str(root)
    )
    shop = package.Blueprint(
        "shop", "static_twin", static_folder="bp_files", static_url_path="/files",
        url_prefix="/shop", root_path=str(root),
    )  # fmt: skip

    @bp.route("/where")
    def where() -> str:
        return " ".join(
            [
                package.url_for(".static", filename="bp.js"),
                package.url_for("shop.static", filename="bp.js"),
                package.url_for("static", filename="site.css"),
                str(bp.static_url_path),
                str(bp.has_static_folder),
            ]
        )

    app.register_blueprint(bp)
    app.register_blueprint(shop)
    return app


def _comparable(response: Any) -> list[Any]:
    status, _phrase, headers, body = wire(response)
    # The mtime-based ETag, Date and Expires (now + max_age: the two requests
    # may fall either side of a second) vary: compare their presence only.
    headers = [(k, "<varies>" if k in ("date", "etag", "expires") else v) for k, v in headers]
    if status >= 400:
        headers = [(k, v) for k, v in headers if k != "content-length"]
        body = b"<page>"
    return [status, headers, body]


STATIC_CASES = [
    ("/static/site.css", {}),
    ("/static/missing.css", {}),
    ("/static/../secret.txt", {}),
    ("/static/%2e%2e/secret.txt", {}),
    ("/assets/static/bp.js", {}),
    ("/assets/static/../../secret.txt", {}),
    ("/shop/files/bp.js", {}),
    ("/assets/where", {}),
    ("/static/site.css", {"Range": "bytes=0-3"}),
    ("/static/site.css", {"Range": "bytes=100-"}),
]


@pytest.mark.parametrize(("path", "headers"), STATIC_CASES)
def test_static_files_of_app_and_blueprints_match_flask(
    root: pathlib.Path,
    make_client: Callable[..., Any],
    path: str,
    headers: dict[str, str],
) -> None:
    ours = make_client(_build(erlen, root)).get(path, headers=headers)
    theirs = _build(flask, root).test_client().get(path, headers=headers)
    assert _comparable(ours) == _comparable(theirs)


def test_conditional_get_of_a_static_file(
    root: pathlib.Path, make_client: Callable[..., Any]
) -> None:
    client = make_client(_build(erlen, root))
    first = client.get("/static/site.css")
    assert first.headers["Cache-Control"] == "public, max-age=300"
    again = client.get("/static/site.css", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    since = client.get(
        "/static/site.css", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert since.status_code == 304


@pytest.mark.parametrize("path", ["/static/index.html", "/top.txt", "/secret.txt", "/nope"])
def test_empty_static_folder_serves_the_root_as_in_flask(
    root: pathlib.Path, make_client: Callable[..., Any], path: str
) -> None:
    ours = make_client(erlen.Flask("x", root_path=str(root), static_folder="")).get(path)
    theirs = flask.Flask("x", root_path=str(root), static_folder="").test_client().get(path)
    assert _comparable(ours) == _comparable(theirs)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"static_folder": None},
        {"static_folder": "bp_files"},
        {"static_folder": "static", "static_url_path": "/s/"},
        {"static_url_path": ""},
    ],
)
def test_static_attributes_match_flask(root: pathlib.Path, options: dict[str, Any]) -> None:
    ours = erlen.Flask("x", root_path=str(root), **options)
    theirs = flask.Flask("x", root_path=str(root), **options)
    for name in ("static_folder", "static_url_path", "has_static_folder", "root_path"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert sorted(map(str, ours.url_map.iter_rules())) == sorted(
        map(str, theirs.url_map.iter_rules())
    )


def test_send_static_file_without_a_folder_is_a_clear_error() -> None:
    for package in (erlen, flask):
        app = package.Flask("x", static_folder=None)
        with app.test_request_context(), pytest.raises(RuntimeError, match="static_folder"):
            app.send_static_file("a.css")


def test_get_send_file_max_age_can_be_overridden(
    root: pathlib.Path, make_client: Callable[..., Any]
) -> None:
    class ShortLived(erlen.Flask):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 7 if filename and filename.endswith(".css") else None

    app = ShortLived("x", root_path=str(root))
    response = make_client(app).get("/static/site.css")
    assert response.headers["Cache-Control"] == "public, max-age=7"
    assert make_client(app).get("/static/index.html").headers["Cache-Control"] == "no-cache"


# -- resources and the instance folder ---------------------------------------------


def test_open_resource_matches_flask(root: pathlib.Path) -> None:
    for package in (erlen, flask):
        app = package.Flask("x", root_path=str(root))
        with app.open_resource("top.txt") as binary:
            assert binary.read() == b"top level file\n"
        with app.open_resource("top.txt", "r", encoding="utf-8") as text:
            assert text.read() == "top level file\n"
        with pytest.raises(ValueError, match="only be opened for reading"):
            app.open_resource("top.txt", "w")
        bp = package.Blueprint("bp", "x", root_path=str(root / "static"))
        with bp.open_resource("site.css") as css:
            assert css.read().startswith(b"body")


def test_instance_folder_matches_flask(root: pathlib.Path) -> None:
    instance = root / "instance"
    instance.mkdir()
    (instance / "settings.json").write_text(json.dumps({"SECRET_KEY": "s3"}))
    results = []
    for package in (erlen, flask):
        app = package.Flask("x", root_path=str(root), instance_path=str(instance),
                            instance_relative_config=True)  # fmt: skip
        assert app.config.from_file("settings.json", load=json.load)
        assert app.config.from_file("missing.json", load=json.load, silent=True) is False
        with app.open_instance_resource("notes.txt", "w") as notes:
            notes.write(f"from {package.__name__}")
        with app.open_instance_resource("notes.txt", "r") as notes:
            written = notes.read()
        with app.open_instance_resource("settings.json") as raw:
            assert raw.read().startswith(b"{")
        results.append((app.config["SECRET_KEY"], app.instance_path, written[:4]))
    assert results[0] == results[1]


def test_relative_instance_path_is_refused() -> None:
    for package in (erlen, flask):
        with pytest.raises(ValueError, match="must be absolute"):
            package.Flask("x", instance_path="relative/instance")


def test_auto_find_instance_path_matches_flask(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "plain_module_app.py").write_text("")
    package = tmp_path / "package_app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "views.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("plain_module_app", "package_app", "package_app.views", "not_importable_x"):
        __import__(name) if name != "not_importable_x" else None
        ours = erlen.Flask(name).instance_path
        theirs = flask.Flask(name).instance_path
        assert ours == theirs, name
        assert ours == erlen.Flask(name).auto_find_instance_path()
    for name in ("plain_module_app", "package_app", "package_app.views"):
        sys.modules.pop(name, None)
    assert erlen.Flask("package_app.views").instance_path == os.path.join(tmp_path, "instance")
