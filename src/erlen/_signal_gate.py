"""Whether erlen's signals are in use: the one value the request pipeline reads.

``active`` stays ``None`` until a receiver connects to one of erlen's signals
(see :mod:`erlen.signals`); from then on it is the ``erlen.signals`` module,
whose ``send_*`` functions the pipeline calls. PERF: an app whose signals have
no receivers pays nothing per request (its dispatch plan is flat and skips
every send) and never imports blinker.
"""

from __future__ import annotations

import weakref
from types import ModuleType
from typing import Any

#: ``erlen.signals`` once any of its signals has had a receiver, else ``None``.
active: ModuleType | None = None

#: Apps whose dispatch plan was made while ``active`` was ``None``: their plans
#: are forgotten when signals come into use, so the next request sends them.
planned_without_signals: weakref.WeakSet[Any] = weakref.WeakSet()


def turn_on(signals: ModuleType) -> None:
    """Signals have a receiver: every app's next request takes the sending path."""
    global active
    if active is not None:
        return
    active = signals
    for app in list(planned_without_signals):
        app._reset_plan()
    planned_without_signals.clear()
