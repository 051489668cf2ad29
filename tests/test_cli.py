"""``erlen run``: argument parsing, app discovery, server dispatch, and a real server."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import erlen.cli as cli
from erlen.cli import AppTarget, CLIError, build_parser, find_app, main, parse_app_spec


@pytest.fixture(autouse=True)
def isolated_imports() -> Iterator[None]:
    """Undo what discovery does to sys.path, sys.modules and the environment."""
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    temporary = str(Path(os.environ.get("PYTEST_DEBUG_TEMPROOT", "/tmp")).resolve())
    saved_environment = dict(os.environ)
    for name in ("ERLEN_APP", "ERLEN_DEBUG", "ERLEN_RUN_FACTORY", "PYTHONPATH"):
        os.environ.pop(name, None)
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


# --- argument parsing ---------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def test_run_defaults_match_flask_run() -> None:
    options = parse("run")
    assert (options.host, options.port, options.server) == ("127.0.0.1", 5000, "uvicorn")
    assert (options.debug, options.reload, options.workers, options.app) == (
        False,
        False,
        None,
        None,
    )


def test_run_all_options() -> None:
    options = parse(
        "run",
        "--app",
        "m:a",
        "--host",
        "0.0.0.0",
        "--port",
        "8001",
        "--debug",
        "--reload",
        "--workers",
        "3",
        "--server",
        "hypercorn",
    )
    assert (options.app, options.host, options.port, options.workers) == ("m:a", "0.0.0.0", 8001, 3)
    assert options.debug and options.reload and options.server == "hypercorn"


def test_app_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERLEN_APP", "envmod:app")
    assert parse("run").app == "envmod:app"
    assert parse("run", "--app", "cli:app").app == "cli:app"


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["serve"],
        ["run", "--port", "http"],
        ["run", "--port", "70000"],
        ["run", "--port", "-1"],
        ["run", "--workers", "0"],
        ["run", "--workers", "many"],
        ["run", "--server", "waitress"],
    ],
    ids=repr,
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


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
    assert err.startswith("erlen run: error:") and "does_not_exist_mod" in err


# --- dispatch to servers ------------------------------------------------------


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append((app, kwargs)))
    return calls


def test_uvicorn_plain_wsgi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "disp_wsgi.py", WSGI_APP)
    assert main(["run", "--app", "disp_wsgi", "--port", "8123"]) == 0
    [(app, kwargs)] = uvicorn_calls
    assert app == "disp_wsgi:app"
    assert kwargs == {
        "host": "127.0.0.1",
        "port": 8123,
        "reload": False,
        "workers": None,
        "factory": False,
        "interface": "wsgi",
    }
    assert str(tmp_path) in sys.path
    assert os.environ["PYTHONPATH"].split(os.pathsep)[0] == str(tmp_path)


def test_uvicorn_erlen_app_is_asgi_and_debug_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "disp_erlen.py", "from erlen import Erlen\napp = Erlen(__name__)\n")
    assert main(["run", "--app", "disp_erlen:app", "--debug", "--reload"]) == 0
    [(app, kwargs)] = uvicorn_calls
    assert app == "disp_erlen:app"
    assert kwargs["interface"] == "asgi3" and kwargs["reload"] is True
    assert kwargs["reload_dirs"] == [str(tmp_path)]
    assert os.environ["ERLEN_DEBUG"] == "1"
    assert sys.modules["disp_erlen"].app.debug is True


def test_uvicorn_factory_single_process_serves_built_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "disp_fact.py", WSGI_FACTORY)
    assert main(["run", "--app", "disp_fact"]) == 0
    [(app, kwargs)] = uvicorn_calls
    assert app is sys.modules["disp_fact"]._wsgi and kwargs["factory"] is False


def test_uvicorn_factory_with_workers_uses_import_string(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "disp_fact2.py", WSGI_FACTORY)
    assert main(["run", "--app", "disp_fact2", "--workers", "2"]) == 0
    [(app, kwargs)] = uvicorn_calls
    assert (app, kwargs["factory"], kwargs["workers"]) == ("disp_fact2:create_app", True, 2)


def test_uvicorn_factory_arguments_reach_workers_through_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "disp_fact3.py", "def create_app(tag):\n    return lambda e, s: [tag]\n")
    assert main(["run", "--app", "disp_fact3:create_app(b'x')", "--reload"]) == 0
    [(app, kwargs)] = uvicorn_calls
    assert (app, kwargs["factory"]) == ("erlen.cli:_factory_from_environment", True)
    built = cli._factory_from_environment()
    assert built(None, None) == [b"x"]


@pytest.mark.parametrize(
    ("server", "app_source", "extra", "expected_tail"),
    [
        ("gunicorn", WSGI_APP, [], ["--bind", "127.0.0.1:5000", "--pythonpath", "{dir}", "m:app"]),
        (
            "gunicorn",
            WSGI_FACTORY,
            ["--workers", "4", "--reload"],
            [
                *("--bind", "127.0.0.1:5000", "--pythonpath", "{dir}"),
                *("--workers", "4", "--reload", "m:create_app('a', n=2)"),
            ],
        ),
        ("hypercorn", WSGI_APP, ["--host", "::1"], ["--bind", "[::1]:5000", "wsgi:m:app"]),
        (
            "hypercorn",
            "from erlen import Erlen\napp = Erlen(__name__)\n",
            ["--workers", "2"],
            ["--bind", "127.0.0.1:5000", "--workers", "2", "asgi:m:app"],
        ),
        (
            "granian",
            "from erlen import Erlen\napp = Erlen(__name__)\n",
            ["--port", "9000", "--reload"],
            ["--interface", "asgi", "--host", "127.0.0.1", "--port", "9000", "--reload", "m:app"],
        ),
        (
            "granian",
            WSGI_FACTORY,
            [],
            [
                *("--interface", "wsgi", "--host", "127.0.0.1", "--port", "5000"),
                *("--factory", "m:create_app"),
            ],
        ),
    ],
)
def test_other_servers_are_execed_with_their_command_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: str,
    app_source: str,
    extra: list[str],
    expected_tail: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "m.py", app_source)
    execs: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(cli, "_server_installed", lambda name: True)
    monkeypatch.setattr(os, "execvp", lambda file, args: execs.append((file, args)))
    spec = "m:create_app('a', n=2)" if "'a'" in " ".join(expected_tail) else "m"
    assert main(["run", "--app", spec, "--server", server, *extra]) == 0
    [(file, args)] = execs
    assert file == sys.executable
    assert args == [sys.executable, "-m", server] + [
        part.replace("{dir}", str(tmp_path)) for part in expected_tail
    ]


def test_granian_refuses_factory_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "gf.py", "def create_app(x):\n    return lambda e, s: []\n")
    monkeypatch.setattr(cli, "_server_installed", lambda name: True)
    monkeypatch.setattr(os, "execvp", lambda *a: pytest.fail("must not exec"))
    assert main(["run", "--app", "gf:create_app(1)", "--server", "granian"]) == 2
    assert "granian cannot pass arguments" in capsys.readouterr().err


@pytest.mark.parametrize("server", cli.SERVERS)
def test_missing_server_exits_2(
    server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "ms.py", WSGI_APP)
    monkeypatch.setattr(cli, "_server_installed", lambda name: False)
    assert main(["run", "--app", "ms", "--server", server]) == 2
    assert f"server {server!r} is not installed" in capsys.readouterr().err


# --- a real server ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_and_get(tmp_path: Path, argv: list[str], path: str = "/") -> httpx.Response:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERLEN_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "erlen", "run", "--port", str(port), *argv],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2)
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"server did not answer (exit {process.returncode}):\n{output}")
                time.sleep(0.05)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def test_real_uvicorn_serves_wsgi_module(tmp_path: Path) -> None:
    write(tmp_path, "tinywsgi.py", WSGI_APP)
    response = serve_and_get(tmp_path, ["--app", "tinywsgi:app"])
    assert response.status_code == 200
    assert response.text == "hello from tinywsgi"


def test_real_uvicorn_serves_erlen_app_over_asgi(tmp_path: Path) -> None:
    write(
        tmp_path,
        "tinyerlen.py",
        """
        from erlen import Erlen, jsonify
        app = Erlen(__name__)

        @app.route("/")
        def index():
            return jsonify(debug=app.debug, answer=42)
        """,
    )
    response = serve_and_get(tmp_path, ["--app", "tinyerlen.py", "--debug"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    # --debug reached the app: jsonify pretty-prints in debug mode.
    assert response.text == '{\n  "answer": 42,\n  "debug": true\n}\n'


@pytest.mark.parametrize("server", ["gunicorn", "hypercorn"])
def test_real_execed_servers_serve_wsgi_module(tmp_path: Path, server: str) -> None:
    pytest.importorskip(server)
    write(tmp_path, "tinyexec.py", WSGI_APP)
    response = serve_and_get(tmp_path, ["--app", "tinyexec:app", "--server", server])
    assert response.status_code == 200
    assert response.text == "hello from tinyexec"
