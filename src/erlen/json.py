"""JSON helpers (placeholder until the provider lands)."""

from __future__ import annotations

import json as _json
from typing import Any


def dumps(obj: Any, **kwargs: Any) -> str:
    return _json.dumps(obj, **kwargs)


def loads(s: str | bytes, **kwargs: Any) -> Any:
    return _json.loads(s, **kwargs)
