"""The ``erlen`` group: options, app and plugin commands, custom groups, ``with_appcontext``."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

import erlen.cli as cli
from erlen.cli import AppGroup, FlaskGroup, with_appcontext
from tests.cli.support import SYNC_APP, invoke, make_cli_app, write


def test_version_names_erlen_and_python() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert "erlen 0.1.0" in result.output and "Python" in result.output


def test_help_lists_builtin_and_app_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", SYNC_APP)
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("run", "routes", "shell", "init-db"):
        assert command in result.output


@pytest.mark.parametrize(
    "argv",
    [
        ["--app", "mine", "init-db", "--count", "3"],  # Flask's order
        ["-A", "mine", "init-db", "--count", "3"],
    ],
)
def test_app_option_before_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "mine.py", SYNC_APP)
    result = invoke(*argv)
    assert result.exit_code == 0, result.output
    assert result.output == "init mine 3 debug=False\n"


@pytest.mark.parametrize("variable", ["FLASK_APP", "ERLEN_APP"])
def test_app_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "envapp.py", SYNC_APP)
    monkeypatch.setenv(variable, "envapp")
    assert invoke("init-db").output == "init envapp 1 debug=False\n"


def test_debug_flag_reaches_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "dbg.py", SYNC_APP)
    assert invoke("--app", "dbg", "--debug", "init-db").output == "init dbg 1 debug=True\n"
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert invoke("--app", "dbg", "init-db").output == "init dbg 1 debug=True\n"
    assert invoke("--app", "dbg", "--no-debug", "init-db").output == "init dbg 1 debug=False\n"


def test_factory_with_arguments_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path,
        "factory_app.py",
        """
        import click
        from erlen import Erlen

        def create_app(name="default"):
            app = Erlen(name)

            @app.cli.command()
            def hello():
                click.echo("hello from " + name)

            return app
        """,
    )
    assert invoke("--app", "factory_app", "hello").output == "hello from default\n"
    result = invoke("--app", "factory_app:create_app('custom')", "hello")
    assert result.output == "hello from custom\n"


def test_dotenv_files_with_flask_precedence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("dotenv")
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path,
        "app.py",
        """
        import os, click
        from erlen import Erlen
        app = Erlen(__name__)

        @app.cli.command()
        def show():
            click.echo(" ".join(os.environ.get(k, "-") for k in ("A", "B", "C", "D")))
        """,
    )
    write(tmp_path, ".flaskenv", "A=flaskenv\nB=flaskenv\nC=flaskenv\n")
    write(tmp_path, ".env", "B=env\nC=env\n")
    write(tmp_path, "custom.env", "C=custom\n")
    monkeypatch.setenv("D", "real")
    assert invoke("show").output == "flaskenv env env real\n"
    for name in ("A", "B", "C"):
        monkeypatch.delenv(name, raising=False)
    assert invoke("--env-file", "custom.env", "show").output == "flaskenv env custom real\n"


def test_flask_run_variables_are_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", SYNC_APP)
    monkeypatch.setenv("FLASK_RUN_PORT", "8765")
    monkeypatch.setenv("FLASK_RUN_HOST", "0.0.0.0")
    result = invoke("run")
    assert result.exit_code == 0, result.output
    [(_, _, options)] = started
    assert (options.host, options.port) == ("0.0.0.0", 8765)


def test_app_cli_is_lazy_and_named_after_the_app() -> None:
    from erlen import Erlen

    app = Erlen("lazy_cli")
    assert "_cli" not in vars(app)
    assert isinstance(app.cli, AppGroup) and app.cli.name == "lazy_cli"
    assert app.cli is app.cli


def test_add_command_group_and_with_appcontext() -> None:
    app = make_cli_app()

    @click.command("plain")
    @with_appcontext
    def plain() -> None:
        from erlen import current_app

        click.echo(current_app.name)

    app.cli.add_command(plain)
    sub = app.cli.group("db")(lambda: None)
    assert isinstance(sub, AppGroup)

    @sub.command("drop")
    def drop() -> None:
        from erlen import current_app

        click.echo("drop " + current_app.name)

    @app.cli.command("bare", with_appcontext=False)
    def bare() -> None:
        from erlen.ctx import has_app_context

        click.echo(str(has_app_context()))

    runner = app.test_cli_runner()
    assert runner.invoke(args=["plain"]).output == "cli_app\n"
    assert runner.invoke(args=["db", "drop"]).output == "drop cli_app\n"
    assert runner.invoke(args=["bare"]).output == "False\n"


def test_custom_flask_group_script() -> None:
    app = make_cli_app()

    @click.group(cls=FlaskGroup, create_app=lambda: app)
    def manage() -> None:
        """A project's own entry script."""

    result = CliRunner().invoke(manage, ["greet", "eve"])
    assert result.exit_code == 0 and result.output == "hello eve\n"
    assert "routes" in CliRunner().invoke(manage, ["--help"]).output
    assert cli.ErlenGroup is FlaskGroup


def test_plugin_commands_from_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command()
    def plugged() -> None:
        click.echo("from a plugin")

    class FakeEntryPoint:
        name = "plugged"

        def load(self) -> click.Command:
            return plugged

    def entry_points(group: str) -> list[FakeEntryPoint]:
        return [FakeEntryPoint()] if group == "flask.commands" else []

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    group = FlaskGroup(create_app=make_cli_app)
    assert CliRunner().invoke(group, ["plugged"]).output == "from a plugin\n"
