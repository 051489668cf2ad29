"""The command groups: ``AppGroup`` (commands in the app's context), ``FlaskGroup`` (``erlen``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, cast

import click

from erlen.cli.errors import NoAppException
from erlen.cli.options import _app_option, _debug_option, _env_file_option, _version_option
from erlen.cli.routes import routes_command
from erlen.cli.run import run_command
from erlen.cli.script_info import ScriptInfo, with_appcontext
from erlen.cli.shell import shell_command

#: Set while ``erlen`` runs a command, so that ``app.run()`` does not block it.
RUN_FROM_CLI_ENVIRONMENT = "FLASK_RUN_FROM_CLI"


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
