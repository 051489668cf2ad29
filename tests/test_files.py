"""send_file, send_from_directory, safe_join and FileBody.

Differential against Flask 3.1 (the same call inside a Flask and an erlen
request context), path-traversal tables named after the weakness, and a
200 MB streaming test watched with tracemalloc.
"""

from __future__ import annotations

import email
import io
import os
import tracemalloc
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import flask
import pytest
import werkzeug.security
from werkzeug.exceptions import (
    NotFound as WerkzeugNotFound,
    RequestedRangeNotSatisfiable as Werkzeug416,
)

import erlen.files as files_module
from erlen.app import Erlen
from erlen.errors import ArgumentTypeError, HeaderValueError
from erlen.exceptions import NotFound, RequestedRangeNotSatisfiable
from erlen.files import FileBody, FileModeError, safe_join, send_file, send_from_directory

NAMES = [
    "a.txt", 'we"ird.txt', "semi;colon.txt", "back\\slash.txt", "Ünïcode €.txt", "日本.txt",
    "sp ace.html", "a.tar.gz", "noext", "x.json", "img.png", "per%cent.css", "tick'.js",
]  # fmt: skip
CONTENT = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("files")
    static = base / "static"
    static.mkdir()
    for name in NAMES:
        (static / name).write_bytes(CONTENT)
    (static / "sub").mkdir()
    (static / "sub" / "inner.txt").write_bytes(b"inner")
    secret = base / "static-secret"
    secret.mkdir()
    (secret / "key.txt").write_bytes(b"SECRET")
    (base / "secret.txt").write_bytes(b"SECRET")
    (static / "link-to-sibling").symlink_to(secret)
    (static / "link-out.txt").symlink_to(base / "secret.txt")
    (static / "link-in.txt").symlink_to(static / "a.txt")
    (static / "%2e%2e").mkdir()
    (static / "%2e%2e" / "decoy.txt").write_bytes(b"decoy")
    return base


def run_both(
    root: Path,
    call: Any,
    headers: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
) -> list[Any]:
    """Run ``call(module)`` in an erlen and a Flask request context: (status, headers, body)."""
    results = []
    for module, app_class in ((files_module, Erlen), (flask, flask.Flask)):
        app = app_class("test_files", root_path=str(root))
        app.config.update(config or {})
        with app.test_request_context("/", headers=headers or {}):
            try:
                response = call(module)
            except (NotFound, WerkzeugNotFound):
                results.append("404")
                continue
            except (RequestedRangeNotSatisfiable, Werkzeug416) as error:
                results.append(("416", error.get_headers()))
                continue
            except (ValueError, TypeError) as error:
                results.append(_error_kind(error))
                continue
            body = b"".join(response.response) if response.status_code != 304 else b""
            response.close()
            listed = [(k, v) for k, v in response.headers.items() if k not in ("Date", "Expires")]
            results.append((response.status, listed, "Expires" in response.headers, body))
    return results


def _error_kind(error: Exception) -> str:
    return "ValueError" if isinstance(error, ValueError) else "TypeError"


def same(root: Path, call: Any, **kwargs: Any) -> Any:
    ours, theirs = run_both(root, call, **kwargs)
    assert ours == theirs
    return ours


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("as_attachment", [False, True])
def test_send_file_path_matches_flask(root: Path, name: str, as_attachment: bool) -> None:
    result = same(root, lambda m: m.send_file(f"static/{name}", as_attachment=as_attachment))
    assert result[3] == CONTENT


@pytest.mark.parametrize(
    "download_name", [None, "report.pdf", "Ünïcode.pdf", 'q"uote.txt', "semi;c.txt", "", "日本"]
)
@pytest.mark.parametrize("mimetype", [None, "application/x-custom", "text/csv"])
def test_send_file_download_name_and_mimetype_match_flask(
    root: Path, download_name: str | None, mimetype: str | None
) -> None:
    same(
        root,
        lambda m: m.send_file(
            "static/a.txt", mimetype=mimetype, download_name=download_name, as_attachment=True
        ),
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_age": 60},
        {"max_age": 0},
        {"max_age": -5},
        {"max_age": lambda path: 30},
        {"etag": False},
        {"etag": "custom"},
        {"last_modified": 1_000_000},
        {"last_modified": 1_000_000.5},
        {"last_modified": datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)},
        {"conditional": False},
    ],
)
def test_send_file_options_match_flask(root: Path, kwargs: dict[str, Any]) -> None:
    same(root, lambda m: m.send_file("static/a.txt", **kwargs))


@pytest.mark.parametrize("value", [3600, timedelta(hours=2), None, 0])
def test_send_file_max_age_default_config_matches_flask(root: Path, value: Any) -> None:
    same(
        root,
        lambda m: m.send_file("static/x.json"),
        config={"SEND_FILE_MAX_AGE_DEFAULT": value},
    )


REQUEST_HEADERS = [
    {"Range": "bytes=0-99"},
    {"Range": "bytes=-10"},
    {"Range": "bytes=10000-"},
    {"Range": "bytes=20000-"},
    {"Range": "bytes=abc"},
    {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"},
    {"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"},
    {"If-None-Match": '"other"'},
    {"If-Match": '"other"'},
    {"Range": "bytes=0-9", "If-Range": '"other"'},
]


@pytest.mark.parametrize("headers", REQUEST_HEADERS)
def test_send_file_conditional_matches_flask(root: Path, headers: dict[str, str]) -> None:
    same(root, lambda m: m.send_file("static/a.txt"), headers=headers)


@pytest.mark.parametrize("headers", [{}, {"Range": "bytes=5-9"}, {"Range": "bytes=99-"}])
def test_send_file_bytesio_matches_flask(root: Path, headers: dict[str, str]) -> None:
    same(
        root,
        lambda m: m.send_file(io.BytesIO(CONTENT), download_name="data.bin", etag="fixed"),
        headers=headers,
    )


def test_send_file_if_none_match_own_etag_is_304_like_flask(root: Path) -> None:
    first = same(root, lambda m: m.send_file("static/a.txt"))
    etag = dict(first[1])["ETag"]
    result = same(root, lambda m: m.send_file("static/a.txt"), headers={"If-None-Match": etag})
    assert result[0] == "304 NOT MODIFIED"
    result = same(
        root,
        lambda m: m.send_file("static/a.txt"),
        headers={"Range": "bytes=1-2", "If-Range": etag},
    )
    assert result[0] == "206 PARTIAL CONTENT" and result[3] == CONTENT[1:3]


@pytest.mark.parametrize("path", ["a.txt", "sub/inner.txt", "Ünïcode €.txt", "link-in.txt"])
def test_send_from_directory_matches_flask(root: Path, path: str) -> None:
    result = same(root, lambda m: m.send_from_directory("static", path))
    assert result[0] == "200 OK"


def test_bad_arguments_raise_like_flask(root: Path) -> None:
    ours, theirs = run_both(root, lambda m: m.send_file(io.BytesIO(b"x")))
    assert ours == theirs == "TypeError"
    ours, theirs = run_both(root, lambda m: m.send_file(io.StringIO("x"), mimetype="text/plain"))
    assert ours == theirs == "ValueError"
    ours, theirs = run_both(root, lambda m: m.send_file("static/a.txt", download_name="a\r\nb"))
    assert ours == theirs == "ValueError"


def test_bad_argument_classes(root: Path) -> None:
    with pytest.raises(FileModeError):
        send_file(io.StringIO("x"), mimetype="text/plain")
    with pytest.raises(ArgumentTypeError, match="attachment"):
        send_file(io.BytesIO(b"x"), mimetype="text/plain", as_attachment=True)
    with pytest.raises(ArgumentTypeError, match="MIME"):
        send_file(io.BytesIO(b"x"))
    with pytest.raises(ArgumentTypeError, match="max_age"):
        send_file(io.BytesIO(b"x"), mimetype="text/plain", max_age="60")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="download_name"):
        send_file(io.BytesIO(b"x"), download_name=b"a.txt")  # type: ignore[arg-type]
    with pytest.raises(IsADirectoryError):
        send_file(str(root / "static"))
    with pytest.raises(FileNotFoundError):
        send_file(str(root / "missing.txt"))


@pytest.mark.parametrize(
    "name",
    ["a\rb.txt", "a\nb.txt", "a\x00b.txt", "\r\nSet-Cookie: x=1", "ü\r\n.txt"],
)
def test_header_injection_download_name_refused(name: str) -> None:
    with pytest.raises(HeaderValueError, match="download_name"):
        send_file(io.BytesIO(b"x"), download_name=name)


@pytest.mark.parametrize("name", ["ctl\x01.txt", "tab\t.txt", "del\x7f.txt", "esc\x1b[31m.txt"])
def test_control_characters_in_download_name_are_percent_encoded(name: str) -> None:
    # Werkzeug writes these raw inside the quoted filename; erlen never does.
    response = send_file(io.BytesIO(b"x"), download_name=name, as_attachment=True)
    value = response.headers["Content-Disposition"]
    assert all(32 <= ord(char) < 127 for char in value)
    assert "filename*=UTF-8''" in value
    encoded = value.partition("filename*=UTF-8''")[2]
    assert unquote(encoded) == name
    assert value.index("filename=") < value.index("filename*=")
    response.close()


def test_send_file_outside_a_request_context(tmp_path: Path) -> None:
    target = tmp_path / "plain.txt"
    target.write_bytes(b"hello")
    response = send_file(str(target))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert isinstance(response.response, FileBody)
    assert b"".join(response.response) == b"hello"
    response.close()


# -- multiple ranges on a file (erlen goes further) ------------------------------------


def test_multiple_ranges_of_a_file(root: Path) -> None:
    app = Erlen("t", root_path=str(root))
    with app.test_request_context("/", headers={"Range": "bytes=-5,0-9,5-19,100-109"}):
        response = send_file("static/a.txt")
    assert response.status_code == 206
    data = b"".join(response.response)
    response.close()
    assert len(data) == response.content_length
    content_type = response.headers["Content-Type"]
    message = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + data)
    parts = [
        (part["Content-Range"], part["Content-Type"], part.get_payload(decode=True))
        for part in message.get_payload()  # type: ignore[union-attr]
    ]
    expected = [(0, 20), (100, 110), (10235, 10240)]
    assert parts == [
        (f"bytes {a}-{b - 1}/10240", "text/plain; charset=utf-8", CONTENT[a:b]) for a, b in expected
    ]


# -- path safety ----------------------------------------------------------------------

TRAVERSALS = [
    "../secret.txt", "a/../../secret.txt", "..", "../", "sub/../../secret.txt",
    "/etc/passwd", "//etc/passwd", "..\\secret.txt", "sub\\..\\..\\secret.txt", "\\secret.txt",
    "C:secret.txt", "c:/windows/win.ini", "sub/C:x", "CON", "con.txt", "aux", "NUL", "nul.tar.gz",
    "COM1", "lpt9.log", "sub/con/x", "CON .txt", "conin$", "COM¹", "prn:stream",
    "x\x00.txt", "a.txt\x00.png", "../static-secret/key.txt",
]  # fmt: skip


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_refused_before_touching_the_file_system(
    root: Path, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert safe_join(str(root / "static"), path) is None

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the file system was touched")

    app = Erlen("t", root_path=str(root))
    with app.test_request_context("/"):
        for name in ("stat", "lstat", "open", "readlink"):
            monkeypatch.setattr(os, name, forbidden)
        monkeypatch.setattr(os.path, "realpath", forbidden)
        with pytest.raises(NotFound):
            send_from_directory("static", path)


@pytest.mark.parametrize(
    "path",
    [
        "link-out.txt",  # symlink to a file outside
        "link-to-sibling/key.txt",  # /srv/static-secret shares the /srv/static prefix
        "sub",  # a directory
        ".",
        "",
        "missing.txt",
        "%2e%2e/secret.txt",  # the router already decoded once: this is a literal name
        "%252e%252e/secret.txt",
        "..%2fsecret.txt",
        "sub/..%5c..%5csecret.txt",
    ],
)
def test_path_traversal_by_symlink_sibling_prefix_or_encoding_is_404(root: Path, path: str) -> None:
    app = Erlen("t", root_path=str(root))
    with app.test_request_context("/"), pytest.raises(NotFound):
        send_from_directory("static", path)


def test_path_traversal_sibling_prefix_check_is_by_path_segment() -> None:
    assert files_module._is_within("/srv/static/a", "/srv/static")
    assert not files_module._is_within("/srv/static-secret/a", "/srv/static")
    assert files_module._is_within("/srv/static", "/srv/static")
    assert files_module._is_within("/etc", "/")


def test_path_traversal_percent_dots_stay_literal(root: Path) -> None:
    app = Erlen("t", root_path=str(root))
    with app.test_request_context("/"):
        response = send_from_directory("static", "%2e%2e/decoy.txt")
        assert b"".join(response.response) == b"decoy"
        response.close()


def test_path_traversal_through_the_router(root: Path) -> None:
    app = Erlen("t", root_path=str(root))

    @app.route("/files/<path:name>")
    def files(name: str) -> Any:
        return send_from_directory("static", name)

    client = app.test_client()
    assert client.get("/files/a.txt").status_code == 200
    for url in [
        "/files/..%2fsecret.txt",
        "/files/%2e%2e/secret.txt",
        "/files/sub%5c..%5c..%5cx",
        "/files/link-out.txt",
        "/files/%252e%252e%252fsecret.txt",
        "/files/CON",
    ]:
        assert client.get(url).status_code == 404, url


SAFE_JOINS = [
    ("static", ("a.txt",)), ("static", ("sub", "inner.txt")), ("", ("a.txt",)),
    ("static", ("sub/./inner.txt",)), ("static", ("sub/../a.txt",)), ("static", ("",)),
    ("static", ("a", "", "b")), ("static", ("../x",)), ("static", ("/x",)), ("/srv", ("a//b",)),
]  # fmt: skip


@pytest.mark.parametrize(("directory", "parts"), SAFE_JOINS)
def test_safe_join_matches_werkzeug_on_posix_paths(directory: str, parts: tuple[str, ...]) -> None:
    assert safe_join(directory, *parts) == werkzeug.security.safe_join(directory, *parts)


@pytest.mark.parametrize("part", ["a\\b", "CON", "c:x", "x\x00"])
def test_safe_join_is_stricter_than_werkzeug_on_posix(part: str) -> None:
    # Werkzeug refuses these only on Windows; erlen on every OS.
    assert werkzeug.security.safe_join("static", part) is not None
    assert safe_join("static", part) is None


# -- FileBody ----------------------------------------------------------------------------


def test_file_body_attributes_for_the_adapters(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(CONTENT)
    body = FileBody(path=str(target), offset=0, length=len(CONTENT), size=len(CONTENT))
    assert body.is_whole_file and body.path == str(target)
    assert body._file is None  # not opened until used
    part = body.span(10, 20)
    assert not part.is_whole_file and (part.offset, part.length) == (10, 10)
    assert b"".join(part) == CONTENT[10:20]
    assert part.open().tell() == 10
    assert b"".join(part.iter_span(5, 8)) == CONTENT[5:8]
    part.close()
    part.close()
    wrapped = FileBody(io.BytesIO(CONTENT), chunk_size=1000)
    assert wrapped.is_whole_file and wrapped.path is None
    chunks = list(wrapped)
    assert max(map(len, chunks)) == 1000 and b"".join(chunks) == CONTENT
    with pytest.raises(ArgumentTypeError):
        FileBody()


def test_304_never_opens_the_file(root: Path) -> None:
    app = Erlen("t", root_path=str(root))
    with app.test_request_context(
        "/", headers={"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}
    ):
        response = send_file("static/a.txt")
    assert response.status_code == 304
    body = response.response
    assert isinstance(body, FileBody) and body._file is None
    response.close()


def test_range_on_a_file_reads_only_the_range(root: Path) -> None:
    app = Erlen("t", root_path=str(root))
    with app.test_request_context("/", headers={"Range": "bytes=-10"}):
        response = send_file("static/a.txt")
    body = response.response
    assert isinstance(body, FileBody) and (body.offset, body.length) == (10230, 10)
    assert b"".join(body) == CONTENT[-10:]
    response.close()


def test_unsatisfiable_range_closes_the_file_object() -> None:
    app = Erlen("t")
    handle = io.BytesIO(CONTENT)
    headers = {"Range": "bytes=99999-"}
    with (
        app.test_request_context("/", headers=headers),
        pytest.raises(RequestedRangeNotSatisfiable),
    ):
        send_file(handle, download_name="x.bin")
    assert handle.closed


# -- a large file streams in constant memory -------------------------------------------

LARGE = 200 * 1024 * 1024


def _drain(app_iter: Iterator[bytes]) -> int:
    total = 0
    for chunk in app_iter:
        total += len(chunk)
    return total


def test_large_file_streams_through_wsgi_in_constant_memory(tmp_path: Path) -> None:
    target = tmp_path / "big.bin"
    with open(target, "wb") as handle:
        handle.truncate(LARGE)  # sparse: no disk blocks written
    app = Erlen("t", root_path=str(tmp_path))
    with app.test_request_context("/big.bin") as _:
        from erlen.ctx import request

        environ = request.environ
        response = send_file("big.bin")
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured.update(status=status, headers=dict(headers))

    tracemalloc.start()
    try:
        app_iter = response(environ, start_response)
        total = _drain(iter(app_iter))
        getattr(app_iter, "close", lambda: None)()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert captured["status"] == "200 OK"
    assert captured["headers"]["Content-Length"] == str(LARGE)
    assert total == LARGE
    print(f"peak traced memory while streaming 200 MB: {peak / 1024:.0f} KiB")
    assert peak < 2 * 1024 * 1024
