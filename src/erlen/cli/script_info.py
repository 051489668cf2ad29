"""What commands share: ``ScriptInfo`` (loads the app once), ``with_appcontext``, ``.env`` files."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from erlen.cli.discovery import AppTarget, _debug_flag, _is_framework_app, find_app
from erlen.cli.errors import NoAppException, user_traceback

if TYPE_CHECKING:
    from erlen.app import Erlen


F = TypeVar("F", bound=Callable[..., Any])


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
