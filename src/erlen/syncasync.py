"""Sync code and async code calling each other, on either protocol.

A worker pool runs blocking callables for an event loop (:func:`run_sync`), and
sync code runs coroutines (:func:`run_coroutine_sync`): on the event loop that
handed the thread its work when there is one (ASGI), else on a loop the thread
keeps for itself (WSGI). Knows nothing of the app or a protocol.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import os
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from erlen.errors import AsyncBodyError, SettingValueError

T = TypeVar("T")

#: Threads for sync views, hooks and bodies called from an event loop (Starlette uses 40).
#: Each sync generator body streamed over ASGI holds one for as long as it
#: streams, so a process serving many long sync streams (server-sent events)
#: needs more: set the ``ERLEN_SYNC_THREADS`` environment variable (or this
#: attribute) before the first request.
SYNC_THREADS = 40
_pool: _WorkerPool | None = None
_pool_lock = threading.Lock()
_pool_size = SYNC_THREADS


def sync_threads_setting() -> int:
    """The pool size: ``ERLEN_SYNC_THREADS`` when set (a whole number >= 1), else
    :data:`SYNC_THREADS`."""
    value = os.environ.get("ERLEN_SYNC_THREADS")
    if value is None:
        return SYNC_THREADS
    try:
        threads = int(value)
    except ValueError:
        threads = 0
    if threads < 1:
        raise SettingValueError(
            f"ERLEN_SYNC_THREADS must be a whole number of threads >= 1, got {value!r}"
        )
    return threads


def pool_size() -> int:
    """The number of worker threads (the pool is made on first use)."""
    return _pool_size


# Per thread: ``loop`` (a worker's: the event loop that handed it sync work)
# and ``own_loop`` (a loop this thread runs async code on by itself).
_thread_state = threading.local()


class _WorkerPool:
    """Threads that run blocking callables for event loops, started as needed.

    PERF: a job is a (loop, future, callable) triple on a queue, and its result
    goes back with one ``call_soon_threadsafe``; ``loop.run_in_executor``
    wraps a ``concurrent.futures.Future`` in an asyncio one and pays for both
    (a hop took about 40% longer through it, measured here).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.jobs: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.threads = 0
        self.idle = 0
        self.queued = 0

    def submit(
        self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], job: Any
    ) -> None:
        with self.lock:
            self.queued += 1
            start = self.queued > self.idle and self.threads < self.size
            if start:
                self.threads += 1
        self.jobs.put((loop, future, job))
        if start:
            name = f"erlen-sync_{self.threads - 1}"
            threading.Thread(target=self._work, name=name, daemon=True).start()

    def _work(self) -> None:
        while True:
            with self.lock:
                self.idle += 1
            loop, future, job = self.jobs.get()
            with self.lock:
                self.idle -= 1
                self.queued -= 1
            try:
                result = job()
            except BaseException as error:
                outcome: tuple[Any, BaseException | None] = (None, error)
            else:
                outcome = (result, None)
            # Nothing of the job is kept while the thread waits for the next.
            job = None
            try:
                loop.call_soon_threadsafe(_settle, future, *outcome)
            except RuntimeError:
                pass  # the loop is closed: nobody waits for the result any more
            del loop, future, outcome


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return  # cancelled meanwhile
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _get_executor() -> _WorkerPool:
    global _pool, _pool_size
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool_size = sync_threads_setting()
                _pool = _WorkerPool(_pool_size)
    return _pool


def _in_worker(loop: asyncio.AbstractEventLoop, function: Callable[..., T], *args: Any) -> T:
    _thread_state.loop = loop
    try:
        return function(*args)
    finally:
        _thread_state.loop = None


async def run_sync(function: Callable[..., T], *args: Any) -> T:
    """Run a blocking callable in the worker pool, inside a copy of the current context.

    ``async def`` functions the callable reaches through :meth:`Pipeline.ensure_sync`
    run on this event loop meanwhile, not on a loop of the worker's own.
    """
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    future: asyncio.Future[T] = loop.create_future()
    _get_executor().submit(
        loop, future, functools.partial(context.run, _in_worker, loop, function, *args)
    )
    return await future


def thread_event_loop() -> asyncio.AbstractEventLoop:
    """This thread's event loop for running async code from sync (WSGI) code.

    One loop per thread, made on first use and reused afterwards, so an async
    body streamed over several ``next()`` calls stays on one loop. Raises
    :class:`~erlen.errors.AsyncBodyError` when a loop is already running in
    this thread: blocking on it there would deadlock.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise AsyncBodyError(
            "cannot run async code synchronously inside a running event loop (an async"
            " response body consumed through WSGI from async code); serve the app"
            " through ASGI instead"
        )
    loop: asyncio.AbstractEventLoop | None = getattr(_thread_state, "own_loop", None)
    if loop is None or loop.is_closed():
        loop = _thread_state.own_loop = asyncio.new_event_loop()
    return loop


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


def run_coroutine_sync(awaitable: Awaitable[T]) -> T:
    """Run an awaitable to completion from sync code, keeping the current context.

    In a worker thread of an ASGI request it runs on the server's event loop
    (the loop that handed the thread its work); elsewhere (WSGI) on this
    thread's own loop. Either way the task copies the caller's contextvars,
    so ``request`` and ``g`` work inside ``async def`` views.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError(
            "An async view, hook or handler was called from sync code running inside an"
            " event loop. Serve the app through ASGI (app is an ASGI app too) instead."
        )
    server_loop: asyncio.AbstractEventLoop | None = getattr(_thread_state, "loop", None)
    if server_loop is not None and not server_loop.is_closed():
        return asyncio.run_coroutine_threadsafe(_await(awaitable), server_loop).result()
    return thread_event_loop().run_until_complete(_await(awaitable))


_coroutine_flags: dict[Callable[..., Any], bool] = {}
#: PERF: ``_coroutine_flags.get``, bound once: what hot paths read before
#: calling :func:`is_async` (see erlen.ctx.set_context for why).
cached_is_async = _coroutine_flags.get


def is_async(function: Callable[..., Any]) -> bool:
    """Whether ``function`` is an ``async def`` function (cached per function)."""
    flag = _coroutine_flags.get(function)
    if flag is None:
        flag = inspect.iscoroutinefunction(function)
        if len(_coroutine_flags) < 4096:
            _coroutine_flags[function] = flag
    return flag


async def call_on_loop(function: Callable[..., Any], *args: Any) -> Any:
    """Call a hook or handler from async code: awaited if async, called directly if not."""
    if is_async(function):
        return await function(*args)
    return function(*args)
