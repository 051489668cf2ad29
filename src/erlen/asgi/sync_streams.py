"""Streaming a sync iterable body, produced in one worker thread, to the loop."""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import weakref
from collections.abc import Iterable
from typing import Any

from erlen import syncasync
from erlen.asgi.disconnect import _HangUp
from erlen.asgi.protocol import Message, Receive, Send
from erlen.syncasync import run_sync

# Sync generator bodies streaming now (each holds a pool thread), under a lock:
# streams on several loops (test clients in threads) may count at once.
_sync_streams = 0
_sync_streams_lock = threading.Lock()
_warned_pool_full = False
_logger = logging.getLogger("erlen.asgi")


def _count_sync_stream(change: int) -> None:
    """Track the sync streams holding pool threads; warn once when they hold all."""
    global _sync_streams, _warned_pool_full
    with _sync_streams_lock:
        _sync_streams += change
        streams = _sync_streams
    pool_size = syncasync.pool_size()
    if change > 0 and streams >= pool_size and not _warned_pool_full:
        _warned_pool_full = True
        _logger.warning(
            "%d sync generator responses are streaming and hold all %d threads of"
            " erlen's worker pool: sync views and other streams now wait for a thread."
            " Set ERLEN_SYNC_THREADS higher, or stream with an async generator.",
            streams,
            pool_size,
        )


_END = object()
#: Chunks a sync generator may run ahead of the socket before it waits.
STREAM_WINDOW = 8


async def _stream_sync_body(
    app_iter: Iterable[bytes], start: Message, send: Send, receive: Receive
) -> None:
    """Send ``start``, then stream a sync iterable produced in one worker thread.

    The thread owns the iterator from first ``next`` to ``close`` (a generator
    cannot be closed from another thread while it runs) and hands chunks over
    without waiting for each send; it wakes the loop only when the loop is
    waiting for a chunk, so a fast generator costs a few wake-ups, not one per
    chunk. A window of chunks keeps memory bounded. Once the client is gone
    (see :class:`_HangUp`) or ``send`` fails, the thread stops at its next
    chunk. Whatever ends the stream, this returns (or raises) only after the
    thread has closed the body: its ``finally`` blocks and ``call_on_close``
    functions have run exactly once, and no thread touches the loop afterwards.
    A disconnect once the last message was sent is not an error.
    """
    loop = asyncio.get_running_loop()
    ready: collections.deque[tuple[Any, BaseException | None]] = collections.deque()
    lock = threading.Lock()
    # The future the loop waits on while ``ready`` is empty; set under
    # ``lock``. Held weakly: the worker thread is a garbage-collection root,
    # and through the future it would keep the waiting task (and the whole
    # exchange of a test client that dropped the response) alive.
    waiting: list[weakref.ref[asyncio.Future[None]]] = []
    window = threading.Semaphore(STREAM_WINDOW)
    stopped = threading.Event()

    def wake(waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_result(None)

    def hand_over(item: Any, error: BaseException | None = None) -> None:
        with lock:
            ready.append((item, error))
            waiter = waiting.pop()() if waiting else None
        if waiter is not None and not stopped.is_set():
            try:
                loop.call_soon_threadsafe(wake, waiter)
            except RuntimeError:  # the loop is closed: nobody is listening any more
                stopped.set()

    def produce() -> None:
        try:
            if stopped.is_set():
                # Over before this thread started (the client left at once):
                # only the close is due. A generator closed before its first
                # next() runs none of its body, so none of its finally either.
                return
            for chunk in app_iter:
                window.acquire()
                if stopped.is_set():
                    break
                if chunk:
                    hand_over(chunk)
                else:
                    window.release()
        except BaseException as error:
            hand_over(None, error)
        else:
            hand_over(_END)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()

    _count_sync_stream(1)
    producer = asyncio.ensure_future(run_sync(produce))
    # Watched from the start, unlike async bodies: the worker thread keeps
    # the loop reachable, so a registry timer on it would keep this stream
    # alive after a test client dropped it; and a thread hop per stream
    # dwarfs the watcher task anyway.
    hang_up = _HangUp(receive)
    hang_up.start()
    dropped = False
    try:
        await send(start)
        while True:
            with lock:
                if ready:
                    item, error = ready.popleft()
                    waiter = None
                else:
                    waiter = loop.create_future()
                    waiting.append(weakref.ref(waiter))
            if waiter is not None:
                await waiter
                continue
            if error is not None:
                raise error
            if item is _END:
                await send({"type": "http.response.body", "body": b""})
                # Complete: the server may now answer receive() with
                # http.disconnect, which is no reason to cancel anything.
                hang_up.stop()
                break
            await send({"type": "http.response.body", "body": item, "more_body": True})
            window.release()
    except asyncio.CancelledError:
        if not hang_up.absorbs_cancellation():
            raise
        # The client went away: the producer stops at its next chunk and
        # closes the body in its thread (awaited below).
    except GeneratorExit:
        # The coroutine itself is being closed unfinished (a dropped test
        # client's, collected): nothing can be awaited; the producer stops
        # at its next chunk and closes the body in its thread.
        dropped = True
        hang_up.stop()
        stopped.set()
        window.release()
        _count_sync_stream(-1)
        raise
    finally:
        if not dropped:
            hang_up.stop()
            stopped.set()
            window.release()
            try:
                await _join(producer, hang_up)
            finally:
                _count_sync_stream(-1)


async def _join(producer: asyncio.Future[Any], hang_up: _HangUp) -> None:
    """Wait until the producer thread is over, even when this task is cancelled meanwhile.

    ``asyncio.wait`` (unlike awaiting the future) leaves the future alone when
    the waiting task is cancelled; a cancellation that is not the hang-up's
    is raised again once the thread is done.
    """
    cancelled = False
    while not producer.done():
        try:
            await asyncio.wait((producer,))
        except asyncio.CancelledError:
            if not hang_up.absorbs_cancellation():
                cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    producer.result()
