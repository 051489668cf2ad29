"""``erlen shell``: the app's context and its shell context processors."""

from __future__ import annotations

from typing import Any

import erlen.cli as cli
from tests.cli.support import make_cli_app


def test_shell_context_processor_and_shell_command() -> None:
    app = make_cli_app()

    @app.shell_context_processor
    def extra() -> dict[str, Any]:
        return {"answer": 42}

    context = app.make_shell_context()
    assert context["app"] is app and context["answer"] == 42 and "g" in context
    result = app.test_cli_runner().invoke(
        cli.shell_command, input="print(answer, app.name, g is not None)\n"
    )
    assert result.exit_code == 0, result.output
    assert "42 cli_app True" in result.output
    assert "App: cli_app" in result.output


def test_shell_context_processors_match_flask() -> None:
    import flask

    contexts = []
    for app in (flask.Flask("twin"), make_cli_app()):
        app.shell_context_processor(lambda: {"x": 1})
        assert len(app.shell_context_processors) == 1
        contexts.append(sorted(app.make_shell_context()))
    assert contexts[0] == contexts[1]
