"""Over the wire: each peer on a real server in a subprocess, loaded with wrk."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
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
    port = free_port()
    command = server_command(peer, port)
    server = "gunicorn (1 sync worker)" if peer.protocol == "wsgi" else "uvicorn (1 worker)"
    rps: dict[str, float] = {}
    errors: dict[str, str] = {}
    # a file, not a pipe: a chatty server must never block on a full pipe
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
        try:
            wait_ready(port, process)
            for endpoint in endpoints:
                if endpoint.method != "GET":
                    errors[endpoint.name] = "wrk sends GET only"
                    continue
                url = f"http://127.0.0.1:{port}{endpoint.path}"
                try:
                    rate, warning = run_wrk(wrk, url, duration)
                except (RuntimeError, ValueError, subprocess.TimeoutExpired) as error:
                    errors[endpoint.name] = str(error)
                    continue
                rps[endpoint.name] = rate
                if warning is not None:
                    errors[endpoint.name] = warning
        except RuntimeError as error:
            log.seek(0)
            detail = log.read().decode(errors="replace").strip().splitlines()[-1:] or [""]
            errors["server"] = f"{error} {detail[0]}".strip()
        finally:
            stop(process)
    return WireResult(peer.name, server, rps, errors)
