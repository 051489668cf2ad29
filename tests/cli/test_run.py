"""The ``erlen`` command line: app discovery, click commands, server choice, real servers.

In-process tests drive the click group with click's runner; subprocess tests
start ``erlen run`` on a free port, talk HTTP (and HTTPS) to it and stop it by
its process group id.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner

import erlen.cli as cli
from erlen.cli import (
    AppGroup,
    AppTarget,
    CLIError,
    FlaskGroup,
    ScriptInfo,
    find_app,
    main,
    parse_app_spec,
    with_appcontext,
)


@pytest.fixture(autouse=True)
def isolated_imports() -> Iterator[None]:
    """Undo what discovery does to sys.path, sys.modules and the environment."""
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    temporary = str(Path(os.environ.get("PYTEST_DEBUG_TEMPROOT", "/tmp")).resolve())
    saved_environment = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("ERLEN_", "FLASK_")) or name == "PYTHONPATH":
            del os.environ[name]
    yield
    os.environ.clear()
    os.environ.update(saved_environment)
    sys.path[:] = saved_path
    # Forget only the test apps: re-importing erlen itself would split its classes.
    for name in set(sys.modules) - saved_modules:
        if (getattr(sys.modules[name], "__file__", None) or "").startswith(temporary):
            del sys.modules[name]


def write(directory: Path, name: str, source: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


WSGI_FACTORY = """
def _wsgi(environ, start_response):
    start_response("200 OK", [])
    return [b"built"]

def create_app(name="x", n=1):
    return _wsgi
"""

WSGI_APP = textwrap.dedent(
    """
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello from " + __name__.encode()]
    """
)


# --- spec parsing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("hello", ("hello", None)),
        ("hello:app", ("hello", "app")),
        ("hello:create_app()", ("hello", "create_app()")),
        ("hello:create_app('dev', debug=True)", ("hello", "create_app('dev', debug=True)")),
        ("pkg.sub.mod:application", ("pkg.sub.mod", "application")),
    ],
)
def test_parse_module_specs(spec: str, expected: tuple[str, str | None], tmp_path: Path) -> None:
    module, app_dir, expression = parse_app_spec(spec, str(tmp_path))
    assert (module, expression) == expected
    assert app_dir == str(tmp_path)


def test_parse_file_specs_climb_out_of_packages(tmp_path: Path) -> None:
    write(tmp_path, "proj/pkg/__init__.py", "")
    write(tmp_path, "proj/pkg/web.py", WSGI_APP)
    write(tmp_path, "proj/single.py", WSGI_APP)
    root = str(tmp_path / "proj")
    assert parse_app_spec("proj/pkg/web.py", str(tmp_path)) == ("pkg.web", root, None)
    assert parse_app_spec("proj/pkg/web.py:app", str(tmp_path)) == ("pkg.web", root, "app")
    assert parse_app_spec("proj/pkg/__init__.py", str(tmp_path)) == ("pkg", root, None)
    assert parse_app_spec("proj/single.py:make()", str(tmp_path)) == ("single", root, "make()")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "module or file name"),
        (" hello", "module or file name"),
        ("hello:", "nothing after"),
        ("hel-lo", "not a module name"),
        ("missing/file.py", "no such file"),
    ],
)
def test_bad_specs(spec: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(CLIError, match=message):
        parse_app_spec(spec, str(tmp_path))


# --- discovery ----------------------------------------------------------------


def test_finds_named_attribute(tmp_path: Path) -> None:
    write(tmp_path, "named_a.py", WSGI_APP + "\nother = app\n")
    target, app = find_app("named_a:other", str(tmp_path))
    assert target == AppTarget("named_a", str(tmp_path), "other")
    assert app.__name__ == "app"


@pytest.mark.parametrize("attribute", ["app", "application"])
def test_bare_module_uses_app_or_application(tmp_path: Path, attribute: str) -> None:
    write(tmp_path, f"bare_{attribute}.py", WSGI_APP.replace("def app", f"def {attribute}"))
    target, _ = find_app(f"bare_{attribute}", str(tmp_path))
    assert (target.name, target.factory) == (attribute, False)


@pytest.mark.parametrize("factory", ["create_app", "make_app"])
def test_bare_module_falls_back_to_factory(tmp_path: Path, factory: str) -> None:
    write(
        tmp_path,
        f"fact_{factory}.py",
        WSGI_APP.replace("def app", "def _wsgi") + f"\ndef {factory}():\n    return _wsgi\n",
    )
    target, app = find_app(f"fact_{factory}", str(tmp_path))
    assert (target.name, target.factory, target.expression) == (factory, True, f"{factory}()")
    assert app.__name__ == "_wsgi"


def test_bare_module_finds_single_erlen_app(tmp_path: Path) -> None:
    write(tmp_path, "one_erlen.py", "from erlen import Erlen\nweb = Erlen(__name__)\n")
    target, app = find_app("one_erlen", str(tmp_path))
    assert target.name == "web" and hasattr(app, "asgi_app")


def test_bare_module_with_two_erlen_apps_is_ambiguous(tmp_path: Path) -> None:
    write(
        tmp_path,
        "two_erlen.py",
        "from erlen import Erlen\nweb = Erlen(__name__)\nadmin = Erlen(__name__)\n",
    )
    with pytest.raises(CLIError, match="several apps"):
        find_app("two_erlen", str(tmp_path))


def test_factory_call_with_literal_arguments(tmp_path: Path) -> None:
    write(
        tmp_path,
        "fact_args.py",
        """
        def create_app(name, *, debug=False):
            def app(environ, start_response):
                return [name.encode(), str(debug).encode()]
            app.config = (name, debug)
            return app
        """,
    )
    target, app = find_app("fact_args:create_app('dev', debug=True)", str(tmp_path))
    assert app.config == ("dev", True)
    assert target.factory and target.call == "create_app('dev', debug=True)"


def test_named_function_without_parameters_is_a_factory(tmp_path: Path) -> None:
    write(tmp_path, "fact_named.py", WSGI_APP + "\ndef build():\n    return app\n")
    target, app = find_app("fact_named:build", str(tmp_path))
    assert target.factory and app.__name__ == "app"
    # A WSGI function (2 parameters) is used as it is, not called.
    target, app = find_app("fact_named:app", str(tmp_path))
    assert not target.factory and app.__name__ == "app"


def test_default_files_wsgi_then_app(tmp_path: Path) -> None:
    write(tmp_path, "app.py", WSGI_APP)
    assert find_app(None, str(tmp_path))[0].module == "app"
    write(tmp_path, "wsgi.py", WSGI_APP)
    assert find_app(None, str(tmp_path))[0].module == "wsgi"


@pytest.mark.parametrize(
    ("files", "spec", "message"),
    [
        ({}, None, "no app given"),
        ({}, "nowhere_mod", "could not import 'nowhere_mod'"),
        ({"needs_dep.py": "import not_installed_dep\n"}, "needs_dep", "not_installed_dep"),
        ({"boom.py": "1 / 0\n"}, "boom", "ZeroDivisionError"),
        ({"noattr.py": WSGI_APP}, "noattr:missing", "no attribute 'missing'"),
        ({"noapp.py": "x = 1\n"}, "noapp", "no 'app' or 'application'"),
        ({"notcall.py": "app = 1\n"}, "notcall:app", "not a WSGI or ASGI application"),
        ({"badfact.py": "def create_app(x):\n    return x\n"}, "badfact", "create_app"),
        ({"raisefact.py": "def create_app():\n    raise KeyError('k')\n"}, "raisefact", "KeyError"),
        ({"nonlit.py": WSGI_APP}, "nonlit:app(x)", "literals"),
        ({"attrexpr.py": WSGI_APP}, "attrexpr:app.wsgi", "not an attribute name"),
        ({"syntax.py": WSGI_APP}, "syntax:app(", "not an attribute name"),
        ({"starstar.py": WSGI_APP}, "starstar:app(**{})", "not allowed"),
    ],
)
def test_app_not_found_errors(
    tmp_path: Path, files: dict[str, str], spec: str | None, message: str
) -> None:
    for name, source in files.items():
        write(tmp_path, name, source)
    with pytest.raises(CLIError, match=message):
        find_app(spec, str(tmp_path))


def test_main_reports_missing_app_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--app", "does_not_exist_mod"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: could not import") and "does_not_exist_mod" in err
    assert "Traceback" not in err


# --- the click group ------------------------------------------------------------

SYNC_APP = """
import click
from erlen import Erlen, current_app
app = Erlen(__name__)

@app.route("/")
def index():
    return "sync " + __name__

@app.cli.command("init-db")
@click.option("--count", default=1)
def init_db(count):
    click.echo(f"init {current_app.name} {count} debug={current_app.debug}")
"""

ASYNC_APP = """
from erlen import Erlen
app = Erlen(__name__)

@app.route("/")
async def index():
    return "async " + __name__
"""


def invoke(*args: str, **kwargs: Any) -> Any:
    return CliRunner().invoke(cli.cli, list(args), **kwargs)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[ScriptInfo, Any, cli.RunOptions]]:
    """Replace starting the server with a record of what would be started."""
    calls: list[tuple[ScriptInfo, Any, cli.RunOptions]] = []
    monkeypatch.setattr(cli.run, "start_server", lambda *args: calls.append(args))
    return calls


def test_version_names_erlen_and_python() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert "erlen 0.1.0" in result.output and "Python" in result.output


def test_help_lists_builtin_and_app_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", SYNC_APP)
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("run", "routes", "shell", "init-db"):
        assert command in result.output


@pytest.mark.parametrize(
    "argv",
    [
        ["--app", "mine", "init-db", "--count", "3"],  # Flask's order
        ["-A", "mine", "init-db", "--count", "3"],
    ],
)
def test_app_option_before_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "mine.py", SYNC_APP)
    result = invoke(*argv)
    assert result.exit_code == 0, result.output
    assert result.output == "init mine 3 debug=False\n"


@pytest.mark.parametrize("variable", ["FLASK_APP", "ERLEN_APP"])
def test_app_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "envapp.py", SYNC_APP)
    monkeypatch.setenv(variable, "envapp")
    assert invoke("init-db").output == "init envapp 1 debug=False\n"


def test_debug_flag_reaches_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "dbg.py", SYNC_APP)
    assert invoke("--app", "dbg", "--debug", "init-db").output == "init dbg 1 debug=True\n"
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert invoke("--app", "dbg", "init-db").output == "init dbg 1 debug=True\n"
    assert invoke("--app", "dbg", "--no-debug", "init-db").output == "init dbg 1 debug=False\n"


def test_factory_with_arguments_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path,
        "factory_app.py",
        """
        import click
        from erlen import Erlen

        def create_app(name="default"):
            app = Erlen(name)

            @app.cli.command()
            def hello():
                click.echo("hello from " + name)

            return app
        """,
    )
    assert invoke("--app", "factory_app", "hello").output == "hello from default\n"
    result = invoke("--app", "factory_app:create_app('custom')", "hello")
    assert result.output == "hello from custom\n"


def test_dotenv_files_with_flask_precedence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("dotenv")
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path,
        "app.py",
        """
        import os, click
        from erlen import Erlen
        app = Erlen(__name__)

        @app.cli.command()
        def show():
            click.echo(" ".join(os.environ.get(k, "-") for k in ("A", "B", "C", "D")))
        """,
    )
    write(tmp_path, ".flaskenv", "A=flaskenv\nB=flaskenv\nC=flaskenv\n")
    write(tmp_path, ".env", "B=env\nC=env\n")
    write(tmp_path, "custom.env", "C=custom\n")
    monkeypatch.setenv("D", "real")
    assert invoke("show").output == "flaskenv env env real\n"
    for name in ("A", "B", "C"):
        monkeypatch.delenv(name, raising=False)
    assert invoke("--env-file", "custom.env", "show").output == "flaskenv env custom real\n"


def test_flask_run_variables_are_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", SYNC_APP)
    monkeypatch.setenv("FLASK_RUN_PORT", "8765")
    monkeypatch.setenv("FLASK_RUN_HOST", "0.0.0.0")
    result = invoke("run")
    assert result.exit_code == 0, result.output
    [(_, _, options)] = started
    assert (options.host, options.port) == ("0.0.0.0", 8765)


# --- erlen run: choosing the server and the interface ----------------------------


@pytest.mark.parametrize("app_flag_after_run", [False, True])
def test_run_sync_app_defaults_to_granian_wsgi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[Any], app_flag_after_run: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "syncapp.py", SYNC_APP)
    argv = ["run", "--app", "syncapp"] if app_flag_after_run else ["--app", "syncapp", "run"]
    result = invoke(*argv)
    assert result.exit_code == 0, result.output
    [(info, _app, options)] = started
    assert info.target == AppTarget("syncapp", str(tmp_path), "app")
    assert (options.server, options.interface, options.reload) == ("granian", "wsgi", False)
    assert options.threads == cli.default_wsgi_threads()
    assert options.reason == "no async def view, hook or error handler"
    assert (options.host, options.port, options.access_log) == ("127.0.0.1", 5000, True)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (ASYNC_APP, "view 'index' is async def"),
        (
            SYNC_APP + "\n@app.before_request\nasync def hook():\n    pass\n",
            "before_request hook 'hook' is async def",
        ),
        (
            SYNC_APP + "\n@app.errorhandler(404)\nasync def missing(e):\n    return 'x', 404\n",
            "is async def",
        ),
    ],
    ids=["view", "hook", "error-handler"],
)
def test_run_async_app_uses_granian_asgi(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    started: list[Any],
    source: str,
    reason: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "asyncapp.py", source)
    assert invoke("run", "--app", "asyncapp").exit_code == 0
    [(_, _, options)] = started
    assert (options.server, options.interface, options.threads) == ("granian", "asgi", None)
    assert reason in options.reason


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--server", "uvicorn"], ("uvicorn", "asgi")),
        (["--server", "hypercorn"], ("hypercorn", "asgi")),
        (["--server", "gunicorn"], ("gunicorn", "wsgi")),
        (["--interface", "asgi"], ("granian", "asgi")),
        (["--server", "uvicorn", "--interface", "wsgi"], ("uvicorn", "wsgi")),
    ],
)
def test_run_server_and_interface_overrides(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    started: list[Any],
    argv: list[str],
    expected: tuple[str, str],
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", SYNC_APP)
    result = invoke("run", *argv)
    assert result.exit_code == 0, result.output
    [(_, _, options)] = started
    assert (options.server, options.interface) == expected


def test_run_wsgi_interface_on_async_app_says_it_bridges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", ASYNC_APP)
    assert invoke("run", "--interface", "wsgi").exit_code == 0
    [(_, _, options)] = started
    assert options.interface == "wsgi" and "sync bridge" in options.reason


def test_run_debug_turns_on_reload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", SYNC_APP)
    assert invoke("--debug", "run").exit_code == 0
    assert invoke("run", "--debug", "--no-reload").exit_code == 0
    [(_, app, first), (_, _, second)] = started
    assert first.debug and first.reload and app.debug
    assert second.debug and not second.reload


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--threads", "0"], "0 is not in the range x>=1"),
        (["--workers", "0"], "0 is not in the range x>=1"),
        (["--port", "70000"], "70000 is not in the range"),
        (["--server", "waitress"], "'waitress' is not one of"),
        (["--interface", "rsgi"], "'rsgi' is not one of"),
        (["--server", "uvicorn", "--threads", "4"], "--threads sizes a WSGI thread pool"),
        (["--interface", "asgi", "--threads", "4"], "--threads sizes a WSGI thread pool"),
        (["--server", "gunicorn", "--interface", "asgi"], "gunicorn serves WSGI only"),
        (["--key", "app.py"], "--cert and --key must be given together"),
        (["--cert", "nowhere.pem"], "does not exist"),
    ],
    ids=repr,
)
def test_run_bad_options_one_clear_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    started: list[Any],
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", SYNC_APP)
    result = invoke("run", *argv)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output and not started


@pytest.mark.parametrize("server", cli.SERVERS)
def test_missing_server_exits_2(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "ms.py", WSGI_APP)
    monkeypatch.setattr(cli.run, "_server_installed", lambda name: False)
    result = invoke("run", "--app", "ms", "--server", server)
    assert result.exit_code == 2
    assert f"Error: server {server!r} is not installed" in result.output
    assert not started


def test_port_in_use_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", SYNC_APP)
    monkeypatch.setattr(os, "execvp", lambda *a: pytest.fail("must not start a server"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for server in cli.SERVERS:
            result = invoke("run", "--port", str(port), "--server", server)
            assert result.exit_code == 2
            assert result.output.strip().splitlines()[-1] == (
                f"Error: port {port} on 127.0.0.1 is already in use;"
                " stop the other server or choose another --port"
            )


def test_plain_wsgi_callable_cannot_be_forced_to_asgi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "plain.py", WSGI_APP)
    result = invoke("run", "--app", "plain", "--interface", "asgi")
    assert result.exit_code == 2 and "cannot serve this app" in result.output


# --- the servers' command lines -------------------------------------------------


def run_options(**overrides: Any) -> cli.RunOptions:
    return dataclasses_replace(cli.RunOptions(), **overrides)


def dataclasses_replace(options: cli.RunOptions, **overrides: Any) -> cli.RunOptions:
    import dataclasses

    return dataclasses.replace(options, **overrides)


@pytest.mark.parametrize(
    ("options", "target", "expected"),
    [
        (
            run_options(threads=5),
            AppTarget("m", "/d", "app"),
            [
                "granian",
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                "5000",
                "--blocking-threads",
                "5",
                "--access-log",
                "m:app",
            ],
        ),
        (
            run_options(
                interface="asgi",
                workers=2,
                reload=True,
                access_log=False,
                extra_files=("/d/conf.toml",),
                exclude_patterns=("*.tmp",),
                cert="c.pem",
                key="k.pem",
            ),
            AppTarget("m", "/d", "create_app", factory=True),
            [
                "granian",
                "--interface",
                "asgi",
                "--host",
                "127.0.0.1",
                "--port",
                "5000",
                "--workers",
                "2",
                "--ssl-certificate",
                "c.pem",
                "--ssl-keyfile",
                "k.pem",
                "--reload",
                "--reload-paths",
                "/d",
                "--reload-paths",
                "/d/conf.toml",
                "--reload-ignore-patterns",
                "(?s:.*\\.tmp)\\Z",
                "--factory",
                "m:create_app",
            ],
        ),
        (
            run_options(server="gunicorn", threads=4, workers=3, reload=True),
            AppTarget("m", "/d", "app"),
            [
                "gunicorn",
                "--bind",
                "127.0.0.1:5000",
                "--pythonpath",
                "/d",
                "--workers",
                "3",
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--reload",
                "m:app",
            ],
        ),
        (
            run_options(server="hypercorn", interface="asgi", host="::1", access_log=False),
            AppTarget("m", "/d", "create_app", factory=True),
            ["hypercorn", "--bind", "[::1]:5000", "asgi:m:create_app()"],
        ),
    ],
)
def test_server_command_lines(
    options: cli.RunOptions, target: AppTarget, expected: list[str]
) -> None:
    assert cli.server_command(target, options) == [sys.executable, "-m", *expected]


def test_factory_arguments_reach_workers_through_environment(tmp_path: Path) -> None:
    write(tmp_path, "fargs.py", "def create_app(tag):\n    return lambda e, s: [tag]\n")
    target, _ = find_app("fargs:create_app(b'x')", str(tmp_path))
    command = cli.server_command(target, run_options())
    assert command[-2:] == ["--factory", "erlen.cli:_factory_from_environment"]
    assert cli._factory_from_environment()(None, None) == [b"x"]


# --- routes -----------------------------------------------------------------------


def build_route_apps(configure: Any, **app_options: Any) -> tuple[Any, Any]:
    import flask

    from erlen import Erlen

    apps = []
    for app_class in (flask.Flask, Erlen):
        app = app_class("routes_twin", **app_options)
        configure(app)
        apps.append(app)
    return apps[0], apps[1]


def _many_routes(app: Any) -> None:
    def view(**kwargs: Any) -> str:
        return ""

    app.add_url_rule("/", "index", view)
    app.add_url_rule("/users/<int:id>", "user", view, methods=["GET", "PUT", "DELETE"])
    app.add_url_rule("/zebra", "a_first", view, methods=["POST"])
    app.add_url_rule("/api/items/<path:rest>", "items", view, methods=["PATCH"])


# erlen routing has no subdomains or hosts yet, so only the plain table is compared.
@pytest.mark.parametrize("configure", [_many_routes])
@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--sort", "rule"],
        ["--sort", "methods"],
        ["--sort", "match"],
        ["--all-methods"],
        ["-s", "domain"],
    ],
    ids=repr,
)
def test_routes_output_equals_flask_routes(configure: Any, args: list[str]) -> None:
    import flask.cli

    flask_app, erlen_app = build_route_apps(configure)
    theirs = flask_app.test_cli_runner().invoke(flask.cli.routes_command, args)
    ours = erlen_app.test_cli_runner().invoke(cli.routes_command, args)
    assert theirs.exit_code == 0 and ours.exit_code == 0, ours.output
    assert ours.output == theirs.output


def test_routes_without_routes_equals_flask() -> None:
    import flask.cli

    flask_app, erlen_app = build_route_apps(lambda app: None, static_folder=None)
    theirs = flask_app.test_cli_runner().invoke(flask.cli.routes_command)
    ours = erlen_app.test_cli_runner().invoke(cli.routes_command)
    assert ours.output == theirs.output == "No routes were registered.\n"


def test_erlen_routes_in_a_subprocess_equals_flask_routes(tmp_path: Path) -> None:
    source = """
    from {module} import {cls}
    app = {cls}(__name__)

    @app.route("/")
    def index():
        return ""

    @app.post("/items/<int:id>")
    def item(id):
        return ""
    """
    write(tmp_path, "erlen_twin.py", source.format(module="erlen", cls="Erlen"))
    write(tmp_path, "flask_twin.py", source.format(module="flask", cls="Flask"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = [sys.executable, "-m"]
    ours = subprocess.run(
        [*run, "erlen", "--app", "erlen_twin", "routes"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    theirs = subprocess.run(
        [*run, "flask", "--app", "flask_twin", "routes"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ours.returncode == theirs.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout


# --- app.cli, test_cli_runner, with_appcontext, shell -------------------------------


def make_cli_app() -> Any:
    from erlen import Erlen

    app = Erlen("cli_app")
    app.config["GREETING"] = "hello"

    @app.cli.command("greet")
    @click.argument("name")
    def greet(name: str) -> None:
        from erlen import current_app

        click.echo(f"{current_app.config['GREETING']} {name}")

    @app.cli.command("fail")
    def fail() -> None:
        raise RuntimeError("the user's command failed")

    return app


def test_app_cli_is_lazy_and_named_after_the_app() -> None:
    from erlen import Erlen

    app = Erlen("lazy_cli")
    assert "_cli" not in vars(app)
    assert isinstance(app.cli, AppGroup) and app.cli.name == "lazy_cli"
    assert app.cli is app.cli


def test_test_cli_runner_invokes_by_args_and_by_command() -> None:
    app = make_cli_app()
    runner = app.test_cli_runner()
    assert isinstance(runner, CliRunner) and runner.app is app
    assert runner.invoke(args=["greet", "ada"]).output == "hello ada\n"
    assert runner.invoke(app.cli.commands["greet"], ["bob"]).output == "hello bob\n"
    failed = runner.invoke(args=["fail"])
    assert failed.exit_code == 1 and isinstance(failed.exception, RuntimeError)


def test_test_cli_runner_matches_flask_runner() -> None:
    import flask

    from erlen.testing import ErlenCliRunner, FlaskCliRunner

    assert FlaskCliRunner is ErlenCliRunner
    results = []
    for app in (flask.Flask("twin"), make_cli_app()):

        @app.cli.command("name")
        def name() -> None:
            from erlen.ctx import has_app_context

            click.echo(f"{has_app_context() or flask.has_app_context()}")

        results.append(app.test_cli_runner().invoke(args=["name"]).output)
    assert results[0] == results[1] == "True\n"


def test_test_cli_runner_class_is_used() -> None:
    from erlen.testing import ErlenCliRunner

    class MyRunner(ErlenCliRunner):  # type: ignore[misc,valid-type]
        pass

    app = make_cli_app()
    app.test_cli_runner_class = MyRunner
    assert type(app.test_cli_runner()) is MyRunner


def test_add_command_group_and_with_appcontext() -> None:
    app = make_cli_app()

    @click.command("plain")
    @with_appcontext
    def plain() -> None:
        from erlen import current_app

        click.echo(current_app.name)

    app.cli.add_command(plain)
    sub = app.cli.group("db")(lambda: None)
    assert isinstance(sub, AppGroup)

    @sub.command("drop")
    def drop() -> None:
        from erlen import current_app

        click.echo("drop " + current_app.name)

    @app.cli.command("bare", with_appcontext=False)
    def bare() -> None:
        from erlen.ctx import has_app_context

        click.echo(str(has_app_context()))

    runner = app.test_cli_runner()
    assert runner.invoke(args=["plain"]).output == "cli_app\n"
    assert runner.invoke(args=["db", "drop"]).output == "drop cli_app\n"
    assert runner.invoke(args=["bare"]).output == "False\n"


def test_custom_flask_group_script() -> None:
    app = make_cli_app()

    @click.group(cls=FlaskGroup, create_app=lambda: app)
    def manage() -> None:
        """A project's own entry script."""

    result = CliRunner().invoke(manage, ["greet", "eve"])
    assert result.exit_code == 0 and result.output == "hello eve\n"
    assert "routes" in CliRunner().invoke(manage, ["--help"]).output
    assert cli.ErlenGroup is FlaskGroup


def test_plugin_commands_from_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command()
    def plugged() -> None:
        click.echo("from a plugin")

    class FakeEntryPoint:
        name = "plugged"

        def load(self) -> click.Command:
            return plugged

    def entry_points(group: str) -> list[FakeEntryPoint]:
        return [FakeEntryPoint()] if group == "flask.commands" else []

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    group = FlaskGroup(create_app=make_cli_app)
    assert CliRunner().invoke(group, ["plugged"]).output == "from a plugin\n"


def test_shell_context_processor_and_shell_command() -> None:
    app = make_cli_app()

    @app.shell_context_processor
    def extra() -> dict[str, Any]:
        return {"answer": 42}

    context = app.make_shell_context()
    assert context["app"] is app and context["answer"] == 42 and "g" in context
    result = app.test_cli_runner().invoke(
        cli.shell_command, input="print(answer, app.name, g is not None)\n"
    )
    assert result.exit_code == 0, result.output
    assert "42 cli_app True" in result.output
    assert "App: cli_app" in result.output


def test_shell_context_processors_match_flask() -> None:
    import flask

    contexts = []
    for app in (flask.Flask("twin"), make_cli_app()):
        app.shell_context_processor(lambda: {"x": 1})
        assert len(app.shell_context_processors) == 1
        contexts.append(sorted(app.make_shell_context()))
    assert contexts[0] == contexts[1]


# --- app.run ----------------------------------------------------------------------


def test_app_run_refuses_inside_erlen_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_cli_app()
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: pytest.fail("must not start"))
    assert app.run() is None
    assert "Ignoring a call to 'app.run()'" in capsys.readouterr().err


def test_app_run_starts_erlen_run_for_the_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "runme.py", "from erlen import Erlen\nweb = Erlen(__name__)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import runme  # type: ignore[import-not-found]

    commands: list[list[str]] = []

    class FakeProcess:
        def __init__(self, command: list[str]) -> None:
            commands.append(command)

        def wait(self) -> int:
            return 0

    monkeypatch.setattr(subprocess, "Popen", FakeProcess)
    runme.web.run(port=8123, debug=True, use_reloader=False, ssl_context=("c", "k"), workers=2)
    [command] = commands
    assert command == [
        sys.executable,
        *("-m", "erlen", "--app", f"{tmp_path / 'runme.py'}:web", "--debug", "run"),
        *("--host", "127.0.0.1", "--port", "8123", "--no-reload"),
        *("--cert", "c", "--key", "k", "--workers", "2"),
    ]
    with pytest.raises(TypeError, match="unexpected options: bogus"):
        runme.web.run(bogus=1)


# --- bad input over a subprocess ---------------------------------------------------

BAD_INPUT_ROWS = [
    ({}, ["--app", "nowhere", "run"], "Error: could not import 'nowhere'"),
    (
        {"app.py": "def create_app():\n    raise KeyError('missing setting')\n"},
        ["run"],
        "Error: --app 'app': factory 'create_app()' raised KeyError: 'missing setting'",
    ),
    (
        {"app.py": SYNC_APP + "\n@app.cli.command()\ndef broken():\n    1 / 0\n"},
        ["broken"],
        "Error: the command failed: ZeroDivisionError: division by zero",
    ),
    ({"app.py": SYNC_APP}, ["--env-file", "missing.env", "run"], "does not exist"),
    ({"app.py": SYNC_APP}, ["run", "--threads", "0"], "0 is not in the range x>=1"),
]


@pytest.mark.parametrize(
    ("files", "argv", "last_line"),
    BAD_INPUT_ROWS,
    ids=["wrong-app", "factory-raises", "command-fails", "missing-env-file", "threads-0"],
)
def test_bad_input_one_line_no_erlen_traceback(
    tmp_path: Path, files: dict[str, str], argv: list[str], last_line: str
) -> None:
    for name, source in files.items():
        write(tmp_path, name, source)
    result = run_erlen(tmp_path, argv)
    assert result.returncode != 0
    assert last_line in result.stderr.strip().splitlines()[-1]
    # The user's frames may be shown; erlen's and click's never.
    assert "erlen/cli.py" not in result.stderr and "click/" not in result.stderr


def test_factory_traceback_shows_the_users_line(tmp_path: Path) -> None:
    write(tmp_path, "app.py", "def create_app():\n    raise KeyError('missing setting')\n")
    result = run_erlen(tmp_path, ["run"])
    assert 'app.py", line 2, in create_app' in result.stderr
    assert result.stderr.count("Traceback") == 1


def run_erlen(cwd: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERLEN_", "FLASK_"))}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    return subprocess.run(
        [sys.executable, "-m", "erlen", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- real servers -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(
    tmp_path: Path, argv: list[str], *, scheme: str = "http", verify: Any = True
) -> Iterator[tuple[str, Path]]:
    """Start ``erlen ... run`` on a free port; yield its base URL and output file."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERLEN_", "FLASK_"))}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    # Outside the app's directory, which a reloading server watches.
    log = tmp_path.parent / f"{tmp_path.name}-server-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "erlen", *argv, "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"{scheme}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/", timeout=2, verify=verify)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not answer ({process.poll()}):\n{log.read_text()}")
                time.sleep(0.1)
        yield url, log
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("source", "argv", "banner", "body"),
    [
        (SYNC_APP, ["run"], "granian, WSGI interface", "sync app"),
        (ASYNC_APP, ["run"], "granian, ASGI interface", "async app"),
        (SYNC_APP, ["run", "--server", "uvicorn"], "uvicorn, ASGI interface", "sync app"),
        (SYNC_APP, ["--app", "app:app", "run", "--threads", "2"], "2 threads", "sync app"),
    ],
    ids=["granian-wsgi", "granian-asgi", "uvicorn", "threads"],
)
def test_real_server_answers(
    tmp_path: Path, source: str, argv: list[str], banner: str, body: str
) -> None:
    write(tmp_path, "app.py", source)
    with serving(tmp_path, argv) as (url, log):
        response = httpx.get(url + "/")
        assert response.status_code == 200 and response.text == body
        assert banner in log.read_text()
        # the development access log names the request
        deadline = time.monotonic() + 5
        while "GET /" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "GET /" in log.read_text()


def test_real_server_no_access_log(tmp_path: Path) -> None:
    write(tmp_path, "app.py", SYNC_APP)
    with serving(tmp_path, ["run", "--no-access-log"]) as (url, log):
        assert httpx.get(url + "/").status_code == 200
        time.sleep(0.3)
        assert "GET /" not in log.read_text()


def test_real_debug_run_says_debug_is_on(tmp_path: Path) -> None:
    write(
        tmp_path,
        "app.py",
        "from erlen import Erlen, jsonify\napp = Erlen(__name__)\n"
        "@app.route('/')\ndef index():\n    return jsonify(debug=app.debug)\n",
    )
    with serving(tmp_path, ["--debug", "run"]) as (url, log):
        assert httpx.get(url + "/").json() == {"debug": True}
        text = log.read_text()
        assert "Debug mode: on" in text and "Reloading on code changes" in text


def make_certificate(directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (PKCS#8), made for the test."""
    cert, key = directory / f"{name}-cert.pem", directory / f"{name}-key.pem"
    try:
        from cryptography import x509  # noqa: F401
    except ImportError:
        openssl = shutil.which("openssl")
        if openssl is None:
            pytest.skip("neither the cryptography package nor the openssl command is available")
        subprocess.run(
            [
                openssl,
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
            ],
            check=True,
            capture_output=True,
        )
        return cert, key
    _certificate_with_cryptography(cert, key)
    return cert, key


def _certificate_with_cryptography(cert: Path, key: Path) -> None:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
def test_real_tls_run_answers_over_https(tmp_path: Path, server: str) -> None:
    cert, key = make_certificate(tmp_path, "server")
    write(tmp_path, "app.py", SYNC_APP)
    trusting = ssl.create_default_context(cafile=str(cert))
    argv = ["run", "--cert", str(cert), "--key", str(key), "--server", server]
    with serving(tmp_path, argv, scheme="https", verify=trusting) as (url, log):
        response = httpx.get(url + "/", verify=trusting)
        assert response.status_code == 200 and response.text == "sync app"
        assert "Running on https://" in log.read_text()
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/", verify=ssl.create_default_context())


def test_certificate_not_matching_key_is_one_line(tmp_path: Path) -> None:
    cert, _ = make_certificate(tmp_path, "one")
    _, other_key = make_certificate(tmp_path, "two")
    write(tmp_path, "app.py", SYNC_APP)
    result = run_erlen(tmp_path, ["run", "--cert", str(cert), "--key", str(other_key)])
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: --cert {str(cert)!r} and --key {str(other_key)!r} cannot be used:"
        " the key does not belong to the certificate"
    ]


@pytest.mark.parametrize("server", ["gunicorn", "hypercorn"])
def test_real_execed_servers_serve_wsgi_module(tmp_path: Path, server: str) -> None:
    pytest.importorskip(server)
    write(tmp_path, "tinyexec.py", WSGI_APP)
    with serving(tmp_path, ["run", "--app", "tinyexec:app", "--server", server]) as (url, _):
        response = httpx.get(url + "/")
        assert response.status_code == 200
        assert response.text == "hello from tinyexec"


def wait_for_body(url: str, expected: str, timeout: float = 30) -> str:
    """Poll ``url`` until it answers ``expected`` (or the time is up); return the last body."""
    deadline = time.monotonic() + timeout
    body = ""
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            body = httpx.get(url, timeout=2).text
            if body == expected:
                return body
        time.sleep(0.2)
    return body


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
def test_real_reload_serves_the_changed_code(tmp_path: Path, server: str) -> None:
    app_file = write(tmp_path, "app.py", SYNC_APP)
    with serving(tmp_path, ["run", "--reload", "--server", server]) as (url, log):
        assert httpx.get(url + "/").text == "sync app"
        app_file.write_text(app_file.read_text().replace('"sync "', '"changed "'))
        assert wait_for_body(url + "/", "changed app") == "changed app", log.read_text()


def test_real_granian_wsgi_threads_serve_while_a_view_blocks(tmp_path: Path) -> None:
    write(
        tmp_path,
        "app.py",
        """
        import threading
        from erlen import Erlen
        app = Erlen(__name__)
        started, release = threading.Event(), threading.Event()

        @app.route("/")
        def index():
            return "up"

        @app.route("/block")
        def block():
            started.set()
            return "released" if release.wait(30) else "timed out"

        @app.route("/release")
        def free():
            # Only once /block holds its thread: one thread alone could not answer both.
            started.wait(30)
            release.set()
            return "freed"
        """,
    )
    import concurrent.futures

    with (
        serving(tmp_path, ["run", "--threads", "4"]) as (url, _),
        concurrent.futures.ThreadPoolExecutor(1) as pool,
    ):
        blocked = pool.submit(lambda: httpx.get(url + "/block", timeout=60).text)
        # Answered while /block holds a thread; it is what lets /block finish.
        assert httpx.get(url + "/release", timeout=30).text == "freed"
        assert blocked.result() == "released"


def test_run_from_a_create_app_callback_uses_uvicorn_in_process(
    started: list[Any],
) -> None:
    app = make_cli_app()
    group = FlaskGroup(create_app=lambda: app)
    assert CliRunner().invoke(group, ["run"]).exit_code == 0
    [(info, served, options)] = started
    assert served is app and info.target is None and options.server == "uvicorn"
    result = CliRunner().invoke(group, ["run", "--server", "granian"])
    assert result.exit_code == 2 and "imports the app by name" in result.output


def test_real_app_run_in_a_script(tmp_path: Path) -> None:
    port = free_port()
    write(
        tmp_path,
        "script.py",
        f"""
        from erlen import Erlen
        app = Erlen(__name__)

        @app.route("/")
        def index():
            return "from " + __name__

        if __name__ == "__main__":
            app.run(port={port})
            print("app.run returned")
        """,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERLEN_", "FLASK_"))}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    log = tmp_path.parent / f"{tmp_path.name}-script.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "script.py"],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # The module is served under its file name, so __main__ does not run twice.
        assert wait_for_body(f"http://127.0.0.1:{port}/", "from script") == "from script", (
            log.read_text()
        )
        assert "granian, WSGI interface" in log.read_text()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_importing_erlen_and_serving_imports_no_click() -> None:
    code = (
        "import sys, erlen\n"
        "app = erlen.Erlen('x')\n"
        "app.route('/')(lambda: 'ok')\n"
        "assert app.test_client().get('/').data == b'ok'\n"
        "import erlen.testing\n"
        "assert 'click' not in sys.modules, 'click imported'\n"
        "assert app.cli is not None and 'click' in sys.modules\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
