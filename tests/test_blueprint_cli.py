"""Blueprint command groups (``bp.cli``, ``cli_group``) on the app's command line, as in Flask."""

from __future__ import annotations

from typing import Any

import flask
import pytest

import erlen


def build(module: Any, cli_group: Any) -> Any:
    app = module.Flask("cliapp")
    options = {} if cli_group == "unset" else {"cli_group": cli_group}
    bp = module.Blueprint("tools", __name__, **options)

    @bp.cli.command("greet")
    def greet() -> None:
        import click

        click.echo(f"hello from {module.current_app.name}")

    app.register_blueprint(bp)
    return app


@pytest.mark.parametrize(
    ("cli_group", "args"),
    [("unset", ["tools", "greet"]), (None, ["greet"]), ("admin", ["admin", "greet"])],
)
def test_blueprint_commands_run_like_flasks(cli_group: Any, args: list[str]) -> None:
    ours = build(erlen, cli_group).test_cli_runner().invoke(args=args)
    theirs = build(flask, cli_group).test_cli_runner().invoke(args=args)
    assert ours.exit_code == theirs.exit_code == 0, ours.output
    assert ours.output == theirs.output == "hello from cliapp\n"
