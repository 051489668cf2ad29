"""Request parsing under hostile input: bounded work, a 4xx answer, never a hang or a 500.

Bounded time is checked without timing asserts: each request runs in a thread
that must finish within a generous join timeout (a hang fails, a slow run does
not flake).
"""

from __future__ import annotations

import io
import threading
from typing import Any

import flask
import pytest

import erlen
from tests.security.wire import serve_both
from tests.support import build_environ

MULTIPART = "multipart/form-data; boundary=B"
JSON = "application/json"


def _app(**config: Any) -> erlen.Flask:
    app = erlen.Flask("dos")
    app.config.update(config)

    @app.route("/cookies")
    def cookies() -> str:
        return str(len(erlen.request.cookies))

    @app.route("/args")
    def args() -> str:
        return str(len(erlen.request.args))

    @app.route("/json", methods=["POST"])
    def json() -> str:
        return type(erlen.request.get_json()).__name__

    @app.route("/form", methods=["POST"])
    def form() -> str:
        return str(len(erlen.request.form))

    @app.route("/data", methods=["POST"])
    def data() -> str:
        return str(len(erlen.request.get_data()))

    return app


APP = _app()


def _within(seconds: float, function: Any) -> Any:
    """Run ``function`` in a thread; fail if it has not finished after ``seconds``."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = function()
        except BaseException as error:  # handed back to the test
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "request did not finish: hang"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.mark.parametrize(
    ("label", "cookie", "count"),
    [
        ("one 100 KB value", "a=" + "b" * 100_000, 1),
        ("20k pairs", "; ".join(f"k{i}=v" for i in range(20_000)), 20_000),
        ("100k semicolons", ";" * 100_000, 0),
        ("50k escaped quotes", 'a="' + '\\"' * 50_000 + '"', 1),
        ("unterminated quote", 'a="' + "x" * 100_000, 0),
        ("100k equals", "=" * 100_000, 0),
    ],
)
def test_dos_huge_cookie_header_parses_in_bounded_time(label: str, cookie: str, count: int) -> None:
    results = _within(20, lambda: serve_both(APP, "/cookies", headers={"Cookie": cookie}))
    for result in results.values():
        assert result.status_code == 200
        assert result.body == str(count).encode()


@pytest.mark.parametrize(
    ("query", "count"),
    [("&" * 100_000, 0), ("a=1&" * 50_000, 1), ("%" * 100_000, 1), ("=" * 100_000, 1),
     ("%zz" * 30_000, 1), ("+" * 100_000, 1)],
)  # fmt: skip
def test_dos_pathological_query_strings(query: str, count: int) -> None:
    results = _within(20, lambda: serve_both(APP, "/args", query_string=query))
    for result in results.values():
        assert result.status_code == 200
        assert result.body == str(count).encode()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("[" * 100_000, id="100k-open-brackets"),
        pytest.param('{"a":' * 100_000, id="100k-open-objects"),
        pytest.param("[" * 5_000 + "]" * 5_000, id="5k-deep-valid"),
    ],
)
def test_dos_deeply_nested_json_is_400_not_500(body: str, caplog: Any) -> None:
    results = _within(20, lambda: serve_both(APP, "/json", "POST", data=body, content_type=JSON))
    for result in results.values():
        assert result.status_code == 400


def test_dos_deeply_nested_json_flask_gives_500(caplog: Any) -> None:
    """Deliberate difference: Flask lets RecursionError escape; erlen answers 400."""
    app = flask.Flask("dos")
    app.add_url_rule("/json", "j", lambda: str(flask.request.get_json()), methods=["POST"])
    response = app.test_client().post("/json", data="[" * 100_000, content_type="application/json")
    assert response.status_code == 500


def test_dos_moderately_nested_json_still_parses() -> None:
    body = "[" * 200 + "]" * 200
    for result in serve_both(APP, "/json", "POST", data=body, content_type=JSON).values():
        assert (result.status_code, result.body) == (200, b"list")


def _multipart(parts: int) -> str:
    fields = "".join(
        f'--B\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nv\r\n' for i in range(parts)
    )
    return fields + "--B--\r\n"


def test_dos_multipart_with_10k_parts_is_413() -> None:
    body = _multipart(10_000)
    results = _within(
        20, lambda: serve_both(APP, "/form", "POST", data=body, content_type=MULTIPART)
    )
    for result in results.values():
        assert result.status_code == 413


def test_dos_multipart_parts_limit_is_configurable() -> None:
    app = _app(MAX_FORM_PARTS=5)
    for parts, status in ((5, 200), (6, 413)):
        for result in serve_both(
            app, "/form", "POST", data=_multipart(parts), content_type=MULTIPART
        ).values():
            assert result.status_code == status


def test_dos_multipart_huge_text_field_is_413() -> None:
    body = (
        '--B\r\nContent-Disposition: form-data; name="f"\r\n\r\n' + "x" * 600_000 + "\r\n--B--\r\n"
    )
    for result in serve_both(APP, "/form", "POST", data=body, content_type=MULTIPART).values():
        assert result.status_code == 413


@pytest.mark.parametrize("boundary", ["", "B" * 5000, "\u00e9"])
def test_dos_multipart_bad_boundary_is_400(boundary: str) -> None:
    app = APP
    environ = build_environ("/form", "POST", data=b"--x--\r\n")
    environ["CONTENT_TYPE"] = f"multipart/form-data; boundary={boundary}".encode().decode("latin-1")
    status = _call(app, environ)[0]
    assert status[:3] in ("400", "413")


class _Endless(io.RawIOBase):
    """A ``wsgi.input`` that never runs out (a client streaming forever)."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        buffer[: len(buffer)] = b"a" * len(buffer)
        return len(buffer)


def _call(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    captured: dict[str, str] = {}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        captured["status"] = status

    def run() -> bytes:
        iterable = app(environ, start_response)
        try:
            return b"".join(iterable)
        finally:
            getattr(iterable, "close", lambda: None)()

    body = _within(20, run)
    return captured["status"], body


def _post(path: str = "/data", /, **environ_overrides: object) -> dict[str, Any]:
    environ = build_environ(path, "POST")
    environ.pop("CONTENT_LENGTH", None)
    for key, value in environ_overrides.items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    return environ


def test_dos_huge_content_length_without_body_does_not_hang() -> None:
    app = _app()
    status, _ = _call(app, _post(CONTENT_LENGTH="99999999", **{"wsgi.input": io.BytesIO(b"")}))
    assert status.startswith("400")
    limited = _app(MAX_CONTENT_LENGTH=1000)
    status, _ = _call(limited, _post(CONTENT_LENGTH="99999999", **{"wsgi.input": _Endless()}))
    assert status.startswith("413")


def test_dos_no_length_and_no_terminator_reads_nothing() -> None:
    """Without Content-Length or a terminated stream, reading could block: erlen reads nothing."""
    status, body = _call(_app(), _post(**{"wsgi.input": _Endless()}))
    assert (status[:3], body) == ("200", b"0")


@pytest.mark.parametrize("path", ["/data", "/form"])
def test_dos_max_content_length_enforced_when_the_stream_is_longer(path: str) -> None:
    """A terminated (chunked) body longer than MAX_CONTENT_LENGTH is a 413, even endless.

    Flask silently truncates such a body at the limit; erlen refuses it.
    """
    app = _app(MAX_CONTENT_LENGTH=1000)
    for stream in (io.BytesIO(b"a=1&" * 2000), _Endless()):
        environ = _post(
            path,
            CONTENT_TYPE="application/x-www-form-urlencoded",
            HTTP_TRANSFER_ENCODING="chunked",
            **{"wsgi.input": stream, "wsgi.input_terminated": True},
        )
        status, _ = _call(app, environ)
        assert status.startswith("413")


def test_dos_lying_short_content_length_reads_only_what_was_declared() -> None:
    app = _app(MAX_CONTENT_LENGTH=1000)
    status, body = _call(app, _post(CONTENT_LENGTH="10", **{"wsgi.input": _Endless()}))
    assert (status[:3], body) == ("200", b"10")


@pytest.mark.parametrize(
    ("value", "werkzeug_value"),
    [("5", 5), (" 5 ", 5), ("+5", 0), ("-5", 0), ("0x5", 0), ("5, 5", 0), ("5_0", 0),
     ("\u0665", 0), ("", 0), ("99999999999999999999", 99999999999999999999)],
)  # fmt: skip
def test_request_smuggling_content_length_parsing_matches_werkzeug(
    value: str, werkzeug_value: int
) -> None:
    """Odd Content-Length values never read more than a strict parser would."""
    from werkzeug.wrappers import Request as WerkzeugRequest

    environ = build_environ("/", "POST", data=b"hello")
    environ["CONTENT_LENGTH"] = value
    theirs = WerkzeugRequest(environ).content_length
    ours = erlen.Request(environ).content_length
    assert theirs == werkzeug_value
    assert ours == theirs or (ours == 0 and theirs is not None and theirs <= 0)


def test_request_smuggling_transfer_encoding_wins_over_content_length() -> None:
    """RFC 9112: with both, Transfer-Encoding decides (the length is ignored)."""
    environ = build_environ("/", "POST", data=b"hello")
    environ["HTTP_TRANSFER_ENCODING"] = "gzip, chunked"
    environ["CONTENT_LENGTH"] = "2"
    environ["wsgi.input_terminated"] = True
    request = erlen.Request(environ)
    assert request.content_length is None
    assert request.get_data() == b"hello"
