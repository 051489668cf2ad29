"""``erlen run``: choosing a server and an interface for the app, and starting it."""

from __future__ import annotations

import dataclasses
import errno
import fnmatch
import importlib
import importlib.util
import inspect
import os
import socket
import ssl
import sys
from collections.abc import Iterable, Sequence
from typing import Any, Literal, cast

import click

from erlen.cli.discovery import _FACTORY_ENVIRONMENT, AppTarget, _debug_flag
from erlen.cli.errors import _ConfigError
from erlen.cli.options import _debug_option, _set_app
from erlen.cli.script_info import ScriptInfo, pass_script_info

Interface = Literal["wsgi", "asgi"]


#: Servers ``--server`` accepts, the default first.
SERVERS = ("granian", "uvicorn", "hypercorn", "gunicorn")
INTERFACES = ("wsgi", "asgi")


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
    access_log: bool = False


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
    access_log: bool | None = None,
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
    if access_log is None:
        # A line per request is for development: the servers write it through
        # Python logging, which takes more than half of a small view's
        # throughput (bench/RESULTS.md, 2026-12-07).
        access_log = debug
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
        f" * Access log: {'on' if options.access_log else 'off (--access-log to turn it on)'}",
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
@click.option(
    "--access-log/--no-access-log",
    default=None,
    help="Log one line per request (default: on in debug mode only).",
)
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
    access_log: bool | None,
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
