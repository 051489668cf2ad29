"""Shared test helpers: drive WSGI and ASGI apps directly, build twin apps.

Differential tests run one source file twice — importing from ``erlen`` and
from ``flask`` — and compare what each app puts on the wire.
"""

from __future__ import annotations

import asyncio
import re
import socket
import types
from dataclasses import dataclass, field
from typing import Any

from werkzeug.test import EnvironBuilder


@dataclass
class WireResult:
    """What one request produced: status line, header list, body."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    chunks: list[bytes] = field(default_factory=list)

    @property
    def status_code(self) -> int:
        return int(self.status.split(" ", 1)[0])

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def make_twin_apps(source: str) -> tuple[Any, Any]:
    """Exec ``source`` (written against erlen) as erlen code and as Flask code."""
    modules = []
    for package in ("erlen", "flask"):
        code = source.replace("from erlen import", f"from {package} import")
        module = types.ModuleType(f"twin_{package}")
        exec(compile(code, f"<twin {package}>", "exec"), module.__dict__)
        modules.append(module.app)
    return modules[0], modules[1]


def build_environ(path: str = "/", method: str = "GET", **kwargs: Any) -> dict[str, Any]:
    return EnvironBuilder(path=path, method=method, **kwargs).get_environ()


def call_wsgi(app: Any, path: str = "/", method: str = "GET", **kwargs: Any) -> WireResult:
    """Call a WSGI app like a server: start_response, iterate, close."""
    environ = build_environ(path, method, **kwargs)
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"] = status
        captured["headers"] = list(headers)
        return lambda data: None

    app_iter = app(environ, start_response)
    chunks: list[bytes] = []
    try:
        for chunk in app_iter:
            chunks.append(bytes(chunk))
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    return WireResult(captured["status"], captured["headers"], b"".join(chunks), chunks)


def asgi_scope(environ: dict[str, Any]) -> dict[str, Any]:
    """The ASGI http scope a server would send for the same request as ``environ``."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append(
                (key[5:].replace("_", "-").lower().encode("latin-1"), value.encode("latin-1"))
            )
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append(
                (key.replace("_", "-").lower().encode("latin-1"), value.encode("latin-1"))
            )
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": environ["REQUEST_METHOD"],
        "scheme": environ["wsgi.url_scheme"],
        "path": environ["PATH_INFO"].encode("latin-1").decode("utf-8"),
        "raw_path": environ["PATH_INFO"].encode("latin-1"),
        "query_string": environ["QUERY_STRING"].encode("latin-1"),
        "root_path": environ.get("SCRIPT_NAME", ""),
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": (environ["SERVER_NAME"], int(environ["SERVER_PORT"])),
    }


async def call_asgi_async(
    app: Any, path: str = "/", method: str = "GET", **kwargs: Any
) -> WireResult:
    environ = build_environ(path, method, **kwargs)
    body = environ["wsgi.input"].read()
    scope = asgi_scope(environ)
    received = False
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    start = messages[0]
    assert start["type"] == "http.response.start"
    from erlen.http.status import HTTP_STATUS_CODES

    code = start["status"]
    status = f"{code} {HTTP_STATUS_CODES.get(code, 'UNKNOWN').upper()}"
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
    chunks = [m.get("body", b"") for m in messages[1:]]
    assert messages[-1].get("more_body", False) is False
    return WireResult(status, headers, b"".join(chunks), chunks)


def call_asgi(app: Any, path: str = "/", method: str = "GET", **kwargs: Any) -> WireResult:
    return asyncio.run(call_asgi_async(app, path, method, **kwargs))


_EXPIRES = re.compile(r"Expires=([^;]+)")


def normalize_headers(headers: list[tuple[str, str]], lower: bool = False) -> list[tuple[str, str]]:
    """Header list with times that depend on 'now' (cookie Expires) blanked out."""
    from email.utils import parsedate_to_datetime

    result = []
    for name, value in headers:
        if name.lower() == "set-cookie":
            match = _EXPIRES.search(value)
            if match and parsedate_to_datetime(match.group(1)).year > 1970:
                value = value.replace(match.group(1), "<now+max-age>")
        result.append((name.lower() if lower else name, value))
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
