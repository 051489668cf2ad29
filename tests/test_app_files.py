"""The app's static route and the adapters' zero-copy file paths.

The static route is compared with Flask's; ``wsgi.file_wrapper`` and ASGI's
``http.response.pathsend`` are checked to be used for whole files only.
"""

from __future__ import annotations

import asyncio
import pathlib
from typing import Any
from wsgiref.util import FileWrapper

import flask
import pytest

import erlen
from erlen.files import send_file
from tests.support import asgi_scope, build_environ, call_asgi, call_wsgi, normalize_headers


@pytest.fixture
def apps(tmp_path: pathlib.Path) -> tuple[Any, Any]:
    static = tmp_path / "static"
    static.mkdir()
    (static / "site.css").write_text("body { color: red }\n")
    (static / "nested").mkdir()
    (static / "nested" / "a.txt").write_text("nested file")
    (tmp_path / "secret.txt").write_text("secret")
    ours = erlen.Flask("static_app", root_path=str(tmp_path))
    theirs = flask.Flask("static_app", root_path=str(tmp_path))
    return ours, theirs


def _comparable(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # Date and the mtime-based ETag are per file/time: compare their presence only.
    return [(k, "<varies>" if k in ("Date", "ETag") else v) for k, v in normalize_headers(headers)]


@pytest.mark.parametrize(
    "path",
    ["/static/site.css", "/static/nested/a.txt", "/static/missing.css", "/static/../secret.txt"],
)
def test_static_route_matches_flask(apps: tuple[Any, Any], path: str) -> None:
    ours, theirs = (call_wsgi(app, path) for app in apps)
    assert ours.status == theirs.status
    if ours.status_code == 200:
        assert _comparable(ours.headers) == _comparable(theirs.headers)
        assert ours.body == theirs.body


def test_static_route_on_asgi(apps: tuple[Any, Any]) -> None:
    result = call_asgi(apps[0], "/static/site.css")
    assert result.status_code == 200
    assert result.body == b"body { color: red }\n"
    assert call_asgi(apps[0], "/static/../secret.txt").status_code == 404


def test_static_url_for(apps: tuple[Any, Any]) -> None:
    for app in apps:
        with app.test_request_context("/"):
            module = erlen if isinstance(app, erlen.Flask) else flask
            assert module.url_for("static", filename="site.css") == "/static/site.css"


def _file_app(tmp_path: pathlib.Path) -> erlen.Flask:
    target = tmp_path / "data.bin"
    target.write_bytes(b"0123456789" * 1000)
    app = erlen.Flask("file_app")

    @app.route("/file")
    def whole() -> Any:
        return send_file(str(target))

    return app


def test_wsgi_file_wrapper_used_for_a_whole_file(tmp_path: pathlib.Path) -> None:
    app = _file_app(tmp_path)
    environ = build_environ("/file")
    environ["wsgi.file_wrapper"] = FileWrapper
    body = app(environ, lambda status, headers, exc_info=None: None)
    assert isinstance(body, FileWrapper)
    assert b"".join(body) == b"0123456789" * 1000
    body.close()


def test_wsgi_file_wrapper_not_used_for_a_range(tmp_path: pathlib.Path) -> None:
    app = _file_app(tmp_path)
    environ = build_environ("/file", headers={"Range": "bytes=0-4"})
    environ["wsgi.file_wrapper"] = FileWrapper
    started: list[str] = []
    body = app(environ, lambda status, headers, exc_info=None: started.append(status))
    assert not isinstance(body, FileWrapper)
    assert started == ["206 PARTIAL CONTENT"]
    assert b"".join(body) == b"01234"
    body.close()


def _run_asgi(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    requests = [{"type": "http.request", "body": b""}]

    async def receive() -> dict[str, Any]:
        if requests:
            return requests.pop()
        await asyncio.sleep(3600)  # as a server does: nothing more until disconnect
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    return messages


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_asgi_pathsend_used_when_the_server_offers_it(tmp_path: pathlib.Path, method: str) -> None:
    app = _file_app(tmp_path)
    scope = asgi_scope(build_environ("/file", method))
    scope["extensions"] = {"http.response.pathsend": {}}
    messages = _run_asgi(app, scope)
    assert messages[0]["status"] == 200
    if method == "GET":
        assert messages[1] == {"type": "http.response.pathsend", "path": str(tmp_path / "data.bin")}
    else:
        assert messages[1] == {"type": "http.response.body", "body": b""}


def test_asgi_streams_the_file_without_pathsend(tmp_path: pathlib.Path) -> None:
    app = _file_app(tmp_path)
    messages = _run_asgi(app, asgi_scope(build_environ("/file")))
    assert b"".join(m.get("body", b"") for m in messages[1:]) == b"0123456789" * 1000
    assert all(m["type"] != "http.response.pathsend" for m in messages)
