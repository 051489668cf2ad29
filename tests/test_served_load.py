"""Real servers: slow uploads next to fast requests, many sync streams, and leaks (issue 16)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.apps.faults_app import CHUNK
from tests.servers import REPO_ROOT, running_server
from tests.test_served_faults import APP, DATA, Server
from tests.wire_client import Connection

SLOW_CLIENTS = 45  # more than the 40 threads of the default pool
#: How long slow clients trickle at most; the fast requests must be done long before.
SLOW_FOR = 15.0
STREAMS = 200


@pytest.fixture(scope="module")
def uvicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("uvicorn")
    env = {
        "FAULTS_DIR": str(directory),
        "PYTHONPATH": str(REPO_ROOT / "src"),
        "ERLEN_SYNC_THREADS": str(STREAMS + 20),
    }
    with running_server("uvicorn-plain", APP, env=env, log=directory / "log") as url:
        yield Server("uvicorn-plain", url, directory)


def test_slow_uploads_do_not_stall_sync_views(uvicorn: Server) -> None:
    """45 clients send a form at 5 bytes/s; sync views still answer meanwhile.

    Before a sync view's thread is taken, its body is received on the event
    loop, so the slow clients hold no thread. (When they did, every sync view
    waited until the uploads ended.)
    """

    async def run() -> tuple[bool, list[int]]:
        stop = asyncio.Event()
        statuses: list[int] = []

        async def slow_client() -> None:
            _reader, writer = await asyncio.open_connection("127.0.0.1", uvicorn.port)
            writer.write(
                b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
            )
            try:
                while not stop.is_set():
                    writer.write(b"a")
                    await writer.drain()
                    try:
                        await asyncio.wait_for(stop.wait(), 0.2)  # 5 bytes/s
                    except asyncio.TimeoutError:
                        pass
            finally:
                writer.close()

        async def fast_requests() -> bool:
            await asyncio.sleep(1.0)  # every slow upload has reached its view
            connection = await Connection(uvicorn.url).open()
            try:
                for path in ("/sync", "/async", "/sync", "/stream", "/sync"):
                    reply = await connection.request("GET", path)
                    statuses.append(reply.status)
                reply = await connection.request("POST", "/upload", b"fast")
                statuses.append(reply.status)
            finally:
                await connection.close()
            return not stop.is_set()  # done while every slow upload still runs

        async def give_up() -> None:
            await asyncio.sleep(SLOW_FOR)
            stop.set()

        slow = [asyncio.ensure_future(slow_client()) for _ in range(SLOW_CLIENTS)]
        timer = asyncio.ensure_future(give_up())
        try:
            in_time = await fast_requests()
        finally:
            stop.set()
            timer.cancel()
            await asyncio.gather(*slow, return_exceptions=True)
        return in_time, statuses

    in_time, statuses = asyncio.run(run())
    assert statuses == [200] * 6
    assert in_time, "the fast requests waited for the slow uploads"
    # The server is fine afterwards; the slow clients' views saw a short body.
    assert httpx.get(uvicorn.url + "/sync", timeout=10).text == "sync ok"
    uvicorn.assert_no_app_failure()


def test_many_concurrent_sync_streams(uvicorn: Server) -> None:
    """200 sync-generator SSE streams at once, on a pool sized for them (ERLEN_SYNC_THREADS)."""

    async def one() -> bytes:
        connection = await Connection(uvicorn.url).open()
        try:
            reply = await asyncio.wait_for(connection.request("GET", "/sse?n=2&interval=0.2"), 30)
        finally:
            await connection.close()
        return reply.body

    async def run() -> list[bytes]:
        return await asyncio.gather(*(one() for _ in range(STREAMS)))

    bodies = asyncio.run(run())
    assert bodies == [b"data: 0\n\ndata: 1\n\n"] * STREAMS
    assert "hold all" not in uvicorn.log  # the pool was big enough: no warning
    uvicorn.assert_no_app_failure()


def _rss_and_fds(pid: int) -> tuple[int, int]:
    with open(f"/proc/{pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    return rss * 1024, len(os.listdir(f"/proc/{pid}/fd"))


LEAK_REQUESTS = 2000


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
@pytest.mark.parametrize("kind", ["uvicorn-plain", "gunicorn-gthread"])
def test_no_leak_of_memory_or_file_descriptors(
    kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """RSS and open fds of the worker before and after many mixed requests stay put."""
    directory = tmp_path_factory.mktemp(f"leak-{kind}")
    env = {"FAULTS_DIR": str(directory), "PYTHONPATH": str(REPO_ROOT / "src")}
    with running_server(kind, APP, env=env, log=directory / "log") as url:
        pid = int(httpx.get(url + "/pid", timeout=10).text)
        paths = ["/", "/sync", "/async", "/stream", "/astream", "/file"]

        async def hammer(total: int) -> None:
            async def client(offset: int) -> None:
                connection = await Connection(url).open()
                try:
                    for number in range(offset, total, 16):
                        reply = await connection.request("GET", paths[number % len(paths)])
                        assert reply.status == 200
                    reply = await connection.request("POST", "/upload", DATA)
                    assert reply.status == 200
                finally:
                    await connection.close()

            await asyncio.gather(*(client(offset) for offset in range(16)))

        asyncio.run(hammer(600))  # warm-up: caches, pools, allocator arenas
        time.sleep(0.2)
        rss_before, fds_before = _rss_and_fds(pid)
        asyncio.run(hammer(LEAK_REQUESTS))
        time.sleep(0.2)
        rss_after, fds_after = _rss_and_fds(pid)
        server = Server(kind, url, directory)
        server.assert_no_app_failure()
    assert fds_after - fds_before <= 2, (fds_before, fds_after)
    assert rss_after - rss_before < 8 * 1024 * 1024, (rss_before, rss_after)
    assert CHUNK  # the stream bodies were checked by status above
