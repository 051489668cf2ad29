"""The ``erlen`` command line, shaped like ``flask``'s and built on click.

``erlen [--app X] [--debug/--no-debug] [--env-file F] [--version] COMMAND``
with the commands ``run``, ``routes`` and ``shell``, the app's own commands
(``@app.cli.command()``) and plugin commands from installed packages'
``flask.commands`` (or ``erlen.commands``) entry points.

No server is written here. ``erlen run`` imports the app first, so that a
missing module, attribute or factory is reported in one line before any server
starts, then picks a real server: granian by default, on its WSGI interface
(a pool of blocking threads) when the app has no ``async def`` view, hook or
error handler, on its ASGI interface when it has one. uvicorn is started in
this process; granian, gunicorn and hypercorn replace this process with their
own command line.

``--app`` (or ``ERLEN_APP``/``FLASK_APP``) accepts ``module``, ``module:name``,
``module:factory()``, ``module:factory('arg', key=1)`` (literal arguments) and
``path/to/file.py`` with any of those suffixes. A bare module is searched for
an ``app`` or ``application`` object, then a single erlen (or Flask) app, then
a ``create_app`` or ``make_app`` factory. Without ``--app``, ``wsgi.py`` and
then ``app.py`` in the current directory are tried.

One file per job: ``discovery.py`` finds the app, ``script_info.py`` loads it
for commands, ``options.py`` and ``groups.py`` make the ``erlen`` group,
``run.py``/``routes.py``/``shell.py`` are the built-in commands, ``app_run.py``
is ``app.run()``, ``entry_point.py`` the ``erlen`` command, ``errors.py`` how
it fails. Every name is importable from ``erlen.cli`` as before.

This package imports click; ``import erlen`` never imports it.
"""

from __future__ import annotations

from erlen.cli.app_run import run_app as run_app
from erlen.cli.discovery import (
    AppTarget,
    _factory_from_environment as _factory_from_environment,
    find_app,
    parse_app_spec,
)
from erlen.cli.entry_point import cli, main
from erlen.cli.errors import CLIError, NoAppException, user_traceback as user_traceback
from erlen.cli.groups import (
    RUN_FROM_CLI_ENVIRONMENT as RUN_FROM_CLI_ENVIRONMENT,
    AppGroup,
    ErlenGroup,
    FlaskGroup,
)
from erlen.cli.routes import routes_command
from erlen.cli.run import (
    INTERFACES as INTERFACES,
    SERVERS,
    Interface as Interface,
    RunOptions as RunOptions,
    app_needs_asgi,
    check_certificate as check_certificate,
    check_port_free as check_port_free,
    default_wsgi_threads as default_wsgi_threads,
    run_command,
    server_command,
    settle_run_options as settle_run_options,
    start_server as start_server,
)
from erlen.cli.script_info import (
    F as F,
    ScriptInfo,
    load_dotenv,
    pass_script_info,
    with_appcontext,
)
from erlen.cli.shell import shell_command

__all__ = [
    "SERVERS",
    "AppGroup",
    "AppTarget",
    "CLIError",
    "ErlenGroup",
    "FlaskGroup",
    "NoAppException",
    "ScriptInfo",
    "app_needs_asgi",
    "cli",
    "find_app",
    "load_dotenv",
    "main",
    "parse_app_spec",
    "pass_script_info",
    "routes_command",
    "run_command",
    "server_command",
    "shell_command",
    "with_appcontext",
]
