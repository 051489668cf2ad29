"""Over the wire: each peer on real servers in subprocesses, loaded with wrk.

A *run* is one peer on one server kind with a number of worker processes.
The server kinds are those a user of erlen meets: gunicorn's sync worker
(Flask's usual production server), granian on its WSGI interface (with as
many blocking threads as ``erlen run`` gives it) and on its ASGI interface,
uvicorn as installed plainly (asyncio loop, h11 parser) and with uvloop and
httptools. One more kind, ``erlen-run``, starts the Flask-style erlen app
with the real ``erlen run`` command and no tuning flag, and reads back from
its start-up lines which server and interface it chose.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.endpoints import Endpoint
from bench.peers import Peer

ROOT = Path(__file__).resolve().parent.parent

#: The server kinds, and what each runs (the report prints the label).
SERVERS: dict[str, str] = {
    "gunicorn": "gunicorn, sync worker",
    "granian-wsgi": "granian WSGI, blocking threads as erlen run sizes them",
    "granian-asgi": "granian ASGI",
    "uvicorn": "uvicorn, asyncio loop + h11",
    "uvicorn-uvloop": "uvicorn, uvloop + httptools",
    "erlen-run": "`erlen run --app ... --port ...`, no tuning flag",
}
#: The protocol each kind serves the app through (erlen-run chooses for itself).
SERVER_PROTOCOL: dict[str, str] = {
    "gunicorn": "wsgi",
    "granian-wsgi": "wsgi",
    "granian-asgi": "asgi",
    "uvicorn": "asgi",
    "uvicorn-uvloop": "asgi",
    "erlen-run": "wsgi",
}
#: The app module ``erlen run`` serves: the Flask app with only the import line changed.
ERLEN_RUN_MODULE = "bench.apps.erlen_app"
ERLEN_RUN_ROW = "erlen-run-defaults"


@dataclass(frozen=True)
class Run:
    """One peer on one server kind with ``workers`` worker processes."""

    peer: Peer
    server: str
    workers: int

    @property
    def name(self) -> str:
        """The row's name: the peer, or ``erlen-run-defaults`` for the erlen run row."""
        return ERLEN_RUN_ROW if self.server == "erlen-run" else self.peer.name

    @property
    def key(self) -> str:
        """Unique per run: name, server and workers."""
        return f"{self.name}@{self.server}x{self.workers}"


@dataclass
class WireResult:
    """Requests per second per endpoint, or why the run could not be measured."""

    run: Run
    server: str  # what served it, as the report prints it
    rps: dict[str, float]
    errors: dict[str, str]
    # for erlen-run: the server kind its start-up line names (e.g. "granian-wsgi")
    chose: str | None = None
    # for erlen-run: its start-up line naming the server, as printed
    banner: str | None = None

    @property
    def peer(self) -> str:
        return self.run.name


@dataclass(frozen=True)
class WrkReport:
    """What one wrk run printed: the rate, non-2xx/3xx answers and socket errors."""

    requests_per_second: float
    non_2xx_or_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def problems(self) -> str | None:
        """A one-line description of every bad answer and socket error, or None."""
        parts = []
        if self.non_2xx_or_3xx:
            parts.append(f"{self.non_2xx_or_3xx} non-2xx/3xx responses")
        parts += [f"{count} socket {kind} errors" for kind, count in self.socket_errors.items()]
        return "; ".join(parts) or None


def wrk_path() -> str | None:
    """Where wrk is, or None when it is not installed."""
    return shutil.which("wrk")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def granian_wsgi_threads() -> int:
    """The blocking threads ``erlen run`` gives a granian WSGI worker."""
    try:
        from erlen.cli import default_wsgi_threads
    except Exception:  # erlen in progress: the same rule, written out
        return (os.cpu_count() or 1) * 2 + 1
    return default_wsgi_threads()


def plan_runs(peers: Sequence[Peer], servers: Sequence[str], workers: Sequence[int]) -> list[Run]:
    """Every selected peer on every selected server of its protocol, at each worker count.

    The ``erlen-run`` kind serves only the Flask-style erlen app (``erlen-wsgi``).
    """
    unknown = [server for server in servers if server not in SERVERS]
    if unknown:
        raise ValueError(f"unknown server kind(s) {unknown}; known: {', '.join(SERVERS)}")
    runs = []
    for count in workers:
        for server in servers:
            for peer in peers:
                if server == "erlen-run":
                    if peer.module == ERLEN_RUN_MODULE and peer.protocol == "wsgi":
                        runs.append(Run(peer, server, count))
                elif peer.protocol == SERVER_PROTOCOL[server]:
                    runs.append(Run(peer, server, count))
    return runs


def server_command(run: Run, port: int) -> list[str]:
    """The command line serving ``run`` on 127.0.0.1:``port`` without access log."""
    python, peer, workers = sys.executable, run.peer, str(run.workers)
    if run.server == "gunicorn":
        return [
            *(python, "-m", "gunicorn", "--workers", workers, "--worker-class", "sync"),
            *("--bind", f"127.0.0.1:{port}", "--log-level", "warning", peer.target),
        ]
    if run.server in ("granian-wsgi", "granian-asgi"):
        interface = run.server.partition("-")[2]
        command = [python, "-m", "granian", "--interface", interface, "--host", "127.0.0.1"]
        command += ["--port", str(port), "--workers", workers, "--log-level", "warning"]
        if interface == "wsgi":
            command += ["--blocking-threads", str(granian_wsgi_threads())]
        return [*command, peer.target]
    if run.server in ("uvicorn", "uvicorn-uvloop"):
        loop, parser = ("asyncio", "h11") if run.server == "uvicorn" else ("uvloop", "httptools")
        # asgi3 is forced: uvicorn's guess may misread an app that also speaks WSGI.
        return [
            *(python, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", workers, "--loop", loop, "--http", parser, "--interface", "asgi3"),
            *("--no-access-log", "--log-level", "warning", peer.target),
        ]
    if run.server == "erlen-run":
        # Exactly what a user types; --workers only when more than the default one.
        command = [python, "-m", "erlen", "run", "--app", peer.target, "--port", str(port)]
        return command + (["--workers", workers] if run.workers > 1 else [])
    raise ValueError(f"unknown server kind {run.server!r}; known: {', '.join(SERVERS)}")


_BANNER = re.compile(r"\* Server: (\w+), (\w+) interface(.*)$", re.MULTILINE)


def read_banner(log: str) -> tuple[str, str] | None:
    """From ``erlen run``'s start-up lines: the server kind it chose, and the line itself."""
    match = _BANNER.search(log)
    if match is None:
        return None
    server, interface = match.group(1), match.group(2).lower()
    kind = {
        ("granian", "wsgi"): "granian-wsgi",
        ("granian", "asgi"): "granian-asgi",
        ("gunicorn", "wsgi"): "gunicorn",
        # uvicorn.run's "auto" loop and parser pick uvloop and httptools when installed
        ("uvicorn", "asgi"): "uvicorn-uvloop",
    }.get((server, interface), f"{server}-{interface}")
    return kind, match.group(0).lstrip("* ").strip()


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Block until the server answers ``GET /``; raise if it dies or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server not answering on port {port} after {timeout:.0f}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, SIGKILL it if it does not leave in time.

    Each server runs in its own session, so the group is the server and its
    workers; granian's workers can outlive a master that was signalled while
    it was still spawning them.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue
        try:
            os.killpg(process.pid, signal.SIGKILL)  # workers left behind by the master
        except ProcessLookupError:
            pass
        return


_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_BAD = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"^\s*Socket errors:(.*)$", re.MULTILINE)


def read_wrk(output: str) -> WrkReport:
    """wrk's report: requests/s, the non-2xx/3xx count and the socket errors that are not 0."""
    match = _RPS.search(output)
    if match is None:
        raise ValueError(f"no Requests/sec in wrk output: {output[-300:]!r}")
    bad = _BAD.search(output)
    errors: dict[str, int] = {}
    socket_line = _SOCKET_ERRORS.search(output)
    if socket_line is not None:
        for part in socket_line.group(1).split(","):
            kind, _, count = part.strip().partition(" ")
            if int(count):
                errors[kind] = int(count)
    return WrkReport(float(match.group(1)), int(bad.group(1)) if bad else 0, errors)


def parse_wrk(output: str) -> tuple[float, str | None]:
    """Requests/s from wrk's report, and a warning when some answers or sockets failed."""
    report = read_wrk(output)
    return report.requests_per_second, report.problems


def run_wrk(
    wrk: str, url: str, duration: str, connections: int = 16, threads: int = 1
) -> WrkReport:
    """One wrk run (wrk takes whole seconds: ``1s``, ``2s``)."""
    completed = subprocess.run(
        [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed: {(completed.stderr or completed.stdout).strip()[-300:]}")
    return read_wrk(completed.stdout)


def _server_label(run: Run) -> str:
    workers = f"{run.workers} worker{'s' if run.workers > 1 else ''}"
    return f"{run.server}, {workers}"


def measure_all(
    runs: list[Run],
    endpoints: list[Endpoint],
    wrk: str,
    duration: str,
    rounds: int = 3,
    warm_up: str | None = "1s",
    connections: int = 16,
    progress: object = None,
) -> list[WireResult]:
    """Every run's server at once; rounds of wrk runs interleaved across runs.

    All servers start first and each is warmed up once, so no run pays for
    its first requests. Then each round loads every endpoint on every run,
    in an order rotated per round; the result is the median over rounds, so
    a slow spell of this shared machine hits all runs alike.
    """
    say = progress if callable(progress) else (lambda message: None)
    results = {run.key: WireResult(run, _server_label(run), {}, {}) for run in runs}
    rates: dict[str, dict[str, list[float]]] = {run.key: {} for run in runs}
    ports: dict[str, int] = {}
    processes: list[tuple[Run, subprocess.Popen[bytes], Path]] = []
    loaded = [endpoint for endpoint in endpoints if endpoint.method == "GET"]
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    # files, not pipes: a chatty server must never block on a full pipe
    with tempfile.TemporaryDirectory(prefix="bench-wire-") as logs:
        try:
            for index, run in enumerate(runs):
                port = free_port()
                log_path = Path(logs) / f"{index}.log"
                with open(log_path, "wb") as log:
                    process = subprocess.Popen(
                        server_command(run, port),
                        cwd=ROOT,
                        env=environment,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                processes.append((run, process, log_path))
                ports[run.key] = port
            live: list[Run] = []
            for run, process, log_path in processes:
                result = results[run.key]
                try:
                    wait_ready(ports[run.key], process)
                except RuntimeError as error:
                    lines = log_path.read_text(errors="replace").strip().splitlines()
                    result.errors["server"] = f"{error} {(lines or [''])[-1]}".strip()
                    continue
                live.append(run)
                if run.server == "erlen-run":
                    banner = read_banner(log_path.read_text(errors="replace"))
                    if banner is None:
                        result.errors["server"] = "erlen run printed no '* Server:' line"
                    else:
                        result.chose, line = banner
                        result.banner = line
                        chosen = line.removeprefix("Server: ").split(" (")[0]
                        if f"{run.workers} workers" not in chosen:
                            chosen += f", {_server_label(run).split(', ')[1]}"
                        result.server = f"erlen run: {chosen}"
            for run in runs:
                for endpoint in endpoints:
                    if endpoint.method != "GET":
                        results[run.key].errors[endpoint.name] = "wrk sends GET only"
            say(f"wire: {len(live)} servers up; warming up ...")
            for run in live if warm_up else ():
                url = f"http://127.0.0.1:{ports[run.key]}{loaded[0].path}"
                try:
                    run_wrk(wrk, url, str(warm_up), connections)
                except (RuntimeError, ValueError, subprocess.TimeoutExpired):
                    pass  # the measured runs report it
            for round_index in range(rounds):
                say(f"wire: round {round_index + 1} of {rounds} ...")
                shift = round_index % max(len(live), 1)
                order = live[shift:] + live[:shift]
                for endpoint in loaded:
                    for run in order:
                        url = f"http://127.0.0.1:{ports[run.key]}{endpoint.path}"
                        try:
                            report = run_wrk(wrk, url, duration, connections)
                        except (RuntimeError, ValueError, subprocess.TimeoutExpired) as error:
                            results[run.key].errors[endpoint.name] = str(error)
                            continue
                        rates[run.key].setdefault(endpoint.name, []).append(
                            report.requests_per_second
                        )
                        if report.problems is not None:
                            results[run.key].errors[endpoint.name] = report.problems
        finally:
            for _run, process, _log in processes:
                stop(process)
    for run in runs:
        results[run.key].rps = {
            name: statistics.median(values) for name, values in rates[run.key].items()
        }
    return [results[run.key] for run in runs]
