"""Running an app through its WSGI entry, exactly as a server calls it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any

from erlen.testing.environ_builder import Environ, HeaderList, WSGIApp


class _ClosingIterator:
    """Iterates the app's body and calls its ``close`` exactly once (PEP 3333)."""

    __slots__ = ("_close", "_iterator")

    def __init__(self, iterator: Iterator[bytes], close: Callable[[], object]) -> None:
        self._iterator = iterator
        self._close: Callable[[], object] | None = close

    def __iter__(self) -> _ClosingIterator:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._iterator)
        except StopIteration:
            self.close()
            raise

    def close(self) -> None:
        close, self._close = self._close, None
        if close is not None:
            close()


def run_wsgi_app(
    app: WSGIApp, environ: Environ, buffered: bool = False
) -> tuple[Iterable[bytes], str, HeaderList]:
    """Call ``app`` as a WSGI server would; return ``(body, status, headers)``.

    The app gets a copy of ``environ``, so what it changes there does not leak
    into a redirect's request. Unless ``buffered``, the body stays lazy.
    """
    environ = dict(environ)
    started: tuple[str, HeaderList] | None = None
    written: list[bytes] = []

    def start_response(
        status: str, headers: HeaderList, exc_info: Any = None
    ) -> Callable[[bytes], object]:
        nonlocal started
        if exc_info:
            try:
                raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        started = (status, headers)
        return written.append

    result = app(environ, start_response)
    close = getattr(result, "close", None)
    iterator = iter(result)
    body: Iterable[bytes]
    if buffered:
        try:
            body = written + list(iterator)
        finally:
            if close is not None:
                close()
    else:
        # Pull one chunk like Werkzeug does: an app may call start_response
        # lazily, and an error in the first chunk surfaces at the call.
        for chunk in iterator:
            written.append(chunk)
            if started is not None:
                break
        body_iterator: Iterator[bytes] = chain(written, iterator) if written else iterator
        body = body_iterator if close is None else _ClosingIterator(body_iterator, close)
    if started is None:
        raise RuntimeError("the app returned without calling start_response")
    return body, started[0], list(started[1])
