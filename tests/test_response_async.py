"""Async response bodies: streamed on WSGI and ASGI, refused by the sync body API."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import flask
import pytest
from werkzeug.test import create_environ

from erlen.app import Erlen
from erlen.asgi import disconnect as asgi_disconnect, send_response
from erlen.errors import ArgumentTypeError, ErlenError
from erlen.response import AsyncBodyError, Response, is_async_body
from erlen.wsgi import AsyncResponseBody, thread_event_loop
from tests.support import call_asgi, call_wsgi


class Source:
    """An async generator body recording what it produced and whether cleanup ran."""

    def __init__(self, items: list[Any], fail_at: int | None = None) -> None:
        self.items = items
        self.fail_at = fail_at
        self.log: list[str] = []
        self.callbacks = 0

    async def generate(self) -> AsyncIterator[Any]:
        try:
            for index, item in enumerate(self.items):
                if index == self.fail_at:
                    raise RuntimeError("body failed")
                await asyncio.sleep(0)
                self.log.append(f"produced {index}")
                yield item
        finally:
            self.log.append("finally")

    def callback(self) -> None:
        self.callbacks += 1

    def response(self, **kwargs: Any) -> Response:
        response = Response(self.generate(), **kwargs)
        response.call_on_close(self.callback)
        return response


class CountingIterable:
    """An async iterator (not a generator) that counts its aclose calls."""

    def __init__(self, items: list[Any]) -> None:
        self.items = list(items)
        self.aclosed = 0

    def __aiter__(self) -> CountingIterable:
        return self

    async def __anext__(self) -> Any:
        if not self.items:
            raise StopAsyncIteration
        return self.items.pop(0)

    async def aclose(self) -> None:
        self.aclosed += 1


def serve(response: Response, method: str = "GET") -> tuple[list[Any], Any]:
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append((status, headers))

    return started, response(create_environ("/", method=method), start_response)


# -- the object ------------------------------------------------------------------------


def test_async_body_is_streamed_not_sequence() -> None:
    response = Source([b"a"]).response()
    assert is_async_body(response.response)
    assert response.is_streamed
    assert not response.is_sequence
    assert repr(response) == "<Response streamed [200 OK]>"
    assert "Content-Length" not in response.headers


def test_is_async_body_only_for_async_iterables() -> None:
    assert not is_async_body([b"a"])
    assert not is_async_body(iter([b"a"]))
    assert not is_async_body(b"a")
    assert is_async_body(CountingIterable([]))


SYNC_ACCESSORS = {
    "data": lambda r: r.data,
    "get_data": lambda r: r.get_data(),
    "get_data_text": lambda r: r.get_data(as_text=True),
    "get_json": lambda r: r.get_json(force=True),
    "json": lambda r: r.json,
    "iter_encoded": lambda r: r.iter_encoded(),
    "make_sequence": lambda r: r.make_sequence(),
    "freeze": lambda r: r.freeze(),
    "calculate_content_length": lambda r: r.calculate_content_length(),
    "add_etag": lambda r: r.add_etag(),
    "stream_write": lambda r: r.stream.write(b"x"),
    "stream_tell": lambda r: r.stream.tell(),
}


@pytest.mark.parametrize("passthrough", [False, True])
@pytest.mark.parametrize("accessor", sorted(SYNC_ACCESSORS))
def test_sync_accessors_refuse_async_body(accessor: str, passthrough: bool) -> None:
    source = Source([b"a"])
    response = source.response(mimetype="application/json", direct_passthrough=passthrough)
    body = response.response
    with pytest.raises(AsyncBodyError) as caught:
        SYNC_ACCESSORS[accessor](response)
    message = str(caught.value)
    assert "async" in message and "aget_data" in message
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, ErlenError)
    # Nothing was consumed or replaced: the response can still be sent.
    assert response.response is body and source.log == []


def test_accessor_names_itself_in_the_message() -> None:
    response = Source([b"a"]).response()
    with pytest.raises(AsyncBodyError, match=r"calculate_content_length\(\)"):
        response.calculate_content_length()
    with pytest.raises(AsyncBodyError, match=r"get_data\(\)"):
        response.get_data()


def test_set_data_replaces_an_async_body() -> None:
    response = Source([b"a"]).response()
    response.set_data("new")
    assert response.get_data() == b"new"


def test_constructor_refuses_non_iterables() -> None:
    with pytest.raises(ArgumentTypeError, match="async iterable"):
        Response(42)  # type: ignore[arg-type]


# -- aget_data -------------------------------------------------------------------------


def test_aget_data_buffers_async_body() -> None:
    source = Source([b"ab", "c\u00e9", bytearray(b"d")])
    response = source.response()
    assert asyncio.run(response.aget_data()) == "abcéd".encode()
    assert source.log[-1] == "finally"
    # The buffered body replaces the async one: sync access and sending work.
    assert response.is_sequence and response.get_data() == "abcéd".encode()
    assert asyncio.run(response.aget_data(as_text=True)) == "abcéd"
    result = call_wsgi(response)
    assert result.body == "abcéd".encode()
    assert result.header("Content-Length") == str(len("abcéd".encode()))


@pytest.mark.parametrize("body", ["text", b"bytes", [b"a", "b"], None])
def test_aget_data_on_sync_body_matches_get_data(body: Any) -> None:
    response = Response(body)
    assert asyncio.run(response.aget_data()) == response.get_data()
    assert asyncio.run(response.aget_data(True)) == response.get_data(True)


def test_aget_data_awaits_aclose_of_async_iterable() -> None:
    iterable = CountingIterable([b"a", b"b"])
    response = Response(iterable)
    assert asyncio.run(response.aget_data()) == b"ab"
    assert iterable.aclosed == 1


def test_aget_data_bad_item_closes_source() -> None:
    source = Source([b"a", 5, b"c"])
    response = source.response()
    with pytest.raises(ArgumentTypeError, match="5"):
        asyncio.run(response.aget_data())
    assert source.log == ["produced 0", "produced 1", "finally"]


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"direct_passthrough": True}, "direct passthrough"),
        ({"implicit": False}, "implicit conversion"),
    ],
)
def test_aget_data_respects_buffering_rules(options: dict[str, Any], match: str) -> None:
    source = Source([b"a"])
    response = source.response(direct_passthrough=options.get("direct_passthrough", False))
    if "implicit" in options:
        response.implicit_sequence_conversion = False
    with pytest.raises(RuntimeError, match=match):
        asyncio.run(response.aget_data())
    assert source.log == []


def test_response_aclose_runs_body_cleanup_then_callbacks() -> None:
    source = Source([b"a", b"b"])
    response = source.response()
    order: list[str] = []
    response.call_on_close(lambda: order.append(f"callback after {source.log[-1]}"))

    async def read_one_then_close() -> None:
        await response.response.__anext__()  # type: ignore[union-attr]
        await response.aclose()

    asyncio.run(read_one_then_close())
    assert source.log == ["produced 0", "finally"]
    assert order == ["callback after finally"] and source.callbacks == 1


# -- WSGI ------------------------------------------------------------------------------


def test_wsgi_chunks_arrive_one_by_one() -> None:
    source = Source([b"a", "b", b"c"])
    started, app_iter = serve(source.response())
    assert isinstance(app_iter, AsyncResponseBody)
    assert started and source.log == []  # headers first, nothing produced yet
    assert next(app_iter) == b"a"
    assert source.log == ["produced 0"]
    assert next(app_iter) == b"b"
    assert source.log == ["produced 0", "produced 1"]
    assert next(app_iter) == b"c"
    with pytest.raises(StopIteration):
        next(app_iter)
    assert source.log[-1] == "finally" and source.callbacks == 0
    app_iter.close()
    app_iter.close()
    assert source.callbacks == 1


def test_wsgi_close_early_runs_aclose_and_callbacks_once() -> None:
    source = Source([b"a", b"b", b"c"])
    _, app_iter = serve(source.response())
    assert next(app_iter) == b"a"
    app_iter.close()
    assert source.log == ["produced 0", "finally"]
    assert source.callbacks == 1
    app_iter.close()
    assert source.callbacks == 1
    with pytest.raises(StopIteration):
        next(app_iter)


def test_wsgi_close_before_first_chunk_awaits_aclose() -> None:
    iterable = CountingIterable([b"a"])
    response = Response(iterable)
    calls: list[int] = []
    response.call_on_close(lambda: calls.append(iterable.aclosed))
    _, app_iter = serve(response)
    app_iter.close()
    assert iterable.aclosed == 1 and calls == [1]  # aclose awaited before callbacks


def test_wsgi_body_raising_midway_closes_once() -> None:
    source = Source([b"a", b"b", b"c"], fail_at=1)
    _, app_iter = serve(source.response())
    assert next(app_iter) == b"a"
    with pytest.raises(RuntimeError, match="body failed"):
        next(app_iter)
    assert source.log == ["produced 0", "finally"]
    assert source.callbacks == 1
    app_iter.close()  # the server still calls close: a no-op now
    assert source.callbacks == 1


def test_wsgi_bad_item_type_closes_once() -> None:
    source = Source([b"a", 3.5, b"c"])
    _, app_iter = serve(source.response())
    assert next(app_iter) == b"a"
    with pytest.raises(ArgumentTypeError, match=r"3\.5"):
        next(app_iter)
    assert source.log == ["produced 0", "produced 1", "finally"]
    app_iter.close()
    assert source.callbacks == 1


def test_wsgi_callback_error_raised_after_aclose() -> None:
    iterable = CountingIterable([b"a"])
    response = Response(iterable)

    def failing() -> None:
        raise ValueError("callback failed")

    response.call_on_close(failing)
    _, app_iter = serve(response)
    with pytest.raises(ValueError, match="callback failed"):
        app_iter.close()
    assert iterable.aclosed == 1


@pytest.mark.parametrize(
    ("method", "status"), [("HEAD", 200), ("GET", 204), ("GET", 304), ("GET", 101)]
)
def test_wsgi_no_body_still_closes_async_body(method: str, status: int) -> None:
    iterable = CountingIterable([b"never"])
    response = Response(iterable, status=status)
    closed: list[bool] = []
    response.call_on_close(lambda: closed.append(True))
    _, app_iter = serve(response, method)
    assert list(app_iter) == []
    assert iterable.items == [b"never"]  # not iterated
    app_iter.close()
    assert iterable.aclosed == 1 and closed == [True]


def test_wsgi_direct_passthrough_async_body_is_still_driven() -> None:
    source = Source([b"a", b"b"])
    result = call_wsgi(source.response(direct_passthrough=True))
    assert result.chunks == [b"a", b"b"]
    assert source.callbacks == 1


def test_wsgi_from_another_thread_uses_that_threads_loop() -> None:
    source = Source([b"a", b"b"])
    response = source.response()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(call_wsgi, response).result()
        loop_in_thread = pool.submit(thread_event_loop).result()
        assert pool.submit(thread_event_loop).result() is loop_in_thread
    assert result.body == b"ab" and source.callbacks == 1
    assert loop_in_thread is not thread_event_loop()


def test_wsgi_inside_running_loop_fails_clearly_instead_of_hanging() -> None:
    source = Source([b"a"])
    _, app_iter = serve(source.response())

    async def consume() -> None:
        next(app_iter)

    with pytest.raises(AsyncBodyError, match="ASGI"):
        asyncio.run(consume())
    assert source.callbacks == 1  # the failed read closed the response


def sync_generator(items: list[Any]) -> Any:
    yield from items


async def async_generator(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


WIRE_CASES = [
    ([b"a", b"b"], {}, "GET"),
    (["h\u00e9", "llo"], {"mimetype": "text/plain"}, "GET"),
    ([b"x"], {"status": 201, "headers": {"X-A": "1"}}, "GET"),
    ([b"x"], {"status": 204}, "GET"),
    ([b"x"], {"status": 304, "headers": {"ETag": '"e"'}}, "GET"),
    ([b"x", b"y"], {}, "HEAD"),
    ([b"x"], {"headers": {"Location": "/caf\u00e9"}, "status": 302}, "GET"),
    ([], {"content_type": "application/octet-stream"}, "GET"),
    ([bytearray(b"ba"), b""], {}, "GET"),
]


@pytest.mark.parametrize(("items", "options", "method"), WIRE_CASES)
def test_wsgi_async_body_matches_flask_sync_generator(
    items: list[Any], options: dict[str, Any], method: str
) -> None:
    ours = call_wsgi(Response(async_generator(items), **options), method=method)
    theirs = call_wsgi(flask.Response(sync_generator(items), **options), method=method)
    assert (ours.status, ours.headers, ours.chunks) == (
        theirs.status,
        theirs.headers,
        theirs.chunks,
    )


# -- ASGI ------------------------------------------------------------------------------


class FakeASGI:
    """send/receive for send_response; receive reports a disconnect when told to."""

    def __init__(self, disconnect_after: int | None = None) -> None:
        self.messages: list[MutableMapping[str, Any]] = []
        self.disconnect_after = disconnect_after
        self.disconnected = asyncio.Event()

    async def send(self, message: MutableMapping[str, Any]) -> None:
        self.messages.append(message)
        bodies = [m for m in self.messages if m.get("body")]
        if self.disconnect_after is not None and len(bodies) >= self.disconnect_after:
            self.disconnected.set()

    async def receive(self) -> dict[str, Any]:
        await self.disconnected.wait()
        return {"type": "http.disconnect"}


def test_asgi_send_response_streams_each_chunk() -> None:
    source = Source([b"a", "b", b"c"])
    fake = FakeASGI()
    sent_when: list[list[str]] = []
    original_send = fake.send

    async def send(message: MutableMapping[str, Any]) -> None:
        sent_when.append(list(source.log))
        await original_send(message)

    asyncio.run(send_response(source.response(), create_environ(), send, fake.receive))
    kinds = [m["type"] for m in fake.messages]
    assert kinds == ["http.response.start"] + ["http.response.body"] * 4
    assert [m.get("body") for m in fake.messages[1:]] == [b"a", b"b", b"c", b""]
    assert [m.get("more_body", False) for m in fake.messages[1:]] == [True, True, True, False]
    # Each chunk was sent right after it was produced, not after the whole body.
    assert sent_when[1] == ["produced 0"] and sent_when[2] == ["produced 0", "produced 1"]
    assert source.log[-1] == "finally" and source.callbacks == 1


def test_asgi_disconnect_runs_cleanup_and_callbacks_once() -> None:
    log: list[str] = []
    callbacks: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"tick"
                await asyncio.sleep(0.001)
        finally:
            log.append("finally")

    response = Response(endless())
    response.call_on_close(lambda: callbacks.append(1))
    fake = FakeASGI(disconnect_after=3)
    asyncio.run(
        asyncio.wait_for(send_response(response, create_environ(), fake.send, fake.receive), 5)
    )
    assert log == ["finally"] and callbacks == [1]
    # The watcher starts after one to two WATCH_AFTER periods, then stops the
    # body at once; a tick is at least 1 ms, so the count bounds the delay.
    bound = 2 * asgi_disconnect.WATCH_AFTER / 0.001 + 50
    assert 3 <= len([m for m in fake.messages if m.get("body")]) < bound


def test_asgi_short_streams_start_no_watcher(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    original = asgi_disconnect._wait_for_disconnect

    def counting(receive: Any) -> Any:
        started.append(receive)
        return original(receive)

    monkeypatch.setattr(asgi_disconnect, "_wait_for_disconnect", counting)

    async def three() -> AsyncIterator[bytes]:
        for chunk in (b"a", b"b", b"c"):
            yield chunk

    async def serve_twice() -> None:
        for _ in range(2):
            fake = FakeASGI()
            await send_response(Response(three()), create_environ(), fake.send, fake.receive)
            assert b"".join(m.get("body", b"") for m in fake.messages) == b"abc"
        # The per-loop registry forgets the loop once its timer finds no stream.
        await asyncio.sleep(2.5 * asgi_disconnect.WATCH_AFTER)
        assert id(asyncio.get_running_loop()) not in asgi_disconnect._long_streams

    asyncio.run(serve_twice())
    assert started == []


def test_asgi_head_sends_no_body() -> None:
    source = Source([b"a"])
    fake = FakeASGI()
    environ = create_environ("/", method="HEAD")
    asyncio.run(send_response(source.response(), environ, fake.send, fake.receive))
    assert [m.get("body", None) for m in fake.messages] == [None, b""]
    assert source.callbacks == 1


def make_app() -> Erlen:
    app = Erlen(__name__)

    async def numbers() -> AsyncIterator[str]:
        for number in range(3):
            await asyncio.sleep(0)
            yield f"{number};"

    @app.get("/async-view-response")
    async def async_view_response() -> Any:
        return Response(numbers(), mimetype="text/plain")

    @app.get("/async-view-generator")
    async def async_view_generator() -> Any:
        return numbers()

    @app.get("/sync-view-tuple")
    def sync_view_tuple() -> Any:
        return numbers(), 201, {"X-Stream": "yes"}

    @app.get("/json-lines")
    async def json_lines() -> Any:
        async def rows() -> AsyncIterator[str]:
            for row in ({"a": 1}, {"b": [2]}):
                yield json.dumps(row) + "\n"

        return Response(rows(), mimetype="application/x-ndjson")

    return app


APP_CASES = [
    ("/async-view-response", "200 OK", b"0;1;2;", "text/plain; charset=utf-8"),
    ("/async-view-generator", "200 OK", b"0;1;2;", "text/html; charset=utf-8"),
    ("/sync-view-tuple", "201 CREATED", b"0;1;2;", "text/html; charset=utf-8"),
    ("/json-lines", "200 OK", b'{"a": 1}\n{"b": [2]}\n', "application/x-ndjson"),
]


@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
@pytest.mark.parametrize(("path", "status", "body", "content_type"), APP_CASES)
def test_app_streams_async_bodies(
    protocol: str, path: str, status: str, body: bytes, content_type: str
) -> None:
    app = make_app()
    result = (call_wsgi if protocol == "wsgi" else call_asgi)(app, path)
    assert result.status == status
    assert result.body == body
    assert result.header("Content-Type") == content_type
    assert result.header("Content-Length") is None
    assert len([chunk for chunk in result.chunks if chunk]) >= 2  # streamed, not joined
    if path == "/sync-view-tuple":
        assert result.header("X-Stream") == "yes"
