"""The ASGI 3 message types, and the error for a server that breaks the specification."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ASGIProtocolError(RuntimeError):
    """The server sent a scope or message that breaks the ASGI specification."""
