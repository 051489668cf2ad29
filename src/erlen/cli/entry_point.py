"""The ``erlen`` command: the group every command hangs on, and ``main``."""

from __future__ import annotations

from collections.abc import Sequence

import click

from erlen.cli.errors import user_traceback
from erlen.cli.groups import FlaskGroup

cli = FlaskGroup(
    name="erlen",
    help=(
        "erlen's command line: serve the app, show its routes, open a shell in its"
        " context, and run the app's own commands.\n\nFind the app with --app, the"
        " ERLEN_APP or FLASK_APP variable, or a wsgi.py or app.py file here."
    ),
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``erlen`` command; returns the exit code."""
    try:
        cli.main(list(argv) if argv is not None else None, prog_name="erlen")
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except Exception as error:
        # A command of the user's failed: their traceback, then one line.
        click.echo(user_traceback(error).rstrip(), err=True)
        click.echo(f"Error: the command failed: {type(error).__name__}: {error}", err=True)
        return 1
    return 0
