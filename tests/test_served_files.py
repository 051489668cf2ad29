"""Files, ranges and conditional requests through real servers and a real client.

gunicorn (WSGI, whose ``wsgi.file_wrapper`` erlen hands whole files to),
uvicorn and hypercorn (ASGI) serve ``send_file``, ``send_from_directory`` and
the static route; httpx checks the status, the range and validator headers
and the exact bytes.
"""

from __future__ import annotations

import email.parser
import email.policy
import textwrap
from collections.abc import Iterator

import httpx
import pytest

from tests.servers import SERVER_KINDS, Served, running_server

CONTENT = bytes(range(256)) * 400  # 102,400 bytes, every byte value

FILES_APP = textwrap.dedent(
    """
    from pathlib import Path

    from erlen import Flask, send_file, send_from_directory

    HERE = Path(__file__).parent
    app = Flask(__name__, root_path=str(HERE))


    @app.get("/file")
    def whole_file():
        return send_file(HERE / "files" / "data.bin")


    @app.get("/download/<path:name>")
    def download(name):
        return send_from_directory(HERE / "files", name, as_attachment=True)
    """
)


@pytest.fixture(scope="module", params=SERVER_KINDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    app_dir = tmp_path_factory.mktemp("files_app")
    (app_dir / "served_files_app.py").write_text(FILES_APP)
    (app_dir / "files").mkdir()
    (app_dir / "files" / "data.bin").write_bytes(CONTENT)
    (app_dir / "files" / "rapport é.txt").write_text("résumé\n")
    (app_dir / "static").mkdir()
    (app_dir / "static" / "site.css").write_text("body { margin: 0 }\n")
    (app_dir / "secret.txt").write_text("secret")
    with running_server(request.param, "served_files_app:app", cwd=app_dir) as url:
        yield Served(request.param, url)


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=10) as session:
        yield session


def test_whole_file(client: httpx.Client) -> None:
    response = client.get("/file")
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["content-length"] == str(len(CONTENT))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["etag"]
    assert response.headers["last-modified"]


def test_head_sends_headers_only(client: httpx.Client) -> None:
    response = client.head("/file")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(CONTENT))


def test_single_range(client: httpx.Client) -> None:
    response = client.get("/file", headers={"Range": "bytes=1000-1999"})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes 1000-1999/{len(CONTENT)}"
    assert response.content == CONTENT[1000:2000]


def test_suffix_range(client: httpx.Client) -> None:
    response = client.get("/file", headers={"Range": "bytes=-100"})
    assert response.status_code == 206
    assert response.content == CONTENT[-100:]


def test_multiple_ranges_are_multipart_byteranges(client: httpx.Client) -> None:
    response = client.get("/file", headers={"Range": "bytes=0-9,500-509"})
    assert response.status_code == 206
    content_type = response.headers["content-type"]
    assert content_type.startswith("multipart/byteranges; boundary=")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + response.content
    )
    parts = [
        (part["Content-Range"], part.get_payload(decode=True)) for part in message.iter_parts()
    ]
    assert parts == [
        (f"bytes 0-9/{len(CONTENT)}", CONTENT[0:10]),
        (f"bytes 500-509/{len(CONTENT)}", CONTENT[500:510]),
    ]


def test_unsatisfiable_range(client: httpx.Client) -> None:
    response = client.get("/file", headers={"Range": f"bytes={len(CONTENT) + 10}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(CONTENT)}"


def test_if_none_match_gives_304(client: httpx.Client) -> None:
    etag = client.get("/file").headers["etag"]
    response = client.get("/file", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


def test_if_modified_since_gives_304(client: httpx.Client) -> None:
    last_modified = client.get("/file").headers["last-modified"]
    response = client.get("/file", headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304


def test_if_range_with_a_stale_etag_sends_the_whole_file(client: httpx.Client) -> None:
    response = client.get("/file", headers={"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert response.status_code == 200
    assert response.content == CONTENT


def test_download_name_with_non_ascii(client: httpx.Client) -> None:
    response = client.get("/download/rapport é.txt")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''rapport%20%C3%A9.txt" in disposition
    assert response.content == "résumé\n".encode()


def test_static_route(client: httpx.Client) -> None:
    response = client.get("/static/site.css")
    assert response.status_code == 200
    assert response.text == "body { margin: 0 }\n"
    assert response.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "path", ["/static/../secret.txt", "/static/%2e%2e/secret.txt", "/download/..%2fsecret.txt"]
)
def test_path_traversal_over_the_wire_is_404(client: httpx.Client, path: str) -> None:
    # httpx would normalise "..": send the raw target.
    request = client.build_request("GET", "/")
    request.url = request.url.copy_with(raw_path=path.encode())
    response = client.send(request)
    assert response.status_code == 404
    assert b"secret" not in response.content
