"""``erlen run`` for real: servers started on a free port, spoken to over HTTP and HTTPS.

Each is stopped by its process group id.
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
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from erlen.cli import FlaskGroup
from tests.cli.support import ASYNC_APP, SYNC_APP, WSGI_APP, make_cli_app, run_erlen, write


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
        assert "Access log: off" in log.read_text()
        time.sleep(0.3)
        assert "GET /" not in log.read_text()


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
def test_real_server_access_log_when_asked(tmp_path: Path, server: str) -> None:
    write(tmp_path, "app.py", SYNC_APP)
    with serving(tmp_path, ["run", "--access-log", "--server", server]) as (url, log):
        assert httpx.get(url + "/").status_code == 200
        assert "Access log: on" in log.read_text()
        # the access log names the request
        deadline = time.monotonic() + 5
        while "GET /" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "GET /" in log.read_text()


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


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--threads", "4"],
        ["run", "--interface", "asgi"],
        ["run", "--server", "uvicorn"],
        ["run", "--server", "hypercorn"],
    ],
    ids=["granian-wsgi-threads", "granian-asgi", "uvicorn", "hypercorn"],
)
def test_real_server_answers_while_a_sync_view_blocks(tmp_path: Path, argv: list[str]) -> None:
    """A blocked sync view holds one thread (a WSGI one, or under ASGI one of
    erlen's worker threads), never the server: other requests are answered."""
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
        serving(tmp_path, argv) as (url, _),
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
