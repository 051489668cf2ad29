"""Sending files: ``send_file``, ``send_from_directory``, ``safe_join`` and the file body.

The signatures and headers are Flask 3.1's. A file is never read whole: the
body is a :class:`FileBody`, an iterable of chunks that the adapters may hand
to the server's ``wsgi.file_wrapper`` or to the ASGI ``http.response.pathsend``
extension instead of iterating it.

``safe_join`` and ``send_from_directory`` are stricter than Werkzeug's on
every OS: backslashes, NUL, Windows device names and drive letters are refused
everywhere, and a symlink that resolves outside the directory is a 404.
"""

from __future__ import annotations

import io
import mimetypes
import os
import posixpath
import re
import stat as stat_module
import unicodedata
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from time import time
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote
from zlib import adler32

from erlen.errors import ArgumentTypeError, ErlenError, HeaderValueError, describe
from erlen.http.body import ClosesOnce
from erlen.http.headers import Headers, dump_options

if TYPE_CHECKING:
    from typing import TypeAlias

    from erlen._current import CurrentApp
    from erlen.response import Response
    from erlen.wrappers import Request

    MaxAge: TypeAlias = int | Callable[[str | None], int | None] | None

__all__ = [
    "CHUNK_SIZE",
    "FileBody",
    "FileModeError",
    "safe_join",
    "send_file",
    "send_from_directory",
]

#: Bytes read per chunk when a file body is iterated.
CHUNK_SIZE = 64 * 1024


class FileModeError(ErlenError, ValueError):
    """A file object given to ``send_file`` was opened in text mode."""


class FileBody(ClosesOnce):
    """A response body read from a file in chunks of :attr:`chunk_size` bytes.

    Attributes the adapters use:

    * ``path``: the file's path when sent from a path, else None (a file object);
    * ``offset``: the absolute position the body starts at, or None for the
      file object's current position;
    * ``length``: how many bytes are sent, or None for "to the end of the file";
    * ``size``: the file's total size when known;
    * :attr:`is_whole_file`: True when the body is the whole file (from its
      start, or a file object's current position, to the end), so that a
      server-side file wrapper or ``pathsend`` may send it instead;
    * :meth:`open`: the open binary file positioned at ``offset``.

    ``close()`` closes the file (also a file object that was passed in, as
    Werkzeug does). A path is opened on first use, so a 304 or HEAD answer
    never opens it.
    """

    __slots__ = ("_file", "_remaining", "chunk_size", "length", "offset", "path", "size")

    def __init__(
        self,
        file: IO[bytes] | None = None,
        path: str | None = None,
        offset: int | None = None,
        length: int | None = None,
        size: int | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        if file is None and path is None:
            raise ArgumentTypeError("FileBody needs a file object or a path")
        self._file = file
        self.path = path
        self.offset = offset
        self.length = length
        self.size = size
        self.chunk_size = chunk_size
        # None until the first read; then the bytes left, or -1 for "to EOF".
        self._remaining: int | None = None
        self._closed = False

    @property
    def file(self) -> IO[bytes]:
        """The binary file, opened from :attr:`path` on first use."""
        file = self._file
        if file is None:
            assert self.path is not None
            # PERF: unbuffered: each chunk is one read() into a fresh bytes.
            file = self._file = open(self.path, "rb", buffering=0)  # noqa: SIM115
        return file

    @property
    def is_whole_file(self) -> bool:
        """True if the body is the file from its start (or current position) to the end."""
        return not self.offset and (self.length is None or self.length == self.size)

    def open(self) -> IO[bytes]:
        """The file, opened if needed and positioned at :attr:`offset`."""
        file = self.file
        if self.offset is not None:
            file.seek(self.offset)
        return file

    def __iter__(self) -> FileBody:
        return self

    def __next__(self) -> bytes:
        remaining = self._remaining
        if remaining is None:
            self.open()
            remaining = -1 if self.length is None else self.length
        if remaining == 0:
            self._remaining = 0
            raise StopIteration
        size = self.chunk_size if remaining < 0 or remaining > self.chunk_size else remaining
        data = self.file.read(size)
        if not data:
            self._remaining = 0
            raise StopIteration
        self._remaining = remaining - len(data) if remaining > 0 else -1
        return data

    def iter_span(self, start: int, stop: int) -> Iterator[bytes]:
        """Yield the bytes at absolute positions ``start`` to ``stop`` (exclusive)."""
        file = self.file
        file.seek(start)
        remaining = stop - start
        chunk_size = self.chunk_size
        while remaining > 0:
            data = file.read(chunk_size if remaining > chunk_size else remaining)
            if not data:
                return
            remaining -= len(data)
            yield data

    def span(self, start: int, stop: int) -> FileBody:
        """A body for absolute positions ``start`` to ``stop``; it takes the file over."""
        body = FileBody(self._file, self.path, start, stop - start, self.size, self.chunk_size)
        self._file = None
        self._closed = True
        return body

    def _release(self) -> None:
        # Closes the file (later close() calls do nothing).
        file = self._file
        if file is not None:
            file.close()

    def __repr__(self) -> str:
        source = self.path if self.path is not None else self._file
        return f"<{type(self).__name__} {source!r} offset={self.offset} length={self.length}>"


# -- Content-Disposition ------------------------------------------------------------

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_DROP_CONTROLS = {code: None for code in [*range(0x20), 0x7F]}
# RFC 8187 attr-char besides letters and digits: what stays unescaped in filename*.
_ATTR_CHARS = "!#$&+-.^_`|~"


def _content_disposition(kind: str, name: object) -> str:
    """``inline``/``attachment`` with the file name, safe for any name.

    An ASCII name without control characters is written as Werkzeug writes
    it; any other name gets an ASCII ``filename`` fallback (accents
    decomposed, other characters and control characters dropped) and the
    exact name percent-encoded in ``filename*``.
    """
    if not isinstance(name, str):
        raise ArgumentTypeError(f"download_name must be a str, got {describe(name)}")
    if "\r" in name or "\n" in name or "\0" in name:
        raise HeaderValueError(
            f"download_name must not contain CR, LF or NUL: got {describe(name)}"
        )
    if name.isascii() and _CONTROL_CHARS.search(name) is None:
        return dump_options(kind, {"filename": name})
    simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    simple = simple.translate(_DROP_CONTROLS)
    encoded = quote(name, safe=_ATTR_CHARS)
    return dump_options(kind, {"filename": simple, "filename*": f"UTF-8''{encoded}"})


# -- send_file ----------------------------------------------------------------------


def _current() -> tuple[CurrentApp | None, Request | None]:
    """The current app and request (each None outside a context)."""
    from erlen._current import context_var

    context = context_var.get(None)
    if context is None:
        return None, None
    request = context.request
    return context.app, request


def _app_max_age(app: CurrentApp | None, path: str | None) -> int | None:
    if app is None:
        return None
    getter = getattr(app, "get_send_file_max_age", None)
    if getter is not None:
        value: Any = getter(path)
    else:
        value = app.config.get("SEND_FILE_MAX_AGE_DEFAULT")
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return value  # type: ignore[no-any-return]


def _cache_headers(response: Response, max_age: object) -> None:
    headers = response.headers
    if max_age is None:
        headers["Cache-Control"] = "no-cache"
        return
    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    if isinstance(max_age, bool) or not isinstance(max_age, int):
        raise ArgumentTypeError(
            f"max_age must be an int number of seconds, got {describe(max_age)}"
        )
    headers["Cache-Control"] = (
        f"public, max-age={max_age}" if max_age > 0 else f"no-cache, max-age={max_age}"
    )
    response.expires = int(time() + max_age)


def send_file(
    path_or_file: os.PathLike[str] | str | IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: MaxAge = None,
) -> Response:
    """Send a file (a path, relative to the app's root path, or a binary file object).

    As Flask's: the mimetype is guessed from ``download_name`` (the file
    name by default), Content-Disposition is ``inline`` or ``attachment``,
    Last-Modified, an ETag and Cache-Control are set, and inside a request
    the response answers conditional and Range requests. ``max_age`` None
    means the app's ``SEND_FILE_MAX_AGE_DEFAULT``. The body is streamed.
    Never pass a path that came from a client: use :func:`send_from_directory`.
    """
    return _send_file(
        path_or_file,
        mimetype=mimetype,
        as_attachment=as_attachment,
        download_name=download_name,
        conditional=conditional,
        etag=etag,
        last_modified=last_modified,
        max_age=max_age,
    )


def _send_file(
    path_or_file: os.PathLike[str] | str | IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: MaxAge = None,
    _checked: tuple[str, os.stat_result] | None = None,
) -> Response:
    app, request = _current()
    path: str | None = None
    open_path: str | None = None
    file: IO[bytes] | None = None
    size: int | None = None
    mtime: float | None = None
    if isinstance(path_or_file, (str, os.PathLike)) or hasattr(path_or_file, "__fspath__"):
        name = os.fspath(path_or_file)
        if isinstance(name, bytes):
            name = os.fsdecode(name)
        path = os.path.join(app.root_path, name) if app is not None else os.path.abspath(name)
        if _checked is not None:
            open_path, info = _checked
        else:
            open_path, info = path, os.stat(path)
            if stat_module.S_ISDIR(info.st_mode):
                raise IsADirectoryError(f"send_file was given a directory: {path!r}")
        size = info.st_size
        mtime = info.st_mtime
    else:
        file = path_or_file
        if isinstance(file, io.BytesIO):
            size = file.getbuffer().nbytes
        elif isinstance(file, io.TextIOBase):
            raise FileModeError("Files must be opened in binary mode or use BytesIO.")

    headers = Headers()
    if download_name is not None and not isinstance(download_name, str):
        raise ArgumentTypeError(f"download_name must be a str, got {describe(download_name)}")
    if download_name is None and path is not None:
        download_name = os.path.basename(path)
    if mimetype is None:
        if download_name is None:
            raise ArgumentTypeError(
                "Unable to detect the MIME type because a file name is not available."
                " Either set 'download_name', pass a path instead of a file, or set 'mimetype'."
            )
        mimetype, encoding = mimetypes.guess_type(download_name)
        if mimetype is None:
            mimetype = "application/octet-stream"
        # A browser would decompress a .tar.gz it saves: no encoding for attachments.
        if encoding is not None and not as_attachment:
            headers["Content-Encoding"] = encoding
    if download_name is not None:
        headers["Content-Disposition"] = _content_disposition(
            "attachment" if as_attachment else "inline", download_name
        )
    elif as_attachment:
        raise ArgumentTypeError(
            "No name provided for attachment. Either set 'download_name' or pass a path"
            " instead of a file."
        )

    use_x_sendfile = app is not None and bool(app.config.get("USE_X_SENDFILE")) and path is not None
    body: FileBody | None
    if use_x_sendfile:
        headers["X-Sendfile"] = path
        body = None
    else:
        body = FileBody(file, open_path, 0 if file is None else None, size, size)

    response_class: type[Response]
    if app is not None:
        response_class = app.response_class
    else:
        from erlen.response import Response as response_class
    response = response_class(body, mimetype=mimetype, headers=headers, direct_passthrough=True)
    if size is not None:
        response.headers._set_trusted("Content-Length", str(size))
    if last_modified is not None:
        response.last_modified = last_modified
    elif mtime is not None:
        response.last_modified = mtime

    if callable(max_age):
        max_age = max_age(path)
    elif max_age is None:
        max_age = _app_max_age(app, path)
    _cache_headers(response, max_age)

    if isinstance(etag, str):
        response.set_etag(etag)
    elif etag and path is not None:
        check = adler32(os.fsencode(path)) & 0xFFFFFFFF
        response.set_etag(f"{mtime}-{size}-{check}")

    if conditional and request is not None:
        from erlen.exceptions import RequestedRangeNotSatisfiable

        try:
            response = response.make_conditional(request, accept_ranges=True, complete_length=size)
        except RequestedRangeNotSatisfiable:
            if body is not None:
                body.close()
            raise
        if response.status_code == 304:
            # Some X-Sendfile servers send the file even for a 304.
            response.headers.pop("X-Sendfile", None)
    return response


# -- paths --------------------------------------------------------------------------

# https://learn.microsoft.com/windows/win32/fileio/naming-a-file (and superscript digits)
_WINDOWS_DEVICES = frozenset(
    {
        "AUX",
        "CON",
        "CONIN$",
        "CONOUT$",
        "NUL",
        "PRN",
        *(f"COM{digit}" for digit in "123456789¹²³"),
        *(f"LPT{digit}" for digit in "123456789¹²³"),
    }
)
_DRIVE = re.compile(r"[A-Za-z]:")


def _is_windows_special(segment: str) -> bool:
    if _DRIVE.match(segment) is not None:
        return True
    # CON, con.txt, "con .txt" and con:stream all open the device on Windows.
    stem = segment.partition(":")[0].partition(".")[0].strip(" ").upper()
    return stem in _WINDOWS_DEVICES


def safe_join(directory: str, *untrusted: str) -> str | None:
    """Join URL path parts under ``directory``; None if any part could leave it.

    Refused on every OS: absolute parts, ``..`` escaping the base, backslashes,
    NUL, Windows drive letters and device names (CON, NUL, COM1, ...). This is
    a check on the text only; :func:`send_from_directory` also resolves
    symlinks.
    """
    if not directory:
        # With "" the first untrusted part would become the trusted base.
        directory = "."
    parts = [directory]
    for part in untrusted:
        if not isinstance(part, str):
            raise ArgumentTypeError(f"safe_join path parts must be str, got {describe(part)}")
        if not part:
            continue
        if "\\" in part or "\0" in part:
            return None
        normalized = posixpath.normpath(part)
        if (
            normalized[0] == "/"
            or normalized == ".."
            or normalized.startswith("../")
            or os.path.isabs(normalized)
        ):
            return None
        for segment in normalized.split("/"):
            if _is_windows_special(segment):
                return None
        parts.append(normalized)
    return posixpath.join(*parts)


def _is_within(path: str, root: str) -> bool:
    if path == root:
        return True
    prefix = root if root.endswith(os.sep) else root + os.sep
    return path.startswith(prefix)


def send_from_directory(
    directory: os.PathLike[str] | str, path: os.PathLike[str] | str, **kwargs: Any
) -> Response:
    """Send ``path`` from inside ``directory`` (relative to the app's root path).

    ``path`` may come from the client. A path that could leave the directory
    is a 404 before the file system is touched; so is a symlink resolving
    outside it, a missing file and anything that is not a regular file.
    ``kwargs`` go to :func:`send_file`.
    """
    from erlen.exceptions import NotFound

    base = os.fspath(directory)
    joined = safe_join(base, os.fspath(path))
    if joined is None:
        raise NotFound()
    app, _ = _current()
    if app is not None:
        joined = os.path.join(app.root_path, joined)
        base = os.path.join(app.root_path, base)
    real = os.path.realpath(joined)
    if not _is_within(real, os.path.realpath(base)):
        raise NotFound()
    try:
        info = os.stat(real)
    except (OSError, ValueError):
        raise NotFound() from None
    if not stat_module.S_ISREG(info.st_mode):
        raise NotFound()
    return _send_file(joined, _checked=(real, info), **kwargs)
