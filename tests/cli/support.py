"""Apps and helpers the command line tests share."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

import erlen.cli as cli


@pytest.fixture(autouse=True)
def isolated_imports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Undo what discovery does to sys.path, sys.modules and the environment."""
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    # The test apps live in pytest's own temporary folders. Not all of /tmp: a
    # checkout (and its virtualenv) there would have erlen's and the libraries'
    # modules first imported during a test forgotten, and their classes split.
    temporary = str(tmp_path_factory.getbasetemp().resolve())
    saved_environment = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("ERLEN_", "FLASK_")) or name == "PYTHONPATH":
            del os.environ[name]
    yield
    os.environ.clear()
    os.environ.update(saved_environment)
    sys.path[:] = saved_path
    # Forget only the test apps: re-importing erlen itself would split its classes.
    for name in set(sys.modules) - saved_modules:
        if (getattr(sys.modules[name], "__file__", None) or "").startswith(temporary):
            del sys.modules[name]


def write(directory: Path, name: str, source: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


WSGI_FACTORY = """
def _wsgi(environ, start_response):
    start_response("200 OK", [])
    return [b"built"]

def create_app(name="x", n=1):
    return _wsgi
"""

WSGI_APP = textwrap.dedent(
    """
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello from " + __name__.encode()]
    """
)


SYNC_APP = """
import click
from erlen import Erlen, current_app
app = Erlen(__name__)

@app.route("/")
def index():
    return "sync " + __name__

@app.cli.command("init-db")
@click.option("--count", default=1)
def init_db(count):
    click.echo(f"init {current_app.name} {count} debug={current_app.debug}")
"""

ASYNC_APP = """
from erlen import Erlen
app = Erlen(__name__)

@app.route("/")
async def index():
    return "async " + __name__
"""


def invoke(*args: str, **kwargs: Any) -> Any:
    return CliRunner().invoke(cli.cli, list(args), **kwargs)


def make_cli_app() -> Any:
    from erlen import Erlen

    app = Erlen("cli_app")
    app.config["GREETING"] = "hello"

    @app.cli.command("greet")
    @click.argument("name")
    def greet(name: str) -> None:
        from erlen import current_app

        click.echo(f"{current_app.config['GREETING']} {name}")

    @app.cli.command("fail")
    def fail() -> None:
        raise RuntimeError("the user's command failed")

    return app


def run_erlen(cwd: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERLEN_", "FLASK_"))}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    return subprocess.run(
        [sys.executable, "-m", "erlen", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
