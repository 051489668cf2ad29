"""The WSGI path of Response: closing exactly once, body iterables, header rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import flask
import pytest
from werkzeug.test import create_environ

from erlen.errors import ArgumentTypeError, LocationValueError
from erlen.http.headers import Headers
from erlen.response import Response
from erlen.wsgi import ClosingIterator, request_url, run_wsgi_app


class Tracker:
    """A generator body plus a close callback, counting what ran."""

    def __init__(self, items: list[Any], fail_at: int | None = None) -> None:
        self.items = items
        self.fail_at = fail_at
        self.generator_closed = 0
        self.callbacks = 0

    def body(self) -> Iterator[Any]:
        return _Body(self)

    def callback(self) -> None:
        self.callbacks += 1

    def response(self, **kwargs: Any) -> Response:
        response = Response(self.body(), **kwargs)
        response.call_on_close(self.callback)
        return response


class _Body:
    """An iterator with close(), so a close before the first item is counted too."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.index = 0

    def __iter__(self) -> _Body:
        return self

    def __next__(self) -> Any:
        tracker = self.tracker
        if self.index == tracker.fail_at:
            raise RuntimeError("body failed")
        if self.index >= len(tracker.items):
            raise StopIteration
        self.index += 1
        return tracker.items[self.index - 1]

    def close(self) -> None:
        self.tracker.generator_closed += 1


def start(environ_method: str = "GET") -> tuple[dict[str, Any], list[Any], Any]:
    env = create_environ("/", method=environ_method)
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append((status, headers))

    return env, started, start_response


def test_full_read_then_close_runs_once() -> None:
    tracker = Tracker([b"a", "b"])
    env, _, start_response = start()
    app_iter = tracker.response()(env, start_response)
    assert list(app_iter) == [b"a", b"b"]
    app_iter.close()  # type: ignore[attr-defined]
    assert (tracker.generator_closed, tracker.callbacks) == (1, 1)


def test_server_stops_early_closes_generator_once() -> None:
    tracker = Tracker([b"a", b"b", b"c"])
    env, _, start_response = start()
    app_iter = iter(tracker.response()(env, start_response))
    assert next(app_iter) == b"a"
    app_iter.close()  # type: ignore[attr-defined]
    assert (tracker.generator_closed, tracker.callbacks) == (1, 1)


def test_double_close_runs_once() -> None:
    tracker = Tracker([b"a"])
    env, _, start_response = start()
    app_iter = tracker.response()(env, start_response)
    app_iter.close()  # type: ignore[attr-defined]
    app_iter.close()  # type: ignore[attr-defined]
    assert (tracker.generator_closed, tracker.callbacks) == (1, 1)


def test_body_raising_midway_closes_once_even_if_server_closes_too() -> None:
    tracker = Tracker([b"a", b"b", b"c"], fail_at=1)
    env, _, start_response = start()
    app_iter = tracker.response()(env, start_response)
    iterator = iter(app_iter)
    assert next(iterator) == b"a"
    with pytest.raises(RuntimeError, match="body failed"):
        next(iterator)
    assert (tracker.generator_closed, tracker.callbacks) == (1, 1)
    app_iter.close()  # type: ignore[attr-defined]
    assert (tracker.generator_closed, tracker.callbacks) == (1, 1)


def test_bad_body_item_closes_once() -> None:
    tracker = Tracker([b"a", 42])
    env, _, start_response = start()
    app_iter = tracker.response()(env, start_response)
    with pytest.raises(ArgumentTypeError):
        list(app_iter)
    app_iter.close()  # type: ignore[attr-defined]
    assert (tracker.generator_closed, tracker.callbacks) == (1, 1)


@pytest.mark.parametrize(
    ("method", "status"), [("HEAD", 200), ("GET", 204), ("GET", 304), ("GET", 101)]
)
def test_bodiless_response_still_closes_generator(method: str, status: int) -> None:
    tracker = Tracker([b"never sent"])
    env, _, start_response = start(method)
    app_iter = tracker.response(status=status)(env, start_response)
    assert list(app_iter) == []
    app_iter.close()  # type: ignore[attr-defined]
    assert (tracker.generator_closed, tracker.callbacks) == (1, 1)


def test_failing_callback_does_not_skip_others_and_first_error_raises() -> None:
    calls: list[str] = []
    response = Response([b"x"])

    def bad() -> None:
        calls.append("bad")
        raise OSError("first")

    def worse() -> None:
        calls.append("worse")
        raise KeyError("second")

    response.call_on_close(bad)
    response.call_on_close(worse)
    response.call_on_close(lambda: calls.append("good"))
    env, _, start_response = start()
    app_iter = response(env, start_response)
    list(app_iter)
    with pytest.raises(OSError, match="first"):
        app_iter.close()  # type: ignore[attr-defined]
    assert calls == ["bad", "worse", "good"]
    app_iter.close()  # type: ignore[attr-defined]
    assert calls == ["bad", "worse", "good"]


def test_reused_response_closes_once_per_request() -> None:
    calls: list[int] = []
    response = Response("shared")
    response.call_on_close(lambda: calls.append(1))
    for expected in (1, 2):
        env, _, start_response = start()
        app_iter = response(env, start_response)
        assert b"".join(app_iter) == b"shared"
        app_iter.close()  # type: ignore[attr-defined]
        app_iter.close()  # type: ignore[attr-defined]
        assert len(calls) == expected


def test_direct_passthrough_hands_body_over_untouched() -> None:
    body = iter([b"file", b"data"])
    env, _, start_response = start()
    assert Response(body, direct_passthrough=True)(env, start_response) is body


def test_direct_passthrough_with_callbacks_still_closes() -> None:
    tracker = Tracker([b"a"])
    env, _, start_response = start()
    app_iter = tracker.response(direct_passthrough=True)(env, start_response)
    assert list(app_iter) == [b"a"]
    app_iter.close()  # type: ignore[attr-defined]
    assert (tracker.generator_closed, tracker.callbacks) == (1, 1)


def test_plain_body_fast_path_and_closing_path() -> None:
    env, _, start_response = start()
    assert Response("x")(env, start_response) == [b"x"]
    response = Response("x")
    response.call_on_close(lambda: None)
    assert hasattr(response(env, start_response), "close")


def test_chunks_match_werkzeug_for_streams() -> None:
    def body() -> Iterator[Any]:
        yield "one "
        yield b"two "
        yield ""
        yield "three"

    env, _, start_response = start()
    ours = list(Response(body())(env, start_response))
    theirs = list(flask.Response(body())(env, start_response))
    assert ours == theirs


def test_get_wsgi_headers_and_response_match_flask() -> None:
    env = create_environ("/a/b", method="GET")
    ours = Response(["x", b"yz"], status=201, headers={"Location": "/ü"})
    theirs = flask.Response(["x", b"yz"], status=201, headers={"Location": "/ü"})
    assert isinstance(ours.get_wsgi_headers(env), Headers)
    assert list(ours.get_wsgi_headers(env).items()) == list(theirs.get_wsgi_headers(env).items())
    our_iter, our_status, our_headers = ours.get_wsgi_response(env)
    their_iter, their_status, their_headers = theirs.get_wsgi_response(env)
    assert (our_status, our_headers) == (their_status, their_headers)
    assert b"".join(our_iter) == b"".join(their_iter)
    assert list(ours.get_app_iter(env)) == list(theirs.get_app_iter(env))
    # the response itself is not rewritten at send time
    assert ours.headers["Location"] == "/ü"


def test_closing_iterator_runs_iterable_close_first_and_once() -> None:
    order: list[str] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            return iter([b"a"])

        def close(self) -> None:
            order.append("body")

    closing = ClosingIterator(Body(), [lambda: order.append("one"), lambda: order.append("two")])
    assert list(closing) == [b"a"]
    closing.close()
    closing.close()
    assert order == ["body", "one", "two"]
    single = ClosingIterator([b"x"], lambda: order.append("single"))
    single.close()
    assert order[-1] == "single"


def test_run_wsgi_app_late_start_response_and_close() -> None:
    closed: list[bool] = []

    def app(environ: Any, start_response: Any) -> Any:
        def body() -> Iterator[bytes]:
            try:
                start_response("200 OK", [("X", "1")])
                yield b"a"
                yield b"b"
            finally:
                closed.append(True)

        return body()

    app_iter, status, headers = run_wsgi_app(app, create_environ("/"))
    assert status == "200 OK" and headers["X"] == "1"
    assert list(app_iter) == [b"a", b"b"]
    app_iter.close()  # type: ignore[attr-defined]
    assert closed == [True]


@pytest.mark.parametrize(
    ("base_url", "path", "expected"),
    [
        ("http://localhost/", "/x", "http://localhost/x"),
        ("http://localhost:80/", "/x", "http://localhost/x"),
        ("https://example.com:443/root/", "/a b", "https://example.com/root/a%20b"),
        ("http://[::1]:8080/", "/", "http://[::1]:8080/"),
    ],
)
def test_request_url_matches_werkzeug(base_url: str, path: str, expected: str) -> None:
    from werkzeug.urls import iri_to_uri
    from werkzeug.wsgi import get_current_url

    env = create_environ(path, base_url=base_url)
    assert request_url(env) == expected
    assert request_url(env) == iri_to_uri(get_current_url(env, strip_querystring=True))


def test_request_url_invalid_host_is_empty_like_werkzeug() -> None:
    from werkzeug.wsgi import get_current_url

    env = create_environ("/x")
    env["HTTP_HOST"] = "bad host"
    assert request_url(env) == get_current_url(env, strip_querystring=True) == "http:///x"


# -- response splitting and unsafe Location (security) -----------------------
def test_response_splitting_location_smuggled_into_list_is_refused() -> None:
    response = Response("x")
    response.headers._list.append(("Location", "/a\r\nSet-Cookie: evil=1"))
    env, _, start_response = start()
    with pytest.raises(LocationValueError):
        response(env, start_response)


def test_location_tab_and_host_space_are_percent_encoded() -> None:
    env, started, start_response = start()
    response = Response("", status=302)
    response.location = "/a\tb"
    response(env, start_response)
    response.location = "http://evil.com\\@ok/ x"
    response(env, start_response)
    response.location = "//ex ample.com\\x/"
    response(env, start_response)
    locations = [dict(headers)["Location"] for _, headers in started]
    assert locations == ["/a%09b", "http://evil.com%5C@ok/%20x", "//ex%20ample.com%5Cx/"]


def test_started_generator_gets_generator_exit_on_early_stop() -> None:
    events: list[str] = []

    def body() -> Iterator[bytes]:
        try:
            yield b"a"
            yield b"b"
        except GeneratorExit:
            events.append("exit")
            raise
        finally:
            events.append("finally")

    response = Response(body())
    response.call_on_close(lambda: events.append("callback"))
    env, _, start_response = start()
    app_iter = iter(response(env, start_response))
    next(app_iter)
    app_iter.close()  # type: ignore[attr-defined]
    app_iter.close()  # type: ignore[attr-defined]
    assert events == ["exit", "finally", "callback"]
