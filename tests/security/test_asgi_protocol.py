"""A misbehaving ASGI server: malformed scopes and messages give a clean
``ASGIProtocolError`` or an error response, never a hang or a stray exception type.

Every drive is wrapped in ``asyncio.wait_for`` (see ``drive_asgi``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import erlen
from erlen.asgi import ASGIProtocolError
from tests.security.wire import drive_asgi, http_scope, status_of


def _app() -> erlen.Flask:
    app = erlen.Flask("asgi")

    @app.route("/sync", methods=["GET", "POST"])
    def sync_view() -> Any:
        return {"body": erlen.request.get_data(as_text=True)}

    @app.route("/async", methods=["GET", "POST"])
    async def async_view() -> Any:
        return {"body": erlen.request.get_data(as_text=True)}

    return app


APP = _app()
OK_BODY = [{"type": "http.request", "body": b"", "more_body": False}]


def _run(scope: dict[str, Any], messages: list[Any], **kwargs: Any) -> list[dict[str, Any]]:
    return asyncio.run(drive_asgi(APP, scope, messages, **kwargs))


@pytest.mark.parametrize(
    ("label", "overrides"),
    [
        ("headers as str pairs", {"headers": [("host", "x")]}),
        ("header not a pair", {"headers": [(b"host",)]}),
        ("headers None", {"headers": 0}),
        ("method bytes", {"method": b"GET"}),
        ("path bytes", {"path_bytes": True}),
        ("query_string str", {"query_string": "a=1"}),
        ("server one item", {"server": ("a",)}),
        ("client one item", {"client": ("a",)}),
        ("type unknown", {"type": "smtp"}),
    ],
)
@pytest.mark.parametrize("view", ["/sync", "/async"])
def test_asgi_malformed_scope_is_a_protocol_error(
    view: str, label: str, overrides: dict[str, Any]
) -> None:
    scope = http_scope(view, **{k: v for k, v in overrides.items() if k != "path_bytes"})
    if overrides.get("headers") == 0:
        scope["headers"] = None
    if overrides.get("path_bytes"):
        scope["path"] = view.encode()
    with pytest.raises(ASGIProtocolError):
        _run(scope, OK_BODY)


@pytest.mark.parametrize("missing", ["path", "method"])
def test_asgi_scope_missing_required_key_is_a_protocol_error(missing: str) -> None:
    scope = http_scope("/sync")
    del scope[missing]
    with pytest.raises(ASGIProtocolError, match=missing):
        _run(scope, OK_BODY)


@pytest.mark.parametrize("view", ["/sync", "/async"])
@pytest.mark.parametrize(
    "message",
    [
        {"type": "http.request", "body": "text", "more_body": False},
        {"type": "http.request", "body": None, "more_body": False},
        {"type": "websocket.receive", "text": "x"},
        {"type": "lifespan.startup"},
    ],
    ids=["body-str", "body-None", "websocket-message", "lifespan-message"],
)
def test_asgi_bad_body_message_is_protocol_error_or_error_response(
    view: str, message: dict[str, Any], caplog: Any
) -> None:
    scope = http_scope(view, "POST", headers=[(b"content-length", b"4")])
    try:
        sent = _run(scope, [message])
    except ASGIProtocolError:
        return
    assert status_of(sent) >= 400


@pytest.mark.parametrize(
    "view",
    [
        "/sync",
        "/async",
    ],
)
def test_asgi_message_that_is_not_a_mapping(view: str, caplog: Any) -> None:
    scope = http_scope(view, "POST", headers=[(b"content-length", b"4")])
    try:
        sent = _run(scope, [None])
    except ASGIProtocolError:
        return
    assert status_of(sent) >= 400


@pytest.mark.parametrize(
    "view",
    ["/sync", "/async"],
)
@pytest.mark.parametrize(
    "headers",
    [[(b"content-length", b"10")], [(b"transfer-encoding", b"chunked")]],
    ids=["content-length", "chunked"],
)
def test_asgi_disconnect_while_reading_the_body_is_400_not_a_crash(
    view: str, headers: list[tuple[bytes, bytes]]
) -> None:
    scope = http_scope(view, "POST", headers=headers)
    partial = {"type": "http.request", "body": b"abc", "more_body": True}
    sent = _run(scope, [partial, {"type": "http.disconnect"}])
    assert status_of(sent) == 400


@pytest.mark.parametrize("view", ["/sync", "/async"])
def test_asgi_body_shorter_than_content_length_is_400_not_a_hang(view: str) -> None:
    scope = http_scope(view, "POST", headers=[(b"content-length", b"10")])
    sent = _run(scope, [{"type": "http.request", "body": b"abc", "more_body": False}])
    assert status_of(sent) == 400


@pytest.mark.parametrize("view", ["/sync", "/async"])
def test_asgi_body_longer_than_max_content_length_is_413(view: str) -> None:
    app = _app()
    app.config["MAX_CONTENT_LENGTH"] = 10
    scope = http_scope(view, "POST", headers=[(b"transfer-encoding", b"chunked")])
    chunks = [{"type": "http.request", "body": b"x" * 8, "more_body": True}] * 3
    chunks.append({"type": "http.request", "body": b"", "more_body": False})
    sent = asyncio.run(drive_asgi(app, scope, chunks))
    assert status_of(sent) == 413


@pytest.mark.parametrize(
    "view",
    ["/sync", "/async"],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_asgi_request_without_length_headers_reads_its_body(
    view: str, method: str, caplog: Any
) -> None:
    """HTTP/2 requests often carry no Content-Length; the body is still read, no 500."""
    scope = http_scope(view, method, http_version="2")
    body = [
        {"type": "http.request", "body": b"hi" if method == "POST" else b"", "more_body": False}
    ]
    sent = _run(scope, body)
    assert status_of(sent) == 200
    expected = b'{"body":"hi"}\n' if method == "POST" else b'{"body":""}\n'
    assert b"".join(m.get("body", b"") for m in sent[1:]) == expected


def test_asgi_websocket_scope_is_refused_cleanly() -> None:
    scope = {"type": "websocket", "path": "/sync", "headers": [], "asgi": {"version": "3.0"}}
    sent = asyncio.run(drive_asgi(APP, scope, [{"type": "websocket.connect"}]))
    assert sent == [{"type": "websocket.close", "code": 1008}]


def test_asgi_header_value_with_raw_bytes_is_read_as_latin1_not_a_crash() -> None:
    scope = http_scope("/sync", headers=[(b"x-odd", b"\xff\x00\r\n"), (b"host", b"\xff")])
    sent = _run(scope, OK_BODY)
    assert status_of(sent) == 200
