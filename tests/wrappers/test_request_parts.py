"""A request made from its parts (ASGI) reads exactly as one made from the environ.

``Request.from_parts`` is what the ASGI adapter uses: the PEP 3333 environ is
built only when ``request.environ`` is read. Every property must give what
``Request(environ)`` gives for the environ the same scope produces.
"""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from erlen import Flask, request, send_file
from erlen.asgi import scope as asgi_scope
from erlen.wrappers import Request, _with_one_slash
from erlen.wrappers.request_parts import RequestParts

# -- building the same request both ways -------------------------------------------


def from_scope_parts(scope: dict[str, Any], body: Any) -> Request:
    """The request the public from_parts makes from what the scope holds."""
    root_path = scope.get("root_path") or ""
    path = scope["path"]
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    return Request.from_parts(
        scope["method"],
        path,
        scheme=scope.get("scheme", "http"),
        server=scope.get("server") or ("localhost", 80),
        root_path=root_path,
        query_string=scope.get("query_string", b""),
        headers=scope.get("headers", ()),
        client=scope.get("client"),
        stream=body,
        server_protocol=f"HTTP/{scope.get('http_version', '1.1')}",
        environ_extra={"asgi.scope": scope},
    )


def adapter_request(scope: dict[str, Any], body: Any) -> Request:
    """The request the ASGI adapter makes (it has the routed method and path already)."""
    parts = asgi_scope._request_parts(scope, body)
    return Request._from_parts(parts, scope["method"].upper(), _with_one_slash(parts.path))


def _outcome(read: Any) -> Any:
    try:
        return ("value", read())
    except Exception as error:  # both ways must fail alike
        return ("error", type(error).__name__)


def observed(req: Request) -> dict[str, Any]:
    """Every property a view might read, as plain values."""
    headers = req.headers
    names = [name for name, _ in headers]
    readers: dict[str, Any] = {
        "method": lambda: req.method,
        "scheme": lambda: req.scheme,
        "is_secure": lambda: req.is_secure,
        "path": lambda: req.path,
        "root_path": lambda: req.root_path,
        "script_root": lambda: req.script_root,
        "query_string": lambda: req.query_string,
        "full_path": lambda: req.full_path,
        "args": lambda: list(req.args.items(multi=True)),
        "server": lambda: req.server,
        "host": lambda: req.host,
        "url": lambda: req.url,
        "base_url": lambda: req.base_url,
        "url_root": lambda: req.url_root,
        "root_url": lambda: req.root_url,
        "host_url": lambda: req.host_url,
        "remote_addr": lambda: req.remote_addr,
        "remote_user": lambda: req.remote_user,
        "access_route": lambda: list(req.access_route),
        "headers": lambda: list(headers),
        "headers_lower": lambda: list(headers.items(lower=True)),
        "headers_len": lambda: len(headers),
        "headers_str": lambda: str(headers),
        "header_gets": lambda: [
            (headers.get(name), headers.getlist(name), name in headers) for name in names
        ],
        "cookies": lambda: list(req.cookies.items(multi=True)),
        "content_type": lambda: req.content_type,
        "content_length": lambda: req.content_length,
        "mimetype": lambda: req.mimetype,
        "mimetype_params": lambda: req.mimetype_params,
        "is_json": lambda: req.is_json,
        "content_encoding": lambda: req.content_encoding,
        "referrer": lambda: req.referrer,
        "origin": lambda: req.origin,
        "user_agent": lambda: req.user_agent.string,
        "accept": lambda: req.accept_mimetypes.to_header(),
        "accept_languages": lambda: req.accept_languages.to_header(),
        "cache_control": lambda: dict(req.cache_control),
        "pragma": lambda: req.pragma.to_header(),
        "if_none_match": lambda: req.if_none_match.to_header(),
        "if_modified_since": lambda: req.if_modified_since,
        "range": lambda: None if req.range is None else req.range.to_header(),
        "date": lambda: req.date,
        "max_forwards": lambda: req.max_forwards,
        "authorization": lambda: None if req.authorization is None else dict(req.authorization),
        "acr_method": lambda: req.access_control_request_method,
        "repr": lambda: repr(req),
    }
    return {name: _outcome(read) for name, read in readers.items()}


# -- random scopes ------------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="?#"), max_size=12)
_HEADER_NAMES = st.one_of(
    st.sampled_from(
        [
            b"host",
            b"cookie",
            b"content-type",
            b"content-length",
            b"transfer-encoding",
            b"x-forwarded-for",
            b"user-agent",
            b"accept",
            b"accept-language",
            b"cache-control",
            b"pragma",
            b"if-none-match",
            b"if-modified-since",
            b"range",
            b"date",
            b"max-forwards",
            b"authorization",
            b"referer",
            b"origin",
            b"content-encoding",
            b"access-control-request-method",
            b"x-custom",
            b"x_custom",
            b"content_type",
        ]
    ),
    st.from_regex(rb"[a-z][a-z0-9_-]{0,10}", fullmatch=True),
)
_HEADER_VALUES = st.one_of(
    st.sampled_from(
        [
            b"localhost",
            b"example.com:8080",
            b"[::1]:443",
            b"a=1; b=2",
            b"text/html; charset=utf-8",
            b"application/json",
            b"12",
            b"-3",
            b"chunked",
            b"1.2.3.4, 5.6.7.8",
            b"no-cache, max-age=10",
            b'"abc", W/"def"',
            b"Wed, 21 Oct 2015 07:28:00 GMT",
            b"bytes=0-4",
            b"Basic dXNlcjpwYXNz",
            b"caf\xc3\xa9",
        ]
    ),
    st.binary(max_size=16).map(lambda raw: bytes(b for b in raw if b >= 0x20 and b != 0x7F)),
)
_ADDRESSES = st.sampled_from(["127.0.0.1", "10.0.0.5", "::1", "example.org", "unix"])


@st.composite
def asgi_scopes(draw: st.DrawFn) -> dict[str, Any]:
    root_path = draw(st.sampled_from(["", "/mount", "/m%C3%A9", "/mé/", "/app/"]))
    below = "/" + draw(_TEXT)
    path = (root_path.rstrip("/") + below) if draw(st.booleans()) else below
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": draw(st.sampled_from(["1.0", "1.1", "2"])),
        "method": draw(st.sampled_from(["GET", "post", "HEAD", "PUT", "OPTIONS"])),
        "scheme": draw(st.sampled_from(["http", "https", "ws", "wss"])),
        "path": path,
        "root_path": root_path,
        "query_string": draw(
            st.one_of(
                st.sampled_from([b"", b"a=1&a=2&b=", b"q=caf%C3%A9", b"x=%FF&y"]),
                st.binary(max_size=20),
            )
        ),
        "headers": draw(st.lists(st.tuples(_HEADER_NAMES, _HEADER_VALUES), max_size=8)),
    }
    server = draw(
        st.one_of(
            st.none(),
            st.tuples(_ADDRESSES, st.one_of(st.none(), st.sampled_from([80, 443, 8000]))),
        )
    )
    if server is not None:
        scope["server"] = server
    client = draw(st.one_of(st.none(), st.tuples(_ADDRESSES, st.integers(0, 65535))))
    if client is not None:
        scope["client"] = client
    return scope


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scope=asgi_scopes())
def test_request_from_parts_reads_as_the_request_from_the_environ(scope: dict[str, Any]) -> None:
    body = io.BytesIO()
    from_environ = Request(asgi_scope.build_environ(scope, body))  # type: ignore[arg-type]
    for made in (from_scope_parts(scope, body), adapter_request(scope, body)):
        assert observed(made) == observed(from_environ)
        assert made._environ is None  # none of that needed an environ
        environ = made.environ
        assert list(environ) == list(from_environ.environ)
        assert {k: v for k, v in environ.items() if k != "erlen.request"} == {
            k: v for k, v in from_environ.environ.items() if k != "erlen.request"
        }
        assert environ["erlen.request"] is made
        # And once built, the environ answers as it does for a WSGI request.
        assert observed(made) == observed(from_environ)


def test_header_pairs_may_be_text_or_an_erlen_headers_object() -> None:
    from erlen.http.headers import Headers

    pairs = [("X-Id", "1"), ("Cookie", "a=1"), ("cookie", "b=2"), ("Accept", "x"), ("accept", "y")]
    for headers in (pairs, Headers(pairs)):
        made = Request.from_parts("GET", "/", headers=headers)
        assert list(made.headers) == [("X-Id", "1"), ("Cookie", "a=1; b=2"), ("Accept", "x,y")]
        assert made.cookies.to_dict() == {"a": "1", "b": "2"}


def test_a_subclass_with_its_own_init_gets_an_environ_from_its_parts() -> None:
    class Tagged(Request):
        def __init__(self, environ: dict[str, Any], *args: Any, **kwargs: Any) -> None:
            super().__init__(environ, *args, **kwargs)
            self.tag = environ["REQUEST_METHOD"] + " " + environ["SERVER_NAME"]

    made = Tagged.from_parts("get", "/x", server=("example.org", 8080))
    assert isinstance(made, Tagged)
    assert made.tag == "GET example.org"
    assert made._environ is not None


def test_the_body_stream_of_parts_is_read_up_to_content_length() -> None:
    made = Request.from_parts(
        "POST",
        "/",
        headers=[(b"content-type", b"application/json"), (b"content-length", b"7")],
        stream=io.BytesIO(b'{"a":1}trailing'),
    )
    assert made.get_json() == {"a": 1}
    assert made._environ is None


# -- writes to a built environ are seen, as under WSGI --------------------------------


def test_a_write_to_the_built_environ_is_seen_by_the_request() -> None:
    made = Request.from_parts(
        "GET", "/", headers=[(b"x-a", b"1")], client=("10.0.0.1", 5000), scheme="http"
    )
    headers = made.headers  # read from the parts first
    assert headers.get("X-A") == "1"
    made.environ["HTTP_X_A"] = "2"
    made.environ["HTTP_X_B"] = "3"
    made.environ["wsgi.url_scheme"] = "https"
    made.environ["REMOTE_ADDR"] = "10.9.9.9"
    made.environ["CONTENT_TYPE"] = "text/plain"
    assert headers is made.headers
    assert (headers["X-A"], headers["X-B"]) == ("2", "3")
    assert (made.scheme, made.remote_addr, made.content_type) == ("https", "10.9.9.9", "text/plain")


# -- no environ for a view that does not ask for one ----------------------------------


def _call(app: Flask, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "query_string": b"q=caf%C3%A9",
        "headers": [(b"host", b"example.com"), *headers],
        "server": ("127.0.0.1", 8000),
        "client": ("10.0.0.1", 5000),
    }
    asyncio.run(app(scope, receive, send))
    return {
        "status": messages[0]["status"],
        "headers": dict(messages[0]["headers"]),
        "body": b"".join(m.get("body", b"") for m in messages[1:]),
    }


@pytest.fixture
def no_environ_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(parts: RequestParts) -> dict[str, Any]:
        raise AssertionError("an environ was built")

    monkeypatch.setattr(RequestParts, "build_environ", refuse)


@pytest.mark.usefixtures("no_environ_build")
def test_an_async_view_reading_args_and_headers_builds_no_environ() -> None:
    app = Flask(__name__)
    seen: list[Request] = []

    @app.get("/")
    async def index() -> dict[str, Any]:
        seen.append(request._get_current_object())  # type: ignore[attr-defined]
        return {
            "q": request.args["q"],
            "agent": request.headers.get("User-Agent"),
            "headers": len(request.headers),
            "cookies": request.cookies.to_dict(),
            "url": request.url,
            "remote_addr": request.remote_addr,
            "json": request.get_json(silent=True),
        }

    result = _call(app, "/", [(b"user-agent", b"t/1"), (b"cookie", b"a=1")])
    assert result["status"] == 200
    assert json.loads(result["body"]) == {
        "q": "café",
        "agent": "t/1",
        "headers": 3,
        "cookies": {"a": "1"},
        "url": "http://example.com/?q=café",
        "remote_addr": "10.0.0.1",
        "json": None,
    }
    assert seen[0]._environ is None


@pytest.mark.usefixtures("no_environ_build")
def test_a_conditional_send_file_under_asgi_builds_no_environ(tmp_path: Any) -> None:
    target = tmp_path / "page.txt"
    target.write_bytes(b"0123456789")
    app = Flask(__name__)

    @app.get("/file")
    async def file() -> Any:
        return send_file(target, etag="v1")

    assert _call(app, "/file", [(b"if-none-match", b'"v1"')])["status"] == 304
    ranged = _call(app, "/file", [(b"range", b"bytes=2-4")])
    assert (ranged["status"], ranged["body"]) == (206, b"234")
