"""Message flashing against Flask, on WSGI and ASGI: same bodies, same cookies."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import pytest

import erlen
from tests.support import make_twin_apps

APP = """
from erlen import Flask, flash, get_flashed_messages

app = Flask(__name__)
app.secret_key = "flash key"

@app.route("/flash/<category>/<message>")
def add(category, message):
    if category == "default":
        flash(message)
    else:
        flash(message, category)
    return "flashed"

@app.route("/show")
def show():
    return repr(get_flashed_messages())

@app.route("/show-categories")
def show_categories():
    return repr(get_flashed_messages(with_categories=True))

@app.route("/show-errors")
def show_errors():
    return repr(get_flashed_messages(category_filter=["error"]))

@app.route("/show-twice")
def show_twice():
    first = get_flashed_messages(with_categories=True)
    second = get_flashed_messages(category_filter=("info",))
    return repr((first, second))

@app.route("/flash-and-show")
def flash_and_show():
    flash("now")
    return repr(get_flashed_messages())

@app.route("/markup")
def markup():
    from markupsafe import Markup
    flash(Markup("<b>bold</b>"), "info")
    return "ok"
"""


@pytest.fixture
def converse(protocol: str, make_client: Callable[..., Any]) -> Callable[..., list[bytes]]:
    def run(paths: list[str], source: str = APP) -> list[bytes]:
        ours_app, theirs_app = make_twin_apps(source)
        ours, theirs = make_client(ours_app), theirs_app.test_client()
        bodies = []
        for path in paths:
            got, expected = ours.get(path), theirs.get(path)
            assert (got.status_code, got.get_data()) == (expected.status_code, expected.get_data())
            assert got.headers.get("Vary") == expected.headers.get("Vary"), path
            assert bool(got.headers.get("Set-Cookie")) == bool(expected.headers.get("Set-Cookie"))
            bodies.append(got.get_data())
        return bodies

    return run


def test_flashed_message_shows_once(converse: Any) -> None:
    bodies = converse(["/flash/default/hello", "/show", "/show"])
    assert bodies[1:] == [b"['hello']", b"[]"]


def test_categories_and_order(converse: Any) -> None:
    bodies = converse(
        ["/flash/error/bad", "/flash/info/fyi", "/flash/default/plain", "/show-categories"]
    )
    assert bodies[-1] == b"[('error', 'bad'), ('info', 'fyi'), ('message', 'plain')]"


def test_category_filter(converse: Any) -> None:
    bodies = converse(["/flash/error/bad", "/flash/info/fyi", "/show-errors", "/show"])
    assert bodies[2:] == [b"['bad']", b"[]"]


def test_second_read_in_a_request_sees_the_same_messages(converse: Any) -> None:
    bodies = converse(["/flash/error/bad", "/flash/info/fyi", "/show-twice", "/show"])
    assert bodies[2] == b"([('error', 'bad'), ('info', 'fyi')], ['fyi'])"
    assert bodies[3] == b"[]"


def test_flash_and_read_in_one_request(converse: Any) -> None:
    converse(["/flash-and-show", "/show"])


def test_markup_message_keeps_its_type(converse: Any) -> None:
    bodies = converse(["/markup", "/show-categories"])
    assert bodies[1] == b"[('info', Markup('<b>bold</b>'))]"


def test_nothing_flashed(converse: Any) -> None:
    converse(["/show", "/show-categories"])


def test_flash_without_secret_key_fails_like_flask(
    protocol: str, make_client: Callable[..., Any]
) -> None:
    source = APP.replace('app.secret_key = "flash key"', "")
    ours_app, theirs_app = make_twin_apps(source)
    assert make_client(ours_app).get("/flash/info/x").status_code == 500
    assert theirs_app.test_client().get("/flash/info/x").status_code == 500
    assert make_client(ours_app).get("/show").get_data() == b"[]"


def test_flash_outside_a_request_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="request"):
        erlen.flash("x")


def test_message_flashed_is_sent_once_a_signals_module_exists(
    monkeypatch: pytest.MonkeyPatch, make_client: Callable[..., Any]
) -> None:
    sent: list[tuple[Any, dict[str, Any]]] = []

    class Signal:
        def send(self, sender: Any, **kwargs: Any) -> None:
            kwargs.pop("_async_wrapper")
            sent.append((sender, kwargs))

    app = make_twin_apps(APP)[0]
    client = make_client(app)
    client.get("/flash/info/quiet")
    assert sent == []
    monkeypatch.setitem(
        sys.modules, "erlen.signals", types.SimpleNamespace(message_flashed=Signal())
    )
    client.get("/flash/info/heard")
    assert sent == [(app, {"message": "heard", "category": "info"})]
