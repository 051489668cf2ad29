"""Flask's signals: sent by erlen with the same sender, arguments and order as Flask.

Each test records every signal (name, whether the sender is the app, the
keyword arguments described) for the same app built on erlen and on Flask, and
compares the two sequences.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import flask
import flask.signals
import pytest

import erlen
import erlen.signals
from erlen import _signal_gate
from tests.support import make_twin_apps
from tests.templates_app.app_source import SOURCE

SIGNAL_NAMES = (
    "template_rendered",
    "before_render_template",
    "request_started",
    "request_finished",
    "request_tearing_down",
    "got_request_exception",
    "appcontext_tearing_down",
    "appcontext_pushed",
    "appcontext_popped",
    "message_flashed",
)


@pytest.fixture(autouse=True)
def _gate_restored() -> Iterator[None]:
    # Connecting a receiver turns the pipeline's sends on for the process;
    # other test modules must see the app as it is without receivers.
    saved = _signal_gate.active
    yield
    _signal_gate.active = saved


def _describe(value: Any) -> Any:
    if isinstance(value, BaseException):
        return type(value).__name__
    if hasattr(value, "status_code"):
        return ("response", value.status_code, value.headers.get("X-After"))
    if hasattr(value, "name") and hasattr(value, "render"):
        return ("template", value.name)
    if isinstance(value, dict):
        return ("context", sorted(value))
    return value


class Recorder:
    """Connects to every signal of a module and records what it receives."""

    def __init__(self, module: Any, app: Any) -> None:
        self.app = app
        self.module = module
        self.events: list[tuple[Any, ...]] = []
        self._stack = ExitStack()

    def __enter__(self) -> Recorder:
        for name in SIGNAL_NAMES:
            signal = getattr(self.module, name)
            # Only this app's signals: a stream of an earlier test closed by
            # the garbage collector meanwhile sends for its own app.
            self._stack.enter_context(signal.connected_to(self._receiver(name), self.app))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _receiver(self, name: str) -> Callable[..., None]:
        def receive(sender: Any, **kwargs: Any) -> None:
            described = tuple(sorted((key, _describe(value)) for key, value in kwargs.items()))
            self.events.append((name, sender is self.app, described))

        return receive


def record_both(
    source: str, run: Callable[[Any], Any]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    ours, theirs = make_twin_apps(source)
    with Recorder(erlen.signals, ours) as ours_recorded:
        run(ours)
    with Recorder(flask.signals, theirs) as theirs_recorded:
        run(theirs)
    return ours_recorded.events, theirs_recorded.events


def test_signal_objects_are_named_like_flask_s() -> None:
    for name in SIGNAL_NAMES:
        ours, theirs = getattr(erlen.signals, name), getattr(flask.signals, name)
        assert ours.name == theirs.name
        assert getattr(erlen, name) is ours
    assert erlen.signals.Namespace is flask.signals.Namespace
    assert erlen.signals.Namespace().signal("x").name == "x"


@pytest.mark.parametrize("path", ["/page", "/string", "/stream", "/macro"])
def test_template_signals_match_flask(
    protocol: str, make_client: Callable[..., Any], path: str
) -> None:
    def run(app: Any) -> None:
        client = make_client(app) if isinstance(app, erlen.Flask) else app.test_client()
        assert client.get(path).status_code == 200

    ours, theirs = record_both(SOURCE, run)
    template_events = [event for event in theirs if "template" in event[0]]
    assert [event for event in ours if "template" in event[0]] == template_events
    if path != "/macro":
        assert template_events, "the page renders a template"


HOOKED_APP = """
from erlen import Flask, abort, g

app = Flask(__name__)
app.config["PROPAGATE_EXCEPTIONS"] = False


@app.before_request
def before():
    g.seen = True


@app.after_request
def after(response):
    response.headers["X-After"] = "1"
    return response


@app.teardown_request
def teardown(error):
    pass


@app.errorhandler(KeyError)
def key_error(error):
    return "handled", 409


@app.get("/ok")
def ok():
    return "fine"


@app.get("/boom")
def boom():
    raise ValueError("boom")


@app.get("/handled")
def handled():
    raise KeyError("k")


@app.get("/abort")
def aborted():
    abort(403)
"""


@pytest.mark.parametrize("path", ["/ok", "/boom", "/handled", "/abort", "/missing"])
def test_request_signals_match_flask(
    protocol: str, make_client: Callable[..., Any], path: str
) -> None:

    def run(app: Any) -> None:
        client = make_client(app) if isinstance(app, erlen.Flask) else app.test_client()
        client.get(path)

    ours, theirs = record_both(HOOKED_APP, run)
    assert ours == theirs
    assert theirs[0][0] == "appcontext_pushed" and theirs[-1][0] == "appcontext_popped"


def test_app_context_signals_match_flask() -> None:
    def run(app: Any) -> None:
        with app.app_context():
            pass

    ours, theirs = record_both(HOOKED_APP, run)
    assert ours == theirs
    assert theirs == [
        ("appcontext_pushed", True, ()),
        ("appcontext_tearing_down", True, (("exc", None),)),
        ("appcontext_popped", True, ()),
    ]


def test_async_receiver_runs_through_ensure_sync() -> None:
    app = erlen.Flask(__name__)
    seen: list[str] = []

    async def receiver(sender: Any, template: Any, context: Any) -> None:
        seen.append(template.name or "<string>")

    with erlen.signals.template_rendered.connected_to(receiver, app), app.app_context():
        erlen.render_template_string("x")
    assert seen == ["<string>"]


def test_receiver_for_another_sender_is_not_called() -> None:
    app, other = erlen.Flask("one"), erlen.Flask("two")
    seen: list[Any] = []
    with erlen.signals.request_started.connected_to(seen.append, other):
        app.test_client().get("/")
    assert seen == []


def test_no_receivers_means_no_blinker_and_no_gate() -> None:
    code = (
        "import sys, erlen\n"
        "from erlen import _signal_gate\n"
        "app = erlen.Flask('x')\n"
        "app.get('/')(lambda: erlen.render_template_string('hi'))\n"
        "assert app.test_client().get('/').data == b'hi'\n"
        "assert 'blinker' not in sys.modules and _signal_gate.active is None\n"
        "import erlen.signals\n"
        "assert _signal_gate.active is None\n"
        "erlen.signals.request_started.connect(lambda sender: None)\n"
        "assert _signal_gate.active is erlen.signals\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_receiver_connected_after_requests_were_served_is_sent_to(
    make_client: Callable[..., Any],
) -> None:
    # The dispatch plan made without receivers is forgotten when one connects.
    app = erlen.Flask(__name__)
    app.get("/")(lambda: "x")
    client = make_client(app)
    assert client.get("/").data == b"x"
    seen: list[Any] = []
    with erlen.signals.request_started.connected_to(seen.append, app):
        assert client.get("/").data == b"x"
    assert seen == [app]


def test_message_flashed_matches_flask(make_client: Callable[..., Any]) -> None:
    from tests.test_templating import FLASH_APP

    def run(app: Any) -> None:
        client = make_client(app) if isinstance(app, erlen.Flask) else app.test_client()
        client.post("/save")

    ours, theirs = record_both(FLASH_APP, run)
    assert ours == theirs
    assert ("message_flashed", True, (("category", "info"), ("message", "Saved <ok>"))) in ours
