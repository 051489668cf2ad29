"""Over the wire: each peer on a real server in a subprocess, loaded with wrk."""

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
from dataclasses import dataclass
from pathlib import Path

from bench.endpoints import Endpoint
from bench.peers import Peer

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class WireResult:
    """Requests per second per endpoint, or why the peer could not be measured."""

    peer: str
    server: str
    rps: dict[str, float]
    errors: dict[str, str]


def wrk_path() -> str | None:
    """Where wrk is, or None when it is not installed."""
    return shutil.which("wrk")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_command(peer: Peer, port: int) -> list[str]:
    """gunicorn with one sync worker for WSGI, uvicorn with one worker for ASGI."""
    bind = f"127.0.0.1:{port}"
    if peer.protocol == "wsgi":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--worker-class",
            "sync",
            "--bind",
            bind,
            "--log-level",
            "warning",
            peer.target,
        ]
    # asgi3 is forced: uvicorn's guess may misread an app that also speaks WSGI.
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
        "--interface",
        "asgi3",
        peer.target,
    ]


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
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
    """SIGTERM the server by its PID, SIGKILL it if it does not leave in time."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_BAD = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"^\s*Socket errors:(.*)$", re.MULTILINE)


def parse_wrk(output: str) -> tuple[float, str | None]:
    """Requests/s from wrk's report, and a warning when some answers were bad."""
    match = _RPS.search(output)
    if match is None:
        raise ValueError(f"no Requests/sec in wrk output: {output[-300:]!r}")
    warning = None
    bad = _BAD.search(output)
    if bad is not None:
        warning = f"{bad.group(1)} non-2xx/3xx responses"
    return float(match.group(1)), warning


def run_wrk(wrk: str, url: str, duration: str) -> tuple[float, str | None]:
    """One wrk run: 1 thread, 16 connections."""
    completed = subprocess.run(
        [wrk, "-t1", "-c16", f"-d{duration}", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed: {completed.stderr.strip()[-300:]}")
    return parse_wrk(completed.stdout)


def measure_peer(peer: Peer, endpoints: list[Endpoint], wrk: str, duration: str) -> WireResult:
    """Start the peer's server, load each endpoint in turn, stop the server."""
    return measure_all([peer], endpoints, wrk, duration, rounds=1)[0]


def _server_name(peer: Peer) -> str:
    return "gunicorn (1 sync worker)" if peer.protocol == "wsgi" else "uvicorn (1 worker)"


def measure_all(
    peers: list[Peer],
    endpoints: list[Endpoint],
    wrk: str,
    duration: str,
    rounds: int = 3,
    warm_up: str = "0.5s",
) -> list[WireResult]:
    """Every peer's server at once; rounds of wrk runs interleaved across peers.

    All servers start first and each endpoint is warmed up once, so no peer
    pays for its first requests. Then each round loads every endpoint on
    every peer, in an order rotated per round; the result is the median over
    rounds, so a slow spell of this shared machine hits all peers alike.
    """
    rates: dict[str, dict[str, list[float]]] = {peer.name: {} for peer in peers}
    errors: dict[str, dict[str, str]] = {peer.name: {} for peer in peers}
    ports: dict[str, int] = {}
    processes: list[subprocess.Popen[bytes]] = []
    # files, not pipes: a chatty server must never block on a full pipe
    with tempfile.TemporaryFile() as log:
        try:
            for peer in peers:
                port = free_port()
                processes.append(
                    subprocess.Popen(
                        server_command(peer, port), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log
                    )
                )
                ports[peer.name] = port
            live: list[Peer] = []
            for peer, process in zip(peers, processes, strict=True):
                try:
                    wait_ready(ports[peer.name], process)
                except RuntimeError as error:
                    log.seek(0)
                    lines = log.read().decode(errors="replace").strip().splitlines()
                    errors[peer.name]["server"] = f"{error} {(lines or [''])[-1]}".strip()
                else:
                    live.append(peer)
            loaded = [endpoint for endpoint in endpoints if endpoint.method == "GET"]
            for peer in peers:
                for endpoint in endpoints:
                    if endpoint.method != "GET":
                        errors[peer.name][endpoint.name] = "wrk sends GET only"
            for peer in live:
                for endpoint in loaded:
                    url = f"http://127.0.0.1:{ports[peer.name]}{endpoint.path}"
                    try:
                        run_wrk(wrk, url, warm_up)
                    except (RuntimeError, ValueError, subprocess.TimeoutExpired):
                        pass  # the measured runs report it
            for round_index in range(rounds):
                shift = round_index % max(len(live), 1)
                order = live[shift:] + live[:shift]
                for endpoint in loaded:
                    for peer in order:
                        url = f"http://127.0.0.1:{ports[peer.name]}{endpoint.path}"
                        try:
                            rate, warning = run_wrk(wrk, url, duration)
                        except (RuntimeError, ValueError, subprocess.TimeoutExpired) as error:
                            errors[peer.name][endpoint.name] = str(error)
                            continue
                        rates[peer.name].setdefault(endpoint.name, []).append(rate)
                        if warning is not None:
                            errors[peer.name][endpoint.name] = warning
        finally:
            for process in processes:
                stop(process)
    return [
        WireResult(
            peer.name,
            _server_name(peer),
            {name: statistics.median(values) for name, values in rates[peer.name].items()},
            errors[peer.name],
        )
        for peer in peers
    ]
