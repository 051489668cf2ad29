"""Noticing a client that hung up while its body streams: a watcher per stream that
lasts (:class:`_HangUp`), started by one timer per loop (:class:`_LongStreams`).
"""

from __future__ import annotations

import asyncio
import weakref

from erlen.asgi.protocol import Receive

#: Seconds an async body streams before a task starts watching for a disconnect.
WATCH_AFTER = 0.05


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            return
        # A body the view did not read; yield so a server that answers at
        # once cannot starve the stream.
        await asyncio.sleep(0)


class _HangUp:
    """Cancels a streaming task when its client disconnects, once started.

    Servers may drop sends silently after a disconnect, so without this a
    body would run on forever. The watcher (a task waiting on ``receive``)
    is started by :class:`_LongStreams` only for streams that last. Once
    stopped (the response is complete, or the stream is over), a disconnect
    cancels nothing.
    """

    __slots__ = ("absorbed", "finished", "hung_up", "receive", "task", "watcher")

    def __init__(self, receive: Receive) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.task = task
        self.receive = receive
        self.watcher: asyncio.Future[None] | None = None
        self.finished = False
        self.hung_up = False
        self.absorbed = False

    def start(self) -> None:
        if not self.finished:
            self.watcher = asyncio.ensure_future(_wait_for_disconnect(self.receive))
            self.watcher.add_done_callback(self._hang_up)

    def _hang_up(self, watcher: asyncio.Future[None]) -> None:
        if not self.finished and not watcher.cancelled() and watcher.exception() is None:
            self.hung_up = True
            self.task.cancel()

    def absorbs_cancellation(self) -> bool:
        """Whether a CancelledError in the task is this hang-up's (not the server's).

        The first time it is, the task's cancellation is taken back
        (``uncancel``) so the stream can clean up and return normally; the
        hang-up cancels once, so any later CancelledError is someone else's.
        """
        if not self.hung_up or self.absorbed:
            return False
        self.absorbed = True
        uncancel = getattr(self.task, "uncancel", None)
        if uncancel is not None:
            uncancel()
        return True

    def stop(self) -> None:
        self.finished = True
        if self.watcher is not None:
            self.watcher.cancel()


class _LongStreams:
    """The bodies streaming on one event loop, and when to watch them.

    One timer per loop ticks every :data:`WATCH_AFTER` seconds while streams
    are registered; a stream still registered at two ticks in a row gets its
    disconnect watcher. Short bodies unregister before that and cost two set
    operations.
    """

    __slots__ = ("__weakref__", "loop", "older", "ticking", "younger")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.younger: set[_HangUp] = set()
        self.older: set[_HangUp] = set()
        self.ticking = False

    def add(self, hang_up: _HangUp) -> None:
        self.younger.add(hang_up)
        if not self.ticking:
            self.ticking = True
            self.loop.call_later(WATCH_AFTER, self._tick)

    def discard(self, hang_up: _HangUp) -> None:
        hang_up.stop()
        self.younger.discard(hang_up)
        self.older.discard(hang_up)

    def _tick(self) -> None:
        due = self.older
        self.older = self.younger
        self.younger = set()
        for hang_up in due:
            hang_up.start()
        if self.older:
            self.loop.call_later(WATCH_AFTER, self._tick)
        else:
            # Idle: the timer stops; the registry lives on only as long as a
            # stream still holds it.
            self.ticking = False


# id(loop) -> its registry, held weakly: the registry is kept alive by its
# pending timer (so by the loop) and by the streams using it, never by this
# module, so a loop nobody runs any more is collected with its streams (a
# dropped test client's, say). While a registry lives its loop does too, so
# the id cannot have been reused.
_long_streams: weakref.WeakValueDictionary[int, _LongStreams] = weakref.WeakValueDictionary()


def _watch_for(loop: asyncio.AbstractEventLoop) -> _LongStreams:
    watch = _long_streams.get(id(loop))
    if watch is None or watch.loop is not loop:
        watch = _long_streams[id(loop)] = _LongStreams(loop)
    return watch


def _watched(receive: Receive) -> tuple[_LongStreams, _HangUp]:
    """Register the current task's stream for a disconnect watch (see _LongStreams)."""
    watch = _watch_for(asyncio.get_running_loop())
    hang_up = _HangUp(receive)
    watch.add(hang_up)
    return watch, hang_up
