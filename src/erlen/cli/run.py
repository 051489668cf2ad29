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

This module imports click; ``import erlen`` never imports it.
"""

from __future__ import annotations

import ast
import dataclasses
import errno
import fnmatch
import importlib
import importlib.util
import inspect
import os
import platform
import re
import socket
import ssl
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from functools import update_wrapper
from operator import itemgetter
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import click
from click.core import ParameterSource

if TYPE_CHECKING:
    from erlen.app import Erlen

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

F = TypeVar("F", bound=Callable[..., Any])
Interface = Literal["wsgi", "asgi"]

#: Servers ``--server`` accepts, the default first.
SERVERS = ("granian", "uvicorn", "hypercorn", "gunicorn")
INTERFACES = ("wsgi", "asgi")

#: Environment variable through which a factory call with arguments reaches
#: the server's worker and reloader processes.
_FACTORY_ENVIRONMENT = "ERLEN_RUN_FACTORY"
#: Set while ``erlen`` runs a command, so that ``app.run()`` does not block it.
RUN_FROM_CLI_ENVIRONMENT = "FLASK_RUN_FROM_CLI"

# A colon that is not the drive separator of a Windows path ("C:\\app.py").
_SPEC_SPLIT = re.compile(r":(?![\\/])")
# The erlen package (this file is in erlen/cli/): its frames are not the user's.
_ERLEN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class NoAppException(click.UsageError):
    """The app could not be found, imported or built; shown as one line, exit code 2."""

    def __init__(self, message: str, user_traceback: str | None = None) -> None:
        super().__init__(message)
        #: The traceback of the user's own code that failed, if any.
        self.user_traceback = user_traceback

    def show(self, file: Any = None) -> None:
        """Print the user's traceback (when there is one) and one error line."""
        if self.user_traceback:
            click.echo(self.user_traceback.rstrip(), err=True)
        click.echo(f"Error: {self.format_message()}", err=True)


#: The name earlier erlen versions used.
CLIError = NoAppException


class _ConfigError(click.UsageError):
    """A bad combination of options; one line, exit code 2."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


# --- the user's traceback -------------------------------------------------------


def _is_own_frame(filename: str) -> bool:
    """True for frames of erlen, click and importlib: not the user's code."""
    if filename.startswith("<frozen "):
        return True
    path = os.path.abspath(filename)
    return path.startswith(_ERLEN_DIR + os.sep) or path.startswith(
        os.path.dirname(os.path.abspath(click.__file__)) + os.sep
    )


def user_traceback(error: BaseException) -> str:
    """The traceback of ``error`` keeping only the user's frames."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not _is_own_frame(frame.filename)
    ]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines)


# --- finding the app ------------------------------------------------------------


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


def parse_app_spec(spec: str, cwd: str | None = None) -> tuple[str, str, str | None]:
    """Split ``--app`` into (module name, directory to import it from, expression or None)."""
    if not spec or spec != spec.strip():
        raise NoAppException(f"--app must be a module or file name, got {spec!r}")
    cwd = os.getcwd() if cwd is None else cwd
    parts = _SPEC_SPLIT.split(spec, maxsplit=1)
    location = parts[0]
    expression = parts[1] if len(parts) == 2 else None
    if expression is not None and not expression:
        raise NoAppException(f"--app {spec!r} has nothing after ':'")
    if location.endswith(".py") or "/" in location or os.sep in location:
        module, app_dir = _module_from_path(os.path.join(cwd, location), spec)
    else:
        if not all(part.isidentifier() for part in location.split(".")):
            raise NoAppException(f"--app {spec!r}: {location!r} is not a module name")
        module, app_dir = location, cwd
    return module, app_dir, expression


def _module_from_path(path: str, spec: str) -> tuple[str, str]:
    path = os.path.realpath(path)
    if not os.path.exists(path):
        raise NoAppException(f"--app {spec!r}: no such file or directory {path!r}")
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
        raise NoAppException(f"--app {spec!r}: {module!r} is not an importable module name")
    return module, path


def _parse_expression(expression: str, spec: str) -> tuple[str, bool, str | None]:
    """(name, is a call, the call text when it has arguments)."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(
            f"--app {spec!r}: {expression!r} is not an attribute name or a factory call"
        ) from None
    if isinstance(node, ast.Name):
        return node.id, False, None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        try:
            for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
                ast.literal_eval(argument)
        except ValueError:
            raise NoAppException(
                f"--app {spec!r}: factory arguments must be literals (strings, numbers, ...)"
            ) from None
        if any(keyword.arg is None for keyword in node.keywords):
            raise NoAppException(f"--app {spec!r}: '**' is not allowed in factory arguments")
        has_arguments = bool(node.args or node.keywords)
        return node.func.id, True, expression.strip() if has_arguments else None
    raise NoAppException(
        f"--app {spec!r}: {expression!r} is not an attribute name or a factory call"
    )


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
            raise NoAppException(
                f"could not import {module!r} for --app {spec!r} from {app_dir!r}:"
                f" no module named {missing!r}"
            ) from None
        raise NoAppException(
            f"importing {module!r} for --app {spec!r} raised {type(error).__name__}: {error}",
            user_traceback(error),
        ) from None
    except Exception as error:
        raise NoAppException(
            f"importing {module!r} for --app {spec!r} raised {type(error).__name__}: {error}",
            user_traceback(error),
        ) from None


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
        raise NoAppException(f"--app {spec!r}: {target.name!r} is not callable, so not a factory")
    try:
        return _call_literal(value, target.call)
    except Exception as error:
        raise NoAppException(
            f"--app {spec!r}: factory {target.expression!r} raised {type(error).__name__}: {error}",
            user_traceback(error),
        ) from None


def find_app(spec: str | None, cwd: str | None = None) -> tuple[AppTarget, Any]:
    """Import the app ``spec`` names (or ``wsgi.py``/``app.py``); return where it is and it."""
    cwd = os.getcwd() if cwd is None else cwd
    if spec is None:
        for candidate in ("wsgi", "app"):
            if os.path.exists(os.path.join(cwd, candidate + ".py")):
                return find_app(candidate, cwd)
        raise NoAppException(
            "no app given: pass --app module:name or set ERLEN_APP or FLASK_APP"
            " (wsgi.py and app.py were not found in the current directory)"
        )
    module_name, app_dir, expression = parse_app_spec(spec, cwd)
    module = _import(module_name, app_dir, spec)
    if expression is None:
        target = _find_best(module, app_dir, spec)
    else:
        name, is_call, call = _parse_expression(expression, spec)
        if not hasattr(module, name):
            raise NoAppException(
                f"--app {spec!r}: module {module_name!r} has no attribute {name!r}"
            )
        is_call = is_call or _is_factory(getattr(module, name))
        target = AppTarget(module_name, app_dir, name, is_call, call)
    app = _build(module, target, spec)
    if not callable(app):
        raise NoAppException(
            f"--app {spec!r}: {target.expression!r} is a {type(app).__name__},"
            " not a WSGI or ASGI application"
        )
    return target, app


def _is_framework_app(value: Any) -> bool:
    """An erlen app, or a Flask one (which erlen runs too)."""
    from erlen.app import Erlen

    if isinstance(value, Erlen):
        return True
    flask = sys.modules.get("flask")
    return flask is not None and isinstance(value, getattr(flask, "Flask", ()))


def _find_best(module: ModuleType, app_dir: str, spec: str) -> AppTarget:
    name = module.__name__
    for attribute in ("app", "application"):
        if callable(getattr(module, attribute, None)):
            return AppTarget(name, app_dir, attribute)
    apps = [key for key, value in vars(module).items() if _is_framework_app(value)]
    if len(apps) == 1:
        return AppTarget(name, app_dir, apps[0])
    if len(apps) > 1:
        raise NoAppException(
            f"--app {spec!r}: module {name!r} holds several apps ({', '.join(sorted(apps))});"
            f" use '{name}:<name>' to choose one"
        )
    for attribute in ("create_app", "make_app"):
        if inspect.isfunction(getattr(module, attribute, None)):
            return AppTarget(name, app_dir, attribute, factory=True)
    raise NoAppException(
        f"--app {spec!r}: module {name!r} has no 'app' or 'application' object and no"
        f" 'create_app' or 'make_app' factory; use '{name}:<name>' to name the app"
    )


def _factory_from_environment() -> Any:
    """Build the app in a server's worker from a factory call with arguments."""
    app_dir, _, spec = os.environ[_FACTORY_ENVIRONMENT].partition(os.pathsep)
    return find_app(spec, app_dir)[1]


def _debug_flag() -> bool:
    for name in ("ERLEN_DEBUG", "FLASK_DEBUG"):
        value = os.environ.get(name)
        if value:
            return value.lower() not in {"0", "false", "no"}
    return False


# --- script info, env files, app context ----------------------------------------


class ScriptInfo:
    """What a command needs to find the app: the ``--app`` value or a ``create_app`` callback."""

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: Callable[..., Any] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        #: The ``--app`` value (or ``ERLEN_APP``/``FLASK_APP``).
        self.app_import_path = app_import_path
        #: A callable returning the app, used instead of the import path.
        self.create_app = create_app
        #: Arbitrary data for commands to share.
        self.data: dict[Any, Any] = {}
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = load_dotenv_defaults
        #: Where the app was found, when it came from an import path.
        self.target: AppTarget | None = None
        self._loaded_app: Any = None

    def load_app(self) -> Any:
        """Find, import (or build) the app once; later calls return the same app."""
        if self._loaded_app is not None:
            return self._loaded_app
        if self.create_app is not None:
            try:
                app = self.create_app()
            except Exception as error:
                raise NoAppException(
                    f"create_app raised {type(error).__name__}: {error}", user_traceback(error)
                ) from None
        else:
            self.target, app = find_app(self.app_import_path)
        if app is None:
            raise NoAppException("the app factory returned None, not an application")
        if self.set_debug_flag and _is_framework_app(app):
            app.debug = _debug_flag()
        self._loaded_app = app
        return app


#: Passes the :class:`ScriptInfo` to a command as its first argument.
pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def _cli_app(app: Any, command: str) -> Erlen:
    if not hasattr(app, "app_context"):
        raise NoAppException(
            f"'{command}' needs an erlen (or Flask) app; the app found is a {type(app).__name__}"
        )
    return cast("Erlen", app)


def with_appcontext(f: F) -> F:
    """Run the command inside the app's context (loading the app when none is active)."""

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        from erlen.ctx import has_app_context

        if not has_app_context():
            app = _cli_app(ctx.ensure_object(ScriptInfo).load_app(), ctx.info_name or "")
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return cast(F, update_wrapper(decorator, f))


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Set environment variables from ``path``, ``.env`` and ``.flaskenv`` (in that precedence).

    Variables already in the environment are kept. Returns whether any variable
    was read; without python-dotenv, prints a tip when such files exist.
    """
    try:
        import dotenv
    except ImportError:
        if path or os.path.isfile(".env") or os.path.isfile(".flaskenv"):
            click.secho(
                " * Tip: .env files are present; install python-dotenv to use them.",
                fg="yellow",
                err=True,
            )
        return False
    values: dict[str, str | None] = {}
    if load_defaults:
        # Lowest precedence first: each later file overrides the earlier ones.
        for default_name in (".flaskenv", ".env"):
            found = dotenv.find_dotenv(default_name, usecwd=True)
            if found:
                values.update(dotenv.dotenv_values(found, encoding="utf-8"))
    if path is not None and os.path.isfile(path):
        values.update(dotenv.dotenv_values(path, encoding="utf-8"))
    for key, value in values.items():
        if value is not None and key not in os.environ:
            os.environ[key] = value
    return bool(values)


class AppGroup(click.Group):
    """A click group whose commands run inside the app's context by default."""

    def command(self, *args: Any, **kwargs: Any) -> Any:
        """Like :meth:`click.Group.command`; ``with_appcontext=False`` opts out."""
        wrap = kwargs.pop("with_appcontext", True)

        def decorator(f: Callable[..., Any]) -> click.Command:
            if wrap:
                f = with_appcontext(f)
            return cast(click.Command, click.Group.command(self, *args, **kwargs)(f))

        return decorator

    def group(self, *args: Any, **kwargs: Any) -> Any:
        """Like :meth:`click.Group.group`, making :class:`AppGroup` sub-groups."""
        kwargs.setdefault("cls", AppGroup)
        return click.Group.group(self, *args, **kwargs)


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool | None:
    source = ctx.get_parameter_source(param.name or "debug")
    if source in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
        return None
    # Through the environment, so a factory (and a server's workers) see it.
    flag = "1" if value else "0"
    os.environ["FLASK_DEBUG"] = os.environ["ERLEN_DEBUG"] = flag
    return value


def _load_env_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and importlib.util.find_spec("dotenv") is None:
        raise click.BadParameter("python-dotenv must be installed to load an env file.")
    info = ctx.ensure_object(ScriptInfo)
    if value is not None or info.load_dotenv_defaults:
        load_dotenv(value, load_defaults=info.load_dotenv_defaults)
    return value


def _app_option() -> click.Option:
    return click.Option(
        ["-A", "--app"],
        metavar="IMPORT",
        envvar=["ERLEN_APP", "FLASK_APP"],
        help=(
            "The app or factory to load: 'module:name', 'path/to/file.py',"
            " 'module:create_app(args)'. The name may be left out when it is app,"
            " application, create_app or make_app. [env ERLEN_APP, FLASK_APP]"
        ),
        is_eager=True,
        expose_value=False,
        callback=_set_app,
    )


def _debug_option() -> click.Option:
    return click.Option(
        ["--debug/--no-debug"],
        help="Debug mode: reload on changes, pretty JSON, errors logged in full.",
        expose_value=False,
        callback=_set_debug,
    )


def _env_file_option() -> click.Option:
    return click.Option(
        ["-e", "--env-file"],
        type=click.Path(exists=True, dir_okay=False),
        help=(
            "Load environment variables from this file; it takes precedence over .env"
            " and .flaskenv, the real environment over all. Needs python-dotenv."
        ),
        is_eager=True,
        expose_value=False,
        callback=_load_env_file,
    )


def _version_text() -> str:
    from erlen import __version__

    return (
        f"Python {platform.python_version()}\nerlen {__version__}\n"
        f"click {_distribution_version('click')}"
    )


def _distribution_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(_version_text(), color=ctx.color)
    ctx.exit()


_version_option = click.Option(
    ["--version"],
    help="Show the erlen version.",
    expose_value=False,
    callback=_show_version,
    is_flag=True,
    is_eager=True,
)


class FlaskGroup(AppGroup):
    """The ``erlen`` command group: built-in commands plus the app's and plugins' commands.

    Use it for a custom entry script: ``@click.group(cls=FlaskGroup, create_app=...)``.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: Callable[..., Any] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: Any,
    ) -> None:
        params: list[click.Parameter] = list(extra.pop("params", None) or ())
        # --env-file first: it is eager and must be loaded before --app is read.
        params.extend((_env_file_option(), _app_option(), _debug_option()))
        if add_version_option:
            params.append(_version_option)
        extra.setdefault("context_settings", {})
        extra["context_settings"].setdefault("auto_envvar_prefix", "FLASK")
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)
        self._loaded_plugin_commands = False

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return
        from importlib.metadata import entry_points

        for group in ("flask.commands", "erlen.commands"):
            for entry_point in entry_points(group=group):
                self.add_command(entry_point.load(), entry_point.name)
        self._loaded_plugin_commands = True

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A built-in or plugin command, else one of the app's ``app.cli`` commands."""
        self._load_plugin_commands()
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as error:
            error.show()
            return None
        app_cli = getattr(app, "cli", None)
        if app_cli is None:
            return None
        from erlen.ctx import current_app, has_app_context

        if hasattr(app, "app_context") and (
            not has_app_context() or cast(Any, current_app)._get_current_object() is not app
        ):
            ctx.with_resource(app.app_context())
        return cast("click.Command | None", app_cli.get_command(ctx, cmd_name))

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Built-in, plugin and app commands; an app that fails to load is reported."""
        self._load_plugin_commands()
        names = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        try:
            app_cli = getattr(info.load_app(), "cli", None)
        except NoAppException as error:
            error.show()
        else:
            if app_cli is not None:
                names.update(app_cli.list_commands(ctx))
        return sorted(names)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Mark the process as run from the CLI (so ``app.run()`` stays out) and make the info."""
        os.environ[RUN_FROM_CLI_ENVIRONMENT] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Read --env-file and --app from the environment early when only help is asked for."""
        if (not args and self.no_args_is_help) or (
            len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        ):
            for param in self.params:
                if param.name in ("env_file", "app"):
                    param.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)


#: erlen's name for :class:`FlaskGroup`.
ErlenGroup = FlaskGroup


# --- erlen run ------------------------------------------------------------------


def app_needs_asgi(app: Any) -> tuple[bool, str]:
    """Whether the app has ``async def`` callables (so ASGI serves it best), and why."""
    if not hasattr(app, "asgi_app"):
        call = getattr(type(app), "__call__", None)  # noqa: B004 - the method itself
        if inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(call):
            return True, "the app is an ASGI callable"
        return False, "the app is a WSGI callable"
    found = _first_async_callable(app)
    if found is not None:
        return True, f"{found} is async def"
    return False, "no async def view, hook or error handler"


def _first_async_callable(app: Any) -> str | None:
    for endpoint, view in getattr(app, "view_functions", {}).items():
        if _is_async(view):
            return f"view {endpoint!r}"
    hooks = {
        "before_request": getattr(app, "before_request_funcs", {}),
        "after_request": getattr(app, "after_request_funcs", {}),
        "teardown_request": getattr(app, "teardown_request_funcs", {}),
        "url_value_preprocessor": getattr(app, "url_value_preprocessors", {}),
        "template_context_processor": getattr(app, "template_context_processors", {}),
    }
    for kind, by_blueprint in hooks.items():
        for functions in by_blueprint.values():
            for function in functions:
                if _is_async(function):
                    return f"{kind} hook {_callable_name(function)!r}"
    for kind in ("teardown_appcontext_funcs", "before_serving_funcs", "after_serving_funcs"):
        for function in getattr(app, kind, []):
            if _is_async(function) or kind != "teardown_appcontext_funcs":
                # before/after_serving run in the ASGI lifespan only.
                return f"{kind.removesuffix('_funcs')} hook {_callable_name(function)!r}"
    for by_code in getattr(app, "error_handler_spec", {}).values():
        for handlers in by_code.values():
            for exception, handler in handlers.items():
                if _is_async(handler):
                    return f"error handler for {exception.__name__}"
    return None


def _is_async(function: Any) -> bool:
    function = getattr(function, "view_class", function)
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "dispatch_request", None)
    )


def _callable_name(function: Any) -> str:
    return str(getattr(function, "__qualname__", None) or repr(function))


@dataclasses.dataclass
class RunOptions:
    """The settled choices of ``erlen run``."""

    host: str = "127.0.0.1"
    port: int = 5000
    server: str = SERVERS[0]
    interface: Interface = "wsgi"
    reason: str = ""
    reload: bool = False
    debug: bool = False
    workers: int | None = None
    threads: int | None = None
    cert: str | None = None
    key: str | None = None
    extra_files: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    access_log: bool = True


def _server_installed(server: str) -> bool:
    return importlib.util.find_spec(server) is not None


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_port_free(host: str, port: int) -> None:
    """Raise a one-line error when ``host:port`` cannot be bound (in use, or not ours)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise _ConfigError(f"cannot resolve --host {host!r}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        # Servers set SO_REUSEADDR too: a port in TIME_WAIT is not "in use".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise _ConfigError(
                    f"port {port} on {host} is already in use; stop the other server or"
                    " choose another --port"
                ) from None
            raise _ConfigError(f"cannot listen on {_bind(host, port)}: {error.strerror}") from None


def check_certificate(cert: str, key: str) -> None:
    """Raise a one-line error when the certificate and key cannot be used together."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as error:
        reason = error.reason or str(error)
        if "KEY_VALUES_MISMATCH" in str(error):
            reason = "the key does not belong to the certificate"
        raise _ConfigError(f"--cert {cert!r} and --key {key!r} cannot be used: {reason}") from None
    except OSError as error:
        raise _ConfigError(f"--cert/--key: {error.strerror}: {error.filename}") from None


def _reload_ignore_regexes(patterns: Iterable[str]) -> list[str]:
    # Flask's --exclude-patterns are fnmatch patterns; granian wants regexes.
    return [fnmatch.translate(pattern) for pattern in patterns]


def server_command(target: AppTarget, options: RunOptions) -> list[str]:
    """The command line that runs ``target`` under granian, gunicorn or hypercorn."""
    server = options.server
    command = [sys.executable, "-m", server]
    app_string = _app_string(target, options)
    if server == "granian":
        command += ["--interface", options.interface, "--host", options.host]
        command += ["--port", str(options.port)]
        if options.workers:
            command += ["--workers", str(options.workers)]
        if options.threads:
            command += ["--blocking-threads", str(options.threads)]
        if options.access_log:
            command.append("--access-log")
        if options.cert and options.key:
            command += ["--ssl-certificate", options.cert, "--ssl-keyfile", options.key]
        if options.reload:
            command.append("--reload")
            if options.extra_files:
                for path in (target.app_dir, *options.extra_files):
                    command += ["--reload-paths", path]
            for regex in _reload_ignore_regexes(options.exclude_patterns):
                command += ["--reload-ignore-patterns", regex]
        if _is_factory_string(target):
            command.append("--factory")
        command.append(app_string)
    elif server == "gunicorn":
        command += ["--bind", _bind(options.host, options.port), "--pythonpath", target.app_dir]
        if options.workers:
            command += ["--workers", str(options.workers)]
        if options.threads:
            command += ["--threads", str(options.threads)]
        if options.access_log:
            command += ["--access-logfile", "-"]
        if options.cert and options.key:
            command += ["--certfile", options.cert, "--keyfile", options.key]
        if options.reload:
            command.append("--reload")
            for path in options.extra_files:
                command += ["--reload-extra-file", path]
        command.append(app_string)
    elif server == "hypercorn":
        command += ["--bind", _bind(options.host, options.port)]
        if options.workers:
            command += ["--workers", str(options.workers)]
        if options.access_log:
            command += ["--access-logfile", "-"]
        if options.cert and options.key:
            command += ["--certfile", options.cert, "--keyfile", options.key]
        if options.reload:
            command.append("--reload")
        command.append(f"{options.interface}:{app_string}")
    else:
        raise ValueError(f"server {server!r} is not started by command line")
    return command


def _is_factory_string(target: AppTarget) -> bool:
    return target.factory or target.call is not None


def _app_string(target: AppTarget, options: RunOptions) -> str:
    """What the server imports: ``module:name`` (or erlen's loader for factory arguments)."""
    if target.call is None:
        if options.server in ("gunicorn", "hypercorn") and target.factory:
            return f"{target.module}:{target.expression}"
        return target.import_string
    # A factory call with arguments reaches the workers through the environment.
    os.environ[_FACTORY_ENVIRONMENT] = (
        target.app_dir + os.pathsep + f"{target.module}:{target.expression}"
    )
    if options.server in ("gunicorn", "hypercorn"):
        return "erlen.cli:_factory_from_environment()"
    return "erlen.cli:_factory_from_environment"


def _server_environment(target: AppTarget) -> None:
    # Workers and reloaders are new processes: they find the app through
    # PYTHONPATH and learn debug mode from FLASK_DEBUG/ERLEN_DEBUG.
    path = os.environ.get("PYTHONPATH")
    if path is None:
        os.environ["PYTHONPATH"] = target.app_dir
    elif target.app_dir not in path.split(os.pathsep):
        os.environ["PYTHONPATH"] = target.app_dir + os.pathsep + path


def settle_run_options(
    app: Any,
    *,
    host: str,
    port: int,
    server: str | None,
    interface: str | None,
    reload: bool | None,
    debug: bool,
    workers: int | None,
    threads: int | None,
    cert: str | None,
    key: str | None,
    extra_files: Sequence[str] = (),
    exclude_patterns: Sequence[str] = (),
    access_log: bool = True,
) -> RunOptions:
    """Choose server and interface, and check the options fit them; one-line errors."""
    chosen_server = server or SERVERS[0]
    if not _server_installed(chosen_server):
        extra = "" if chosen_server == "granian" else f" (pip install 'erlen[{chosen_server}]')"
        raise _ConfigError(f"server {chosen_server!r} is not installed{extra}")
    needs_asgi, why = app_needs_asgi(app)
    erlen_app = hasattr(app, "asgi_app")
    if interface is not None:
        chosen: Interface = cast(Interface, interface)
        reason = f"--interface {interface}"
        if interface == "wsgi" and needs_asgi:
            if not erlen_app:
                raise _ConfigError(f"--interface wsgi cannot serve this app: {why}")
            reason += f"; {why}, run through erlen's sync bridge"
        if interface == "asgi" and not erlen_app and not needs_asgi:
            raise _ConfigError(f"--interface asgi cannot serve this app: {why}")
    elif chosen_server == "gunicorn":
        chosen, reason = "wsgi", "gunicorn serves WSGI only"
        if needs_asgi and erlen_app:
            reason += f"; {why}, run through erlen's sync bridge"
        elif needs_asgi:
            raise _ConfigError(f"gunicorn cannot serve this app: {why}")
    elif chosen_server in ("uvicorn", "hypercorn") and erlen_app:
        chosen, reason = "asgi", f"{chosen_server} is an ASGI server"
    else:
        chosen, reason = ("asgi" if needs_asgi else "wsgi"), why
    if chosen == "asgi" and chosen_server == "gunicorn":
        raise _ConfigError("gunicorn serves WSGI only; use --server granian, uvicorn or hypercorn")
    has_thread_pool = chosen_server == "gunicorn" or (
        chosen_server == "granian" and chosen == "wsgi"
    )
    if threads is not None and not has_thread_pool:
        raise _ConfigError(
            f"--threads sizes a WSGI thread pool; {chosen_server} over {chosen.upper()}"
            " has none (sync views run in erlen's bridge); leave --threads out"
        )
    if (cert is None) != (key is None):
        raise _ConfigError("--cert and --key must be given together")
    if cert is not None and key is not None:
        check_certificate(cert, key)
    if reload is None:
        reload = debug
    if threads is None and chosen_server == "granian" and chosen == "wsgi":
        # granian's own ceiling for a pool that does not just fight over the GIL.
        threads = default_wsgi_threads()
    if reload and workers is not None and workers > 1 and chosen_server == "uvicorn":
        raise _ConfigError("uvicorn cannot reload with several --workers; drop one of them")
    return RunOptions(
        host=host,
        port=port,
        server=chosen_server,
        interface=chosen,
        reason=reason,
        reload=reload,
        debug=debug,
        workers=workers,
        threads=threads,
        cert=cert,
        key=key,
        extra_files=tuple(extra_files),
        exclude_patterns=tuple(exclude_patterns),
        access_log=access_log,
    )


def default_wsgi_threads() -> int:
    """Blocking threads per granian WSGI worker when ``--threads`` is not given."""
    return (os.cpu_count() or 1) * 2 + 1


def _banner(info: ScriptInfo, options: RunOptions) -> str:
    scheme = "https" if options.cert else "http"
    host = f"[{options.host}]" if ":" in options.host else options.host
    detail = f"{options.interface.upper()} interface"
    if options.threads and options.interface == "wsgi":
        detail += f", {options.threads} threads per worker"
    if options.workers:
        detail += f", {options.workers} workers"
    lines = [
        f" * Serving erlen app '{info.app_import_path or 'app'}'",
        f" * Server: {options.server}, {detail} ({options.reason})",
        f" * Debug mode: {'on' if options.debug else 'off'}",
    ]
    if options.reload:
        lines.append(" * Reloading on code changes")
    lines.append(f" * Running on {scheme}://{host}:{options.port} (Press CTRL+C to quit)")
    return "\n".join(lines)


def _run_uvicorn(target: AppTarget | None, app: Any, options: RunOptions) -> None:
    import uvicorn

    separate_processes = options.reload or (options.workers or 1) > 1
    app_or_string: Any
    factory = False
    if target is None or (not separate_processes and target.factory):
        # One process: serve the app already built rather than building it twice.
        app_or_string = app
    elif target.call is not None:
        app_or_string, factory = _app_string(target, options), True
    else:
        app_or_string, factory = target.import_string, target.factory
    extra: dict[str, Any] = {}
    if options.reload and target is not None:
        directories = {
            target.app_dir,
            *(os.path.dirname(os.path.abspath(f)) for f in options.extra_files),
        }
        extra["reload_dirs"] = sorted(directories)
        if options.exclude_patterns:
            extra["reload_excludes"] = list(options.exclude_patterns)
    if options.cert and options.key:
        extra["ssl_certfile"], extra["ssl_keyfile"] = options.cert, options.key
    uvicorn.run(
        app_or_string,
        host=options.host,
        port=options.port,
        reload=options.reload,
        workers=options.workers,
        factory=factory,
        interface="asgi3" if options.interface == "asgi" else "wsgi",
        access_log=options.access_log,
        **extra,
    )


def start_server(info: ScriptInfo, app: Any, options: RunOptions) -> None:
    """Print the banner and start the chosen server (replacing this process unless uvicorn)."""
    check_port_free(options.host, options.port)
    target = info.target
    click.echo(_banner(info, options), err=True)
    if options.debug:
        # The development server shows a debug app's unhandled errors as a
        # traceback page (where Flask's shows its debugger); the worker
        # processes learn it from the environment.
        from erlen.dispatch import TRACEBACK_PAGE_VARIABLE

        os.environ[TRACEBACK_PAGE_VARIABLE] = "1"
    if target is not None:
        _server_environment(target)
    if options.server == "uvicorn" or target is None:
        _run_uvicorn(target, app, options)
        return
    command = server_command(target, options)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(command[0], command)


class _SeparatedPaths(click.Path):
    """A list of paths (or patterns) separated by ``os.pathsep``."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        return [
            super(_SeparatedPaths, self).convert(item, param, ctx)
            for item in value.split(os.pathsep)
            if item
        ]


@click.command("run", short_help="Serve the app with a production-grade server.")
@click.option(
    "--app",
    "-A",
    "run_app",
    metavar="IMPORT",
    envvar=["ERLEN_APP", "FLASK_APP"],
    is_eager=True,
    expose_value=False,
    callback=_set_app,
    help="The app to serve (also accepted before 'run').",
)
@click.option("--host", "-h", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port",
    "-p",
    default=5000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to bind.",
)
@click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="TLS certificate file.")
@click.option(
    "--key", type=click.Path(exists=True, dir_okay=False), help="TLS key file for --cert."
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart when source files change (default: on in debug mode).",
)
@click.option(
    "--extra-files",
    default=None,
    type=_SeparatedPaths(),
    help=f"Also reload when these files change (separated by {os.pathsep!r}).",
)
@click.option(
    "--exclude-patterns",
    default=None,
    type=_SeparatedPaths(),
    help=f"Do not reload for files matching these fnmatch patterns (separated by {os.pathsep!r}).",
)
@click.option(
    "--server",
    type=click.Choice(SERVERS),
    default=None,
    help="Server to use (default granian).",
)
@click.option(
    "--interface",
    type=click.Choice(INTERFACES),
    default=None,
    help="WSGI or ASGI (default: WSGI unless the app has async def callables).",
)
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes.")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="Threads per worker for WSGI (granian blocking threads, gunicorn threads).",
)
@click.option("--access-log/--no-access-log", default=True, help="Log one line per request.")
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    cert: str | None,
    key: str | None,
    reload: bool | None,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
    server: str | None,
    interface: str | None,
    workers: int | None,
    threads: int | None,
    access_log: bool,
) -> None:
    """Serve the app on a real server: granian by default, WSGI unless the app is async."""
    cwd = os.getcwd()
    if cwd not in sys.path:
        # Like `flask run`: modules next to where the command runs can be imported.
        sys.path.insert(0, cwd)
    app = info.load_app()
    if info.target is None:
        # Built by a create_app callback, not found by import: only a server
        # started in this process can serve the object itself.
        if server not in (None, "uvicorn"):
            raise _ConfigError(
                f"--server {server} imports the app by name; use --app, or --server uvicorn"
            )
        server = "uvicorn"
    options = settle_run_options(
        app,
        host=host,
        port=port,
        server=server,
        interface=interface,
        reload=reload,
        debug=_debug_flag(),
        workers=workers,
        threads=threads,
        cert=cert,
        key=key,
        extra_files=extra_files or (),
        exclude_patterns=exclude_patterns or (),
        access_log=access_log,
    )
    start_server(info, app, options)


run_command.params.insert(0, _debug_option())


# --- erlen routes, erlen shell --------------------------------------------------


@click.command("routes", short_help="Show the routes of the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    help="Column to sort by ('match' keeps the order routes are matched in).",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS too.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show every route with its endpoint and methods, as ``flask routes`` does."""
    from erlen.ctx import current_app

    url_map = current_app.url_map
    rules = list(url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    hidden = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching = bool(getattr(url_map, "host_matching", False))

    def domain(rule: Any) -> str:
        return str((rule.host if host_matching else rule.subdomain) or "")

    with_domain = any(domain(rule) for rule in rules)
    headers = ["Endpoint", "Methods"]
    columns = ["endpoint", "methods"]
    if with_domain:
        headers.append("Host" if host_matching else "Subdomain")
        columns.append("domain")
    headers.append("Rule")
    columns.append("rule")
    rows: list[list[str]] = []
    for rule in rules:
        row = [str(rule.endpoint), ", ".join(sorted(set(rule.methods or ()) - hidden))]
        if with_domain:
            row.append(domain(rule))
        row.append(rule.rule)
        rows.append(row)
    if sort in columns:
        rows.sort(key=itemgetter(columns.index(sort)))
    table = [headers, *rows]
    widths = [max(len(row[index]) for row in table) for index in range(len(headers))]
    table.insert(1, ["-" * width for width in widths])
    for row in table:
        # Every cell padded, the last one too (trailing spaces), as flask routes prints it.
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


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


# --- app.run --------------------------------------------------------------------

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


# --- the entry point ------------------------------------------------------------

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
