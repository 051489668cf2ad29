"""``erlen run``: find the app the way ``flask run`` does and serve it with a real server.

No server is written here. uvicorn (the default) is started in this process
through ``uvicorn.run``; gunicorn, hypercorn and granian replace this process
with their own command line. The app is imported here first so that a missing
module, attribute or factory is reported before any server starts, with exit
code 2 and a message naming the problem.

``--app`` (or ``ERLEN_APP``) accepts ``module``, ``module:name``,
``module:factory()``, ``module:factory('arg', key=1)`` (literal arguments) and
``path/to/file.py`` with any of those suffixes. A bare module is searched for
an ``app`` or ``application`` object, then a single erlen app, then a
``create_app`` or ``make_app`` factory. Without ``--app``, ``wsgi.py`` and then
``app.py`` in the current directory are tried.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import importlib.util
import inspect
import os
import re
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Literal

Interface = Literal["asgi3", "wsgi"]

__all__ = ["SERVERS", "AppTarget", "CLIError", "build_parser", "find_app", "main", "parse_app_spec"]

#: Servers ``--server`` accepts, the default first.
SERVERS = ("uvicorn", "hypercorn", "gunicorn", "granian")

#: Environment variable through which a factory call with arguments reaches
#: uvicorn's worker and reloader processes.
_FACTORY_ENVIRONMENT = "ERLEN_RUN_FACTORY"

# A colon that is not the drive separator of a Windows path ("C:\\app.py").
_SPEC_SPLIT = re.compile(r":(?![\\/])")


class CLIError(Exception):
    """A problem with the command line or the app; ``main`` exits with code 2."""


@dataclasses.dataclass(frozen=True)
class AppTarget:
    """Where the app lives: ``module`` imported from ``app_dir``, then ``expression``."""

    module: str
    app_dir: str
    name: str
    #: ``name`` is called to build the app.
    factory: bool = False
    #: The call as written (``create_app('dev')``) when it has arguments.
    call: str | None = None

    @property
    def import_string(self) -> str:
        """``module:name`` as servers expect it."""
        return f"{self.module}:{self.name}"

    @property
    def expression(self) -> str:
        """The attribute or call to evaluate in the module (``app``, ``create_app()``)."""
        if self.call is not None:
            return self.call
        return f"{self.name}()" if self.factory else self.name


def build_parser() -> argparse.ArgumentParser:
    """The ``erlen`` command line."""
    parser = argparse.ArgumentParser(prog="erlen", description="Run an erlen application.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run = commands.add_parser("run", help="serve the app with a production server")
    run.add_argument(
        "--app",
        default=os.environ.get("ERLEN_APP"),
        help="module, module:name, module:factory(), or path/to/file.py (env ERLEN_APP)",
    )
    run.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    run.add_argument("--port", type=_port, default=5000, help="port to bind (default 5000)")
    run.add_argument(
        "--debug", action="store_true", help="debug mode: sets app.debug and ERLEN_DEBUG=1"
    )
    run.add_argument("--reload", action="store_true", help="restart when source files change")
    run.add_argument("--workers", type=_workers, default=None, help="number of worker processes")
    run.add_argument("--server", choices=SERVERS, default=SERVERS[0], help="default uvicorn")
    return parser


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be an integer, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, got {port}")
    return port


def _workers(text: str) -> int:
    try:
        workers = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"workers must be an integer, got {text!r}") from None
    if workers < 1:
        raise argparse.ArgumentTypeError(f"workers must be at least 1, got {workers}")
    return workers


def parse_app_spec(spec: str, cwd: str | None = None) -> tuple[str, str, str | None]:
    """Split ``--app`` into (module name, directory to import it from, expression or None)."""
    if not spec or spec != spec.strip():
        raise CLIError(f"--app must be a module or file name, got {spec!r}")
    cwd = os.getcwd() if cwd is None else cwd
    parts = _SPEC_SPLIT.split(spec, maxsplit=1)
    location = parts[0]
    expression = parts[1] if len(parts) == 2 else None
    if expression is not None and not expression:
        raise CLIError(f"--app {spec!r} has nothing after ':'")
    if location.endswith(".py") or "/" in location or os.sep in location:
        module, app_dir = _module_from_path(os.path.join(cwd, location), spec)
    else:
        if not all(part.isidentifier() for part in location.split(".")):
            raise CLIError(f"--app {spec!r}: {location!r} is not a module name")
        module, app_dir = location, cwd
    return module, app_dir, expression


def _module_from_path(path: str, spec: str) -> tuple[str, str]:
    path = os.path.realpath(path)
    if not os.path.exists(path):
        raise CLIError(f"--app {spec!r}: no such file or directory {path!r}")
    stem, extension = os.path.splitext(path)
    if extension == ".py":
        path = stem
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    names: list[str] = []
    # Climb out of the package so the module is imported by its dotted name.
    while True:
        path, name = os.path.split(path)
        names.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    module = ".".join(reversed(names))
    if not all(part.isidentifier() for part in names):
        raise CLIError(f"--app {spec!r}: {module!r} is not an importable module name")
    return module, path


def _parse_expression(expression: str, spec: str) -> tuple[str, bool, str | None]:
    """(name, is a call, the call text when it has arguments)."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        raise CLIError(
            f"--app {spec!r}: {expression!r} is not an attribute name or a factory call"
        ) from None
    if isinstance(node, ast.Name):
        return node.id, False, None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        try:
            for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
                ast.literal_eval(argument)
        except ValueError:
            raise CLIError(
                f"--app {spec!r}: factory arguments must be literals (strings, numbers, ...)"
            ) from None
        if any(keyword.arg is None for keyword in node.keywords):
            raise CLIError(f"--app {spec!r}: '**' is not allowed in factory arguments")
        has_arguments = bool(node.args or node.keywords)
        return node.func.id, True, expression.strip() if has_arguments else None
    raise CLIError(f"--app {spec!r}: {expression!r} is not an attribute name or a factory call")


def _call_literal(function: Any, call: str | None) -> Any:
    if call is None:
        return function()
    node = ast.parse(call, mode="eval").body
    assert isinstance(node, ast.Call)
    args = [ast.literal_eval(argument) for argument in node.args]
    kwargs = {str(k.arg): ast.literal_eval(k.value) for k in node.keywords}
    return function(*args, **kwargs)


def _import(module: str, app_dir: str, spec: str) -> ModuleType:
    if app_dir not in sys.path:
        sys.path.insert(0, app_dir)
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if module == missing or module.startswith(missing + "."):
            raise CLIError(
                f"could not import {module!r} for --app {spec!r} from {app_dir!r}:"
                f" no module named {missing!r}"
            ) from None
        raise CLIError(_import_failure(module, spec)) from None
    except Exception:
        raise CLIError(_import_failure(module, spec)) from None


def _import_failure(module: str, spec: str) -> str:
    return (
        f"importing {module!r} for --app {spec!r} raised an error:\n"
        + traceback.format_exc().rstrip()
    )


def _is_factory(value: Any) -> bool:
    # A WSGI function takes 2 arguments and an ASGI one 3; a factory needs none.
    if not inspect.isfunction(value):
        return False
    required = [
        parameter
        for parameter in inspect.signature(value).parameters.values()
        if parameter.default is parameter.empty
        and parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    ]
    return not required


def _build(module: ModuleType, target: AppTarget, spec: str) -> Any:
    value = getattr(module, target.name)
    if not target.factory:
        return value
    if not callable(value):
        raise CLIError(f"--app {spec!r}: {target.name!r} is not callable, so not a factory")
    try:
        return _call_literal(value, target.call)
    except Exception:
        raise CLIError(
            f"--app {spec!r}: calling factory {target.expression!r} raised an error:\n"
            + traceback.format_exc().rstrip()
        ) from None


def find_app(spec: str | None, cwd: str | None = None) -> tuple[AppTarget, Any]:
    """Import the app ``spec`` names (or ``wsgi.py``/``app.py``); return where it is and it."""
    cwd = os.getcwd() if cwd is None else cwd
    if spec is None:
        for candidate in ("wsgi", "app"):
            if os.path.exists(os.path.join(cwd, candidate + ".py")):
                return find_app(candidate, cwd)
        raise CLIError(
            "no app given: pass --app module:name or set ERLEN_APP"
            " (wsgi.py and app.py were not found in the current directory)"
        )
    module_name, app_dir, expression = parse_app_spec(spec, cwd)
    module = _import(module_name, app_dir, spec)
    if expression is None:
        target = _find_best(module, app_dir, spec)
    else:
        name, is_call, call = _parse_expression(expression, spec)
        if not hasattr(module, name):
            raise CLIError(f"--app {spec!r}: module {module_name!r} has no attribute {name!r}")
        is_call = is_call or _is_factory(getattr(module, name))
        target = AppTarget(module_name, app_dir, name, is_call, call)
    app = _build(module, target, spec)
    if not callable(app):
        raise CLIError(
            f"--app {spec!r}: {target.expression!r} is a {type(app).__name__},"
            " not a WSGI or ASGI application"
        )
    return target, app


def _find_best(module: ModuleType, app_dir: str, spec: str) -> AppTarget:
    name = module.__name__
    for attribute in ("app", "application"):
        if callable(getattr(module, attribute, None)):
            return AppTarget(name, app_dir, attribute)
    try:
        from erlen.app import Erlen
    except ImportError:  # pragma: no cover - the app module is part of the package
        apps: list[str] = []
    else:
        apps = [key for key, value in vars(module).items() if isinstance(value, Erlen)]
    if len(apps) == 1:
        return AppTarget(name, app_dir, apps[0])
    if len(apps) > 1:
        raise CLIError(
            f"--app {spec!r}: module {name!r} holds several apps ({', '.join(sorted(apps))});"
            f" use '{name}:<name>' to choose one"
        )
    for attribute in ("create_app", "make_app"):
        if inspect.isfunction(getattr(module, attribute, None)):
            return AppTarget(name, app_dir, attribute, factory=True)
    raise CLIError(
        f"--app {spec!r}: module {name!r} has no 'app' or 'application' object and no"
        f" 'create_app' or 'make_app' factory; use '{name}:<name>' to name the app"
    )


def _interface(app: Any) -> Interface:
    # The erlen app is both: __call__ takes WSGI's 2 arguments or ASGI's 3.
    return "asgi3" if hasattr(app, "asgi_app") else "wsgi"


def _server_installed(server: str) -> bool:
    return importlib.util.find_spec(server) is not None


def _factory_from_environment() -> Any:
    """Build the app in a uvicorn worker from a factory call with arguments."""
    app_dir, _, spec = os.environ[_FACTORY_ENVIRONMENT].partition(os.pathsep)
    return find_app(spec, app_dir)[1]


def _server_environment(target: AppTarget, debug: bool) -> None:
    # Workers and reloaders are new processes: they find the app through
    # PYTHONPATH and learn debug mode from ERLEN_DEBUG.
    path = os.environ.get("PYTHONPATH")
    if path is None:
        os.environ["PYTHONPATH"] = target.app_dir
    elif target.app_dir not in path.split(os.pathsep):
        os.environ["PYTHONPATH"] = target.app_dir + os.pathsep + path
    if debug:
        os.environ["ERLEN_DEBUG"] = "1"


def _run_uvicorn(
    target: AppTarget, app: Any, options: argparse.Namespace, interface: Interface
) -> None:
    import uvicorn

    separate_processes = options.reload or (options.workers or 1) > 1
    app_or_string: Any
    factory = False
    if not separate_processes and target.factory:
        # One process: serve the app already built rather than calling the factory twice.
        app_or_string = app
    elif target.call is not None:
        call = f"{target.module}:{target.expression}"
        os.environ[_FACTORY_ENVIRONMENT] = target.app_dir + os.pathsep + call
        app_or_string, factory = "erlen.cli:_factory_from_environment", True
    else:
        app_or_string, factory = target.import_string, target.factory
    extra: dict[str, Any] = {}
    if options.reload:
        extra["reload_dirs"] = [target.app_dir]
    uvicorn.run(
        app_or_string,
        host=options.host,
        port=options.port,
        reload=options.reload,
        workers=options.workers,
        factory=factory,
        interface=interface,
        **extra,
    )


def server_command(
    target: AppTarget, options: argparse.Namespace, interface: Interface
) -> list[str]:
    """The command line that runs ``target`` under gunicorn, hypercorn or granian."""
    server = options.server
    command = [sys.executable, "-m", server]
    if server == "gunicorn":
        # gunicorn is WSGI only; the erlen app answers WSGI through __call__.
        command += ["--bind", _bind(options.host, options.port), "--pythonpath", target.app_dir]
        if options.workers:
            command += ["--workers", str(options.workers)]
        if options.reload:
            command.append("--reload")
        command.append(f"{target.module}:{target.expression}")
    elif server == "hypercorn":
        command += ["--bind", _bind(options.host, options.port)]
        if options.workers:
            command += ["--workers", str(options.workers)]
        if options.reload:
            command.append("--reload")
        mode = "asgi" if interface == "asgi3" else "wsgi"
        command.append(f"{mode}:{target.module}:{target.expression}")
    else:
        if target.call is not None:
            raise CLIError(
                f"granian cannot pass arguments to a factory ({target.expression!r});"
                " use a factory without arguments or another --server"
            )
        granian_interface = "asgi" if interface == "asgi3" else "wsgi"
        command += [
            "--interface",
            granian_interface,
            "--host",
            options.host,
            "--port",
            str(options.port),
        ]
        if options.workers:
            command += ["--workers", str(options.workers)]
        if options.reload:
            command.append("--reload")
        if target.factory:
            command.append("--factory")
        command.append(target.import_string)
    return command


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _run(options: argparse.Namespace) -> None:
    if not _server_installed(options.server):
        raise CLIError(f"server {options.server!r} is not installed (pip install {options.server})")
    cwd = os.getcwd()
    if cwd not in sys.path:
        # Like `flask run`: modules next to where the command runs can be imported.
        sys.path.insert(0, cwd)
    if options.debug:
        os.environ["ERLEN_DEBUG"] = "1"
    target, app = find_app(options.app, cwd)
    if options.debug:
        try:
            app.debug = True
        except AttributeError:  # a plain WSGI callable without a debug switch
            pass
    interface = _interface(app)
    _server_environment(target, options.debug)
    if options.server == "uvicorn":
        _run_uvicorn(target, app, options, interface)
        return
    command = server_command(target, options, interface)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(command[0], command)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``erlen`` command; returns the exit code."""
    parser = build_parser()
    options = parser.parse_args(argv)
    try:
        if options.command == "run":
            _run(options)
    except CLIError as error:
        print(f"erlen {options.command}: error: {error}", file=sys.stderr)
        return 2
    return 0
