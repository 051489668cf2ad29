"""The ``async def`` erlen app with one sync ``before_request`` hook.

Measures what a sync hook costs an async view under ASGI (it runs on the
event loop, with no thread hop). A second copy of ``erlen_async_app`` is
loaded so the hook does not reach the ``erlen-asgi`` peer.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

from bench.apps import erlen_async_app

_spec = importlib.util.spec_from_file_location(
    "bench.apps._erlen_async_copy", erlen_async_app.__file__
)
assert _spec is not None and _spec.loader is not None
_copy = importlib.util.module_from_spec(_spec)
# Registered so the app finds its root path (and so its templates) from the module.
sys.modules[_spec.name] = _copy
_spec.loader.exec_module(_copy)

app: Any = _copy.app


@app.before_request
def count_request() -> None:
    """A typical cheap sync hook (request bookkeeping)."""
    return None
