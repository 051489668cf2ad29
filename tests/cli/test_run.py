"""``erlen run``: the server and interface chosen for the app, and the server command lines."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

import erlen.cli as cli
from erlen.cli import AppTarget, find_app
from tests.cli.support import ASYNC_APP, SYNC_APP, WSGI_APP, invoke, write


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
    assert (options.host, options.port, options.access_log) == ("127.0.0.1", 5000, False)


@pytest.mark.parametrize(
    ("argv", "logged"),
    [
        (["run"], False),
        (["--debug", "run"], True),
        (["run", "--access-log"], True),
        (["--debug", "run", "--no-access-log"], False),
    ],
)
def test_access_log_is_on_in_debug_mode_or_when_asked(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    started: list[Any],
    argv: list[str],
    logged: bool,
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "syncapp.py", SYNC_APP)
    result = invoke("--app", "syncapp", *argv)
    assert result.exit_code == 0, result.output
    [(_info, _app, options)] = started
    assert options.access_log is logged


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
            run_options(threads=5, access_log=True),
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
            run_options(server="gunicorn", threads=4, workers=3, reload=True, access_log=True),
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
            run_options(server="hypercorn", interface="asgi", host="::1"),
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
