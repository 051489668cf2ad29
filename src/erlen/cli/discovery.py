"""Finding the app: ``--app`` specs, files and modules searched, factories called."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import importlib.util
import inspect
import os
import re
import sys
from types import ModuleType
from typing import Any

from erlen.cli.errors import NoAppException, user_traceback

#: Environment variable through which a factory call with arguments reaches
#: the server's worker and reloader processes.
_FACTORY_ENVIRONMENT = "ERLEN_RUN_FACTORY"


# A colon that is not the drive separator of a Windows path ("C:\\app.py").
_SPEC_SPLIT = re.compile(r":(?![\\/])")


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
