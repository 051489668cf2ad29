"""Whether erlen's signals are in use: the one value the request pipeline reads.

``active`` stays ``None`` until a receiver connects to one of erlen's signals
(see :mod:`erlen.signals`); from then on it is the ``erlen.signals`` module,
whose ``send_*`` functions the pipeline calls. PERF: an app whose signals have
no receivers pays one attribute read per request, and never imports blinker.
"""

from __future__ import annotations

from types import ModuleType

#: ``erlen.signals`` once any of its signals has had a receiver, else ``None``.
active: ModuleType | None = None
