"""``erlen routes`` against ``flask routes``: the same table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import erlen.cli as cli
from tests.cli.support import write


def build_route_apps(configure: Any, **app_options: Any) -> tuple[Any, Any]:
    import flask

    from erlen import Erlen

    apps = []
    for app_class in (flask.Flask, Erlen):
        app = app_class("routes_twin", **app_options)
        configure(app)
        apps.append(app)
    return apps[0], apps[1]


def _many_routes(app: Any) -> None:
    def view(**kwargs: Any) -> str:
        return ""

    app.add_url_rule("/", "index", view)
    app.add_url_rule("/users/<int:id>", "user", view, methods=["GET", "PUT", "DELETE"])
    app.add_url_rule("/zebra", "a_first", view, methods=["POST"])
    app.add_url_rule("/api/items/<path:rest>", "items", view, methods=["PATCH"])


# erlen routing has no subdomains or hosts yet, so only the plain table is compared.
@pytest.mark.parametrize("configure", [_many_routes])
@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--sort", "rule"],
        ["--sort", "methods"],
        ["--sort", "match"],
        ["--all-methods"],
        ["-s", "domain"],
    ],
    ids=repr,
)
def test_routes_output_equals_flask_routes(configure: Any, args: list[str]) -> None:
    import flask.cli

    flask_app, erlen_app = build_route_apps(configure)
    theirs = flask_app.test_cli_runner().invoke(flask.cli.routes_command, args)
    ours = erlen_app.test_cli_runner().invoke(cli.routes_command, args)
    assert theirs.exit_code == 0 and ours.exit_code == 0, ours.output
    assert ours.output == theirs.output


def test_routes_without_routes_equals_flask() -> None:
    import flask.cli

    flask_app, erlen_app = build_route_apps(lambda app: None, static_folder=None)
    theirs = flask_app.test_cli_runner().invoke(flask.cli.routes_command)
    ours = erlen_app.test_cli_runner().invoke(cli.routes_command)
    assert ours.output == theirs.output == "No routes were registered.\n"


def test_erlen_routes_in_a_subprocess_equals_flask_routes(tmp_path: Path) -> None:
    source = """
    from {module} import {cls}
    app = {cls}(__name__)

    @app.route("/")
    def index():
        return ""

    @app.post("/items/<int:id>")
    def item(id):
        return ""
    """
    write(tmp_path, "erlen_twin.py", source.format(module="erlen", cls="Erlen"))
    write(tmp_path, "flask_twin.py", source.format(module="flask", cls="Flask"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = [sys.executable, "-m"]
    ours = subprocess.run(
        [*run, "erlen", "--app", "erlen_twin", "routes"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    theirs = subprocess.run(
        [*run, "flask", "--app", "flask_twin", "routes"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ours.returncode == theirs.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout
