"""A small HTTP/1.1 keep-alive client over raw asyncio sockets, for fault and load tests.

Unlike httpx it never retries and never opens a second connection behind the
test's back: a server that closes a keep-alive connection after a response
shows up as an error on the next request, which is what the tests look for.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


class ConnectionDropped(ConnectionError):
    """The server closed the connection before a whole response arrived."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


async def read_reply(reader: asyncio.StreamReader, method: str = "GET") -> Reply:
    """Read one response (Content-Length or chunked body) from ``reader``."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        raise ConnectionDropped(f"closed after {len(error.partial)} bytes of headers") from None
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if method == "HEAD" or status in (204, 304) or status < 200:
        return Reply(status, headers, b"")
    try:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(parts)
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        else:
            body = await reader.read()
    except asyncio.IncompleteReadError:
        raise ConnectionDropped("closed in the middle of a body") from None
    return Reply(status, headers, body)


def request_bytes(method: str, path: str, body: bytes | None = None) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if body is not None:
        head += f"Content-Length: {len(body)}\r\nContent-Type: application/octet-stream\r\n"
    return head.encode() + b"\r\n" + (body or b"")


class Connection:
    """One keep-alive connection to ``url``."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def request(self, method: str, path: str, body: bytes | None = None) -> Reply:
        assert self.reader is not None and self.writer is not None
        self.writer.write(request_bytes(method, path, body))
        await self.writer.drain()
        return await read_reply(self.reader, method)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass


@dataclass
class LoadResult:
    requests: int = 0
    socket_errors: int = 0
    bad_status: Counter[int] = field(default_factory=Counter)
    bad_bodies: int = 0
    errors: list[str] = field(default_factory=list)


Check = Callable[[Reply], bool]


async def load(
    url: str,
    targets: Sequence[tuple[str, Check]],
    connections: int = 64,
    duration: float = 2.0,
) -> LoadResult:
    """``connections`` keep-alive clients, each cycling through ``targets`` for ``duration`` s.

    Every reply must be 2xx and pass its check; a dropped or refused
    connection counts as a socket error (and the client reconnects).
    """
    result = LoadResult()
    deadline = time.monotonic() + duration

    async def client(offset: int) -> None:
        connection: Connection | None = None
        number = offset
        while time.monotonic() < deadline:
            path, check = targets[number % len(targets)]
            number += 1
            try:
                if connection is None:
                    connection = await Connection(url).open()
                reply = await asyncio.wait_for(connection.request("GET", path), 10)
            except (OSError, asyncio.TimeoutError) as error:
                result.socket_errors += 1
                result.errors.append(f"{path}: {error!r}")
                if connection is not None:
                    await connection.close()
                connection = None
                continue
            result.requests += 1
            if not 200 <= reply.status < 300:
                result.bad_status[reply.status] += 1
            elif not check(reply):
                result.bad_bodies += 1
        if connection is not None:
            await connection.close()

    await asyncio.gather(*(client(offset) for offset in range(connections)))
    return result
