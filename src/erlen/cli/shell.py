"""``erlen shell``: an interactive Python shell in the app's context."""

from __future__ import annotations

import os
import sys
from typing import Any, cast

import click

from erlen.cli.script_info import with_appcontext


@click.command("shell", short_help="Run a Python shell in the app's context.")
@with_appcontext
def shell_command() -> None:
    """An interactive Python shell with the app's context and shell context values."""
    import code

    from erlen.ctx import current_app

    app = cast(Any, current_app)._get_current_object()
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.import_name}\nInstance: {app.instance_path}"
    )
    namespace: dict[str, Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as file:
            # The user's own start-up file, as the plain interpreter runs it.
            eval(compile(file.read(), startup, "exec"), namespace)
    namespace.update(app.make_shell_context())
    interactive_hook = getattr(sys, "__interactivehook__", None)
    if interactive_hook is not None:
        # Tab completion and history, as in the plain interpreter.
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            interactive_hook()
            readline.set_completer(Completer(namespace).complete)
    code.interact(banner=banner, local=namespace)
