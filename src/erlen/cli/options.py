"""The options of the ``erlen`` group: ``--app``, ``--debug``, ``--env-file``, ``--version``."""

from __future__ import annotations

import importlib
import importlib.util
import os
import platform

import click
from click.core import ParameterSource

from erlen.cli.script_info import ScriptInfo, load_dotenv


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
