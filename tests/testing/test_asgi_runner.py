"""The test client in ASGI mode: the same client, sending through ``await app(scope, ...)``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

import erlen.testing as testing
from erlen.testing import ErlenClient
from tests.testing.test_client import SEQUENCES, jar_summary, make_app

# Environ keys both adapters provide; the rest (wsgi.*, REQUEST_URI, asgi.scope,
# REMOTE_PORT) belongs to one protocol.
_SHARED_ENVIRON = re.compile(
    r"HTTP_.*|CONTENT_(TYPE|LENGTH)|REQUEST_METHOD|SCRIPT_NAME|PATH_INFO|QUERY_STRING"
    r"|SERVER_(NAME|PORT|PROTOCOL)|REMOTE_ADDR|wsgi\.url_scheme"
)


def protocol_summary(response: Any) -> tuple[Any, ...]:
    """What must not depend on the protocol: ASGI sends lower-case names, no phrase."""
    body = response.get_data()
    if response.mimetype == "application/json" and b'"environ"' in body:
        data = response.get_json()
        data["environ"] = {
            key: value for key, value in data["environ"].items() if _SHARED_ENVIRON.fullmatch(key)
        }
        body = data
    # The echoed environ differs by protocol, and so does its length.
    echoed = response.request.path == "/echo"
    headers = [
        (name, re.sub(r"Expires=[^;]+", "Expires=<date>", value))
        for name, value in ((n.lower(), v) for n, v in response.headers.to_wsgi_list())
        if name != "content-length" or not echoed
    ]
    return (
        response.status_code,
        headers,
        body,
        [r.status_code for r in response.history],
    )


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_asgi_mode_matches_wsgi_mode(name: str) -> None:
    import erlen

    app = make_app(erlen)
    wsgi_client: Any = app.test_client()
    asgi_client: Any = app.test_client(asgi=True)
    assert asgi_client.asgi and not wsgi_client.asgi
    for method, args, make_kwargs in SEQUENCES[name]:
        expected = getattr(wsgi_client, method)(*args, **make_kwargs())
        got = getattr(asgi_client, method)(*args, **make_kwargs())
        assert protocol_summary(got) == protocol_summary(expected), (method, args)
        expected.close()
        got.close()
    assert jar_summary(asgi_client) == jar_summary(wsgi_client)


class RawASGIApp:
    """A hand-written ASGI app: records what it receives, sends a scripted reply."""

    def __init__(self, *messages: dict[str, Any], read_body: bool = True, wait: bool = False):
        self.messages = messages
        self.read_body = read_body
        self.wait = wait
        self.received: list[dict[str, Any]] = []
        self.scope: dict[str, Any] = {}
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        self.scope = scope
        if self.read_body:
            while True:
                message = await receive()
                self.received.append(message)
                if not message.get("more_body"):
                    break
        for message in self.messages:
            await send(message)
        if self.wait:
            self.received.append(await receive())


START = {"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]}
BODY = {"type": "http.response.body", "body": b"done"}


def test_asgi_scope_is_built_from_the_wsgi_environ() -> None:
    app = RawASGIApp(START, BODY)
    client = ErlenClient(app, asgi=True)
    response = client.post(
        "/p\u00e4th/x%2Fy",
        base_url="https://example.test:8443/mount",
        query_string="a=1&b=%20",
        data=b"body",
        content_type="text/plain",
        headers=[("X-Dup", "1"), ("X-Dup", "2"), ("Accept", "*/*")],
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert response.status == "200 OK"
    assert response.headers.to_wsgi_list() == [("x-a", "1")]
    scope = app.scope
    assert scope["type"] == "http"
    assert scope["asgi"]["version"] == "3.0"
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "POST"
    assert scope["scheme"] == "https"
    assert scope["root_path"] == "/mount"
    assert scope["path"] == "/mount/p\u00e4th/x/y"
    assert scope["raw_path"] == b"/mount/p%C3%A4th/x/y"
    assert scope["query_string"] == b"a=1&b=%20"
    assert scope["server"] == ("example.test", 8443)
    assert scope["client"] == ("10.0.0.7", 0)
    headers = scope["headers"]
    assert all(isinstance(n, bytes) and n == n.lower() and isinstance(v, bytes) for n, v in headers)
    assert (b"host", b"example.test:8443") in headers
    assert (b"content-type", b"text/plain") in headers
    assert (b"content-length", b"4") in headers
    assert (b"x-dup", b"1, 2") in headers
    assert (b"accept", b"*/*") in headers


@pytest.mark.parametrize("size", [0, 1, 2, 3, 10, 200_000])
def test_asgi_body_is_fed_in_chunks(size: int) -> None:
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    app = RawASGIApp(START, BODY)
    ErlenClient(app, asgi=True).post("/", data=body)
    assert all(message["type"] == "http.request" for message in app.received)
    assert b"".join(message["body"] for message in app.received) == body
    assert [message["more_body"] for message in app.received][-1] is False
    assert all(message["more_body"] for message in app.received[:-1])
    if size >= 3:
        assert len(app.received) >= 3  # more_body is really exercised


def test_asgi_receive_after_the_body_is_disconnect_once_the_response_is_done() -> None:
    app = RawASGIApp(START, BODY, wait=True)
    response = ErlenClient(app, asgi=True).get("/")
    assert response.get_data() == b"done"
    assert app.received[-1] == {"type": "http.disconnect"}


def test_asgi_streamed_body_is_lazy_and_close_hangs_up() -> None:
    sent: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        for index in range(100):
            sent.append(index)
            await send({"type": "http.response.body", "body": b"%d," % index, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    response = ErlenClient(app, asgi=True).get("/")
    assert response.status_code == 200
    assert len(sent) <= 2  # only what the client asked for was produced
    response.close()  # the app's later sends are dropped, as a server drops them


def test_asgi_close_of_an_unread_stream_sends_disconnect() -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(await receive())
        await send(START)
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        seen.append(await receive())

    response = ErlenClient(app, asgi=True).get("/")
    assert seen == [{"type": "http.request", "body": b"", "more_body": False}]
    response.close()
    assert seen[-1] == {"type": "http.disconnect"}


def test_asgi_streamed_body_read_to_the_end() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        for index in range(5):
            await send({"type": "http.response.body", "body": b"%d" % index, "more_body": True})
        await send({"type": "http.response.body", "body": b"!", "more_body": False})

    client = ErlenClient(app, asgi=True)
    assert client.get("/").get_data() == b"01234!"
    assert client.get("/", buffered=True).get_data() == b"01234!"


def test_asgi_status_line_uses_the_standard_phrase() -> None:
    for code, line in [(201, "201 CREATED"), (418, "418 I'M A TEAPOT"), (299, "299 UNKNOWN")]:
        app = RawASGIApp({**START, "status": code}, BODY)
        assert ErlenClient(app, asgi=True).get("/").status == line


@pytest.mark.parametrize(
    ("messages", "match"),
    [
        ([BODY], "before 'http.response.start'"),
        ([START, START, BODY], "twice"),
        ([START, {"type": "http.response.body", "body": b"x", "more_body": True}], "final"),
        ([START], "final"),
        ([], "without sending 'http.response.start'"),
        ([{**START, "status": "200"}], "status"),
        ([{**START, "status": True}], "status"),
        ([{**START, "status": 99}], "status"),
        ([{**START, "headers": [("x-a", "1")]}], "bytes"),
        ([{**START, "headers": [(b"x-a", b"1\r\nx-evil: 1")]}], "CR, LF or NUL"),
        ([{**START, "headers": [(b"x a", b"1")]}], "token"),
        ([{**START, "headers": [b"x-a"]}], "pairs"),
        ([START, {"type": "http.response.body", "body": "text"}], "bytes"),
        ([START, BODY, BODY], "after the response was complete"),
        ([{"type": "http.response.trailers"}], "unknown message type"),
    ],
)
def test_asgi_protocol_violations_fail_loudly(messages: list[dict[str, Any]], match: str) -> None:
    app = RawASGIApp(*messages)
    with pytest.raises(testing.ASGIProtocolViolation, match=match):
        ErlenClient(app, asgi=True).get("/").get_data()


def test_asgi_app_exception_reaches_the_caller() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise LookupError("from the app")

    with pytest.raises(LookupError, match="from the app"):
        ErlenClient(app, asgi=True).get("/")


def test_asgi_app_exception_mid_stream_reaches_the_reader() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(START)
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        raise LookupError("mid-stream")

    response = ErlenClient(app, asgi=True).get("/")
    with pytest.raises(LookupError, match="mid-stream"):
        response.get_data()


def test_asgi_mode_with_erlen_app_cookies_and_redirects() -> None:
    import erlen

    app = make_app(erlen)
    client = app.test_client(asgi=True)
    client.post("/login")
    assert client.get_cookie("session_id") is not None
    response = client.get("/redirect/chain", follow_redirects=True)
    assert [r.status_code for r in response.history] == [302, 302]
    assert response.get_json()["cookies"] == [["session_id", "token-1"]]
    with client:  # keeps the request context on ASGI too
        client.get("/echo?x=asgi")
        assert erlen.request.args["x"] == "asgi"
    assert not erlen.has_request_context()


def test_asgi_mode_leaves_no_event_loop_behind() -> None:
    import asyncio

    app = RawASGIApp(START, BODY)
    ErlenClient(app, asgi=True).get("/")
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()


@settings(max_examples=60, deadline=None)
@given(
    path=st.text("abz/\u00e9\u2603 .-_~!$&'()*+,;=:@", max_size=20),
    query=st.dictionaries(st.text("abc&=é ", min_size=1, max_size=4), st.text(max_size=5)),
    header=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20),
    root=st.sampled_from(["", "/mount", "/m\u00e9"]),
)
def test_asgi_scope_gives_the_app_the_same_environ(
    path: str, query: dict[str, str], header: str, root: str
) -> None:
    """environ -> scope -> erlen's ASGI environ keeps every key both protocols share."""
    from erlen.asgi import build_environ as asgi_environ

    environ = testing.build_environ(
        "/" + path,
        base_url=f"http://localhost{root}",
        query_string=query,
        headers={"X-Value": header.strip()},
        data=b"abc",
    )
    rebuilt = asgi_environ(testing.asgi_scope(environ), None)  # type: ignore[arg-type]
    for key, value in environ.items():
        if _SHARED_ENVIRON.fullmatch(key) and key != "SERVER_PROTOCOL":
            assert rebuilt.get(key) == value, key
