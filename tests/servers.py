"""Start and stop real HTTP servers around an app, for end-to-end tests.

Each server runs as a subprocess in its own session (process group) on
127.0.0.1 and a free port. ``running_server`` yields the base URL once the
server answers HTTP, and always stops the whole group afterwards, even when
the test fails: SIGTERM, a bounded wait, then SIGKILL. Server output goes to a
temporary file (a pipe nobody reads would fill up and block the server) and is
shown when the server fails to start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from tests.support import free_port

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Server kinds, by the protocol the erlen app is served through.
#: ``gunicorn``: WSGI, ``python -m gunicorn -w 1``.
#: ``erlen-uvicorn``: ASGI, ``erlen run --server uvicorn`` (uvicorn in-process).
#: ``erlen-hypercorn``: ASGI, ``erlen run --server hypercorn`` (execs hypercorn).
#: ``uvicorn``: ASGI, ``python -m uvicorn``: uvicorn's own interface detection.
#: ``erlen-granian`` (not in SERVER_KINDS): ``erlen run``'s default, granian.
#: ``erlen-granian-asgi``, ``erlen-gunicorn``: ``erlen run --interface asgi`` and
#: ``erlen run --server gunicorn`` (tests/test_served_load_wrk.py).
SERVER_KINDS = ("gunicorn", "erlen-uvicorn", "erlen-hypercorn", "uvicorn")
#: The kinds that speak ASGI to the app.
ASGI_KINDS = ("erlen-uvicorn", "erlen-hypercorn", "uvicorn")
#: Kinds for the fault, load and leak tests (tests/test_served_faults.py), each
#: pinned to one configuration and without access logs:
#: ``uvicorn-plain`` (asyncio loop, h11), ``uvicorn-uvloop`` (uvloop,
#: httptools), ``hypercorn``, ``granian-asgi``, ``granian-wsgi`` and
#: ``gunicorn-gthread`` (one worker, 8 threads).
FAULT_ASGI_KINDS = ("uvicorn-plain", "uvicorn-uvloop", "hypercorn", "granian-asgi")
FAULT_WSGI_KINDS = ("granian-wsgi", "gunicorn-gthread")

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0


def server_command(kind: str, app: str, port: int) -> list[str]:
    """The command line serving ``app`` (``module:attr``) with server ``kind``."""
    python = sys.executable
    if kind == "gunicorn":
        command = [python, "-m", "gunicorn", "-w", "1", "--bind", f"127.0.0.1:{port}"]
        command += ["--graceful-timeout", "2", *_gunicorn_no_control_socket(), app]
        return command
    if kind == "erlen-uvicorn":
        return [
            python,
            "-m",
            "erlen",
            "run",
            "--app",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--server",
            "uvicorn",
        ]
    if kind == "erlen-hypercorn":
        return [*server_command("erlen-uvicorn", app, port)[:-1], "hypercorn"]
    if kind == "erlen-granian":
        # erlen run's default: granian, WSGI or ASGI as the app needs.
        return [*server_command("erlen-uvicorn", app, port)[:-2], "--no-access-log"]
    if kind == "erlen-granian-asgi":
        # erlen run on granian's ASGI interface (sync views through erlen's bridge).
        return [*server_command("erlen-granian", app, port), "--interface", "asgi"]
    if kind == "erlen-gunicorn":
        # erlen run --server gunicorn, no other flag: gunicorn's defaults otherwise.
        return [*server_command("erlen-uvicorn", app, port)[:-1], "gunicorn"]
    if kind == "erlen-granian-debug":
        # erlen run --debug (without the reloader, which a test need not watch).
        return [*server_command("erlen-granian", app, port), "--debug", "--no-reload"]
    if kind == "uvicorn":
        return [python, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    if kind in ("uvicorn-plain", "uvicorn-uvloop"):
        loop, http = ("asyncio", "h11") if kind == "uvicorn-plain" else ("uvloop", "httptools")
        command = server_command("uvicorn", app, port)
        return [*command, "--loop", loop, "--http", http, "--no-access-log"]
    if kind == "hypercorn":
        # "asgi:": hypercorn would take the two-or-three-argument __call__ for WSGI.
        return [python, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}", f"asgi:{app}"]
    if kind in ("granian-asgi", "granian-wsgi"):
        interface = kind.partition("-")[2]
        return [
            python,
            "-m",
            "granian",
            "--interface",
            interface,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            app,
        ]
    if kind == "gunicorn-gthread":
        command = server_command("gunicorn", app, port)
        return [*command[:-1], "-k", "gthread", "--threads", "8", command[-1]]
    raise ValueError(f"unknown server kind {kind!r}; expected one of {SERVER_KINDS}")


def _gunicorn_no_control_socket() -> list[str]:
    # gunicorn 25+ opens a control socket at one fixed path under $HOME, shared
    # by every gunicorn on the machine; test servers do without it.
    import gunicorn.config  # type: ignore[import-untyped]

    names = {setting.name for setting in gunicorn.config.KNOWN_SETTINGS}
    return ["--no-control-socket"] if "control_socket_disable" in names else []


def _stop(process: subprocess.Popen[bytes]) -> None:
    # The server has its own session, so its process group id is its pid; the
    # group holds only the server and its workers (gunicorn, hypercorn fork them).
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, STOP_TIMEOUT)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGTERM:
            # Workers that outlive the master are killed too.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return


@contextmanager
def running_server(
    kind: str,
    app: str = "examples.spec_app:app",
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    ready_path: str = "/",
    log: Path | None = None,
) -> Iterator[str]:
    """Serve ``app`` with server ``kind``; yield ``http://127.0.0.1:PORT``.

    With ``log``, the server's output goes to that file (read it to check
    for tracebacks) instead of an anonymous temporary file.
    """
    port = free_port()
    command = server_command(kind, app, port)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ERLEN_")}
    directory = str(REPO_ROOT if cwd is None else cwd)
    # The app's module is found from cwd; examples.* and tests.* from the repo root.
    environment["PYTHONPATH"] = os.pathsep.join(
        [directory, str(REPO_ROOT), *filter(None, [environment.get("PYTHONPATH")])]
    )
    environment["PYTHONUNBUFFERED"] = "1"
    if env:
        environment.update(env)
    base_url = f"http://127.0.0.1:{port}"
    with open(log, "w+b") if log is not None else tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command,
            cwd=directory,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_serving(process, base_url + ready_path, output, command)
            yield base_url
        finally:
            _stop(process)


def _wait_until_serving(
    process: subprocess.Popen[bytes], url: str, output: IO[bytes], command: list[str]
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            # Any HTTP answer means a worker is serving (gunicorn's master
            # accepts connections before its worker has imported the app).
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            output.seek(0)
            log = output.read().decode("utf-8", "replace")
            state = (
                f"exited with {process.returncode}" if process.poll() is not None else "timed out"
            )
            raise RuntimeError(
                f"server {' '.join(command)!r} did not answer {url} ({state}); its output:\n{log}"
            )
        time.sleep(0.05)


@dataclass(frozen=True)
class Served:
    """A running server: its kind and base URL."""

    kind: str
    url: str

    @property
    def is_asgi(self) -> bool:
        return self.kind in ASGI_KINDS


def server_fixture(app: str, kinds: tuple[str, ...] = SERVER_KINDS) -> Any:
    """A module-scoped fixture, parametrized over ``kinds``, yielding a :class:`Served`.

    pytest orders a module's tests by parameter, so each server starts once per module.
    """

    @pytest.fixture(scope="module", params=kinds)
    def served(request: pytest.FixtureRequest) -> Iterator[Served]:
        with running_server(request.param, app) as url:
            yield Served(request.param, url)

    return served


def wait_for_record(path: Path, timeout: float = 5.0) -> str:
    """The text a served app wrote to ``path`` (its generator's outcome), once it is there."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} was not written within {timeout} s")
        time.sleep(0.02)
    # The file may be seen between its creation and its write.
    while not (text := path.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return text
