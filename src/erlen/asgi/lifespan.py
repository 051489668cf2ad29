"""The ASGI ``lifespan`` scope: the app's ``before_serving`` and ``after_serving`` functions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from erlen.asgi.protocol import Receive, Send
from erlen.syncasync import call_on_loop

if TYPE_CHECKING:
    from erlen.app import Erlen


async def _serve_lifespan(app: Erlen, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        kind = message.get("type")
        if kind == "lifespan.startup":
            try:
                for function in app.before_serving_funcs:
                    await call_on_loop(function)
            except Exception as error:
                await send({"type": "lifespan.startup.failed", "message": repr(error)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif kind == "lifespan.shutdown":
            try:
                for function in app.after_serving_funcs:
                    await call_on_loop(function)
            except Exception as error:
                await send({"type": "lifespan.shutdown.failed", "message": repr(error)})
                return
            await send({"type": "lifespan.shutdown.complete"})
            return
