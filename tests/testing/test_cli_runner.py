"""``app.test_cli_runner()``: click's runner bound to the app, against Flask's."""

from __future__ import annotations

import click
from click.testing import CliRunner

from tests.cli.support import (
    isolated_imports,  # noqa: F401 (autouse here)
    make_cli_app,
)


def test_test_cli_runner_invokes_by_args_and_by_command() -> None:
    app = make_cli_app()
    runner = app.test_cli_runner()
    assert isinstance(runner, CliRunner) and runner.app is app
    assert runner.invoke(args=["greet", "ada"]).output == "hello ada\n"
    assert runner.invoke(app.cli.commands["greet"], ["bob"]).output == "hello bob\n"
    failed = runner.invoke(args=["fail"])
    assert failed.exit_code == 1 and isinstance(failed.exception, RuntimeError)


def test_test_cli_runner_matches_flask_runner() -> None:
    import flask

    from erlen.testing import ErlenCliRunner, FlaskCliRunner

    assert FlaskCliRunner is ErlenCliRunner
    results = []
    for app in (flask.Flask("twin"), make_cli_app()):

        @app.cli.command("name")
        def name() -> None:
            from erlen.ctx import has_app_context

            click.echo(f"{has_app_context() or flask.has_app_context()}")

        results.append(app.test_cli_runner().invoke(args=["name"]).output)
    assert results[0] == results[1] == "True\n"


def test_test_cli_runner_class_is_used() -> None:
    from erlen.testing import ErlenCliRunner

    class MyRunner(ErlenCliRunner):  # type: ignore[misc,valid-type]
        pass

    app = make_cli_app()
    app.test_cli_runner_class = MyRunner
    assert type(app.test_cli_runner()) is MyRunner
