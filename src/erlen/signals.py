"""Flask's signals, on blinker: named like ``flask.signals``.

Connect receivers as with Flask (``template_rendered.connect(receiver, app)``);
each signal is sent with the same sender (the app) and keyword arguments, at
the same moment, as Flask sends it. ``Namespace`` is blinker's, for an app's
or extension's own signals.

Cost: the first receiver connected to any of these signals sets
:data:`erlen._signal_gate.active`; until then the request pipeline and the
template functions skip every send with one attribute read, and blinker is
not imported. The ``send_*`` functions below are what the pipeline calls.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

from blinker import ANY, NamedSignal, Namespace

from erlen import _signal_gate

__all__ = [
    "Namespace",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
]

F = TypeVar("F", bound=Callable[..., Any])


class _ErlenSignal(NamedSignal):
    """A signal of erlen's own: connecting to it turns the pipeline's sends on."""

    def connect(self, receiver: F, sender: Any = ANY, weak: bool = True) -> F:
        connected = super().connect(receiver, sender, weak)
        # Never turned off again: a send to a signal without receivers is a
        # dict check (see _send), so staying on costs little.
        _signal_gate.turn_on(sys.modules[__name__])
        return connected


#: The namespace of erlen's own signals (as ``flask.signals._signals``).
_signals = Namespace()


def _signal(name: str) -> NamedSignal:
    signal = _ErlenSignal(name)
    _signals[name] = signal
    return signal


template_rendered = _signal("template-rendered")
before_render_template = _signal("before-render-template")
request_started = _signal("request-started")
request_finished = _signal("request-finished")
request_tearing_down = _signal("request-tearing-down")
got_request_exception = _signal("got-request-exception")
appcontext_tearing_down = _signal("appcontext-tearing-down")
appcontext_pushed = _signal("appcontext-pushed")
appcontext_popped = _signal("appcontext-popped")
message_flashed = _signal("message-flashed")


def _send(signal: NamedSignal, app: Any, **kwargs: Any) -> None:
    if signal.receivers:
        # Async receivers run through the app's ensure_sync, as in Flask.
        signal.send(app, _async_wrapper=app.ensure_sync, **kwargs)


def send_template_signal(name: str, app: Any, template: Any, context: dict[str, Any]) -> None:
    """Send ``before_render_template`` or ``template_rendered`` (named by ``name``)."""
    signal = before_render_template if name == "before_render_template" else template_rendered
    _send(signal, app, template=template, context=context)


def send_request_started(app: Any) -> None:
    """Before the request's hooks and view run."""
    _send(request_started, app)


def send_request_finished(app: Any, response: Any) -> None:
    """After the after-request functions made the final response."""
    _send(request_finished, app, response=response)


def send_got_request_exception(app: Any, exception: BaseException) -> None:
    """When an error reaches ``handle_exception`` (unhandled by the user's handlers)."""
    _send(got_request_exception, app, exception=exception)


def send_request_tearing_down(app: Any, exc: BaseException | None) -> None:
    """After the request's teardown functions ran."""
    _send(request_tearing_down, app, exc=exc)


def send_appcontext_tearing_down(app: Any, exc: BaseException | None) -> None:
    """After the app context's teardown functions ran."""
    _send(appcontext_tearing_down, app, exc=exc)


def send_appcontext_pushed(app: Any) -> None:
    """When an app context (every request has one) becomes active."""
    _send(appcontext_pushed, app)


def send_appcontext_popped(app: Any) -> None:
    """When an app context has ended."""
    _send(appcontext_popped, app)


def send_message_flashed(app: Any, message: str, category: str) -> None:
    """When ``flash`` stores a message (for the sessions module)."""
    _send(message_flashed, app, message=message, category=category)
