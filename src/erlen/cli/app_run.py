"""``app.run()``: serving an app from its own script through ``erlen run``."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import click

from erlen.cli.entry_point import cli
from erlen.cli.groups import RUN_FROM_CLI_ENVIRONMENT
from erlen.cli.script_info import ScriptInfo, load_dotenv

if TYPE_CHECKING:
    from erlen.app import Erlen


_RUN_OPTION_FLAGS = {
    "server": "--server",
    "interface": "--interface",
    "workers": "--workers",
    "threads": "--threads",
}


def run_app(
    app: Erlen,
    host: str | None = None,
    port: int | None = None,
    debug: bool | None = None,
    load_dotenv_files: bool = True,
    **options: Any,
) -> None:
    """``app.run()``: serve ``app`` as ``erlen run`` would, unless ``erlen`` itself is running."""
    if os.environ.get(RUN_FROM_CLI_ENVIRONMENT) == "true":
        click.secho(
            " * Ignoring a call to 'app.run()' that would block the current 'erlen' command."
            "\n   Only call 'app.run()' under 'if __name__ == \"__main__\":'.",
            fg="red",
            err=True,
        )
        return
    if load_dotenv_files:
        load_dotenv()
    argv: list[str] = []
    if debug is not None:
        argv.append("--debug" if debug else "--no-debug")
        app.debug = debug
    argv.append("run")
    server_name = app.config.get("SERVER_NAME")
    name_host, _, name_port = (server_name or "").partition(":")
    argv += ["--host", host or name_host or "127.0.0.1"]
    argv += ["--port", str(port or (int(name_port) if name_port.isdigit() else 5000))]
    use_reloader = options.pop("use_reloader", None)
    if use_reloader is not None:
        argv.append("--reload" if use_reloader else "--no-reload")
    ssl_context = options.pop("ssl_context", None)
    if ssl_context is not None:
        if not (isinstance(ssl_context, tuple) and len(ssl_context) == 2):
            raise TypeError("app.run(ssl_context=...) takes a (certificate, key) pair of paths")
        argv += ["--cert", str(ssl_context[0]), "--key", str(ssl_context[1])]
    for name, flag in _RUN_OPTION_FLAGS.items():
        value = options.pop(name, None)
        if value is not None:
            argv += [flag, str(value)]
    options.pop(
        "threaded", None
    )  # Flask's dev-server switch; real servers always serve concurrently
    if options:
        raise TypeError(f"app.run() got unexpected options: {', '.join(sorted(options))}")
    spec = _import_spec_of(app)
    if spec is None:
        # Not reachable by import (built inside a function, say): serve the object itself.
        _run_in_process(app, argv)
        return
    command = [sys.executable, "-m", "erlen", "--app", spec, *argv]
    process = subprocess.Popen(command)
    try:
        process.wait()
    except KeyboardInterrupt:
        # The server got the same Ctrl+C; let it finish shutting down.
        process.wait()


def _import_spec_of(app: Any) -> str | None:
    """``path/to/file.py:name`` under which the server can import ``app``, if any."""
    for module in (sys.modules.get(app.import_name), sys.modules.get("__main__")):
        filename = getattr(module, "__file__", None)
        if module is None or filename is None:
            continue
        for name, value in vars(module).items():
            if value is app and name.isidentifier():
                return f"{os.path.abspath(filename)}:{name}"
    return None


def _run_in_process(app: Any, argv: list[str]) -> None:
    info = ScriptInfo(create_app=lambda: app, set_debug_flag=False)
    cli.main(argv, prog_name="erlen", obj=info, standalone_mode=True)
