"""examples/redis_sessions.py against a real ``redis-server`` on 127.0.0.1, WSGI and ASGI.

Skipped, saying why, where the ``redis`` package or Debian's ``redis-server``
is not installed (.ci/run installs it).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

redis = pytest.importorskip("redis", reason="the 'redis' package is not installed (test extra)")

if shutil.which("redis-server") is None:
    pytest.skip(
        "redis-server is not installed (apt-get install redis-server; .ci/run does it)",
        allow_module_level=True,
    )

from examples.redis_sessions import RedisSessionInterface, create_app  # noqa: E402


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def redis_client() -> Iterator[Any]:
    port = _free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.skip(f"redis-server did not start on 127.0.0.1:{port}")
                time.sleep(0.05)
        yield client
    finally:
        client.close()
        server.terminate()  # this test's own server, by its PID
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def clean_redis(redis_client: Any) -> Any:
    redis_client.flushdb()
    return redis_client


def session_keys(client: Any) -> list[bytes]:
    return sorted(client.keys("session:*"))


def test_login_keeps_only_an_id_in_the_cookie(
    clean_redis: Any, make_client: Callable[..., Any]
) -> None:
    client = make_client(create_app(clean_redis))
    response = client.post("/login", data={"user": "ada"})
    assert response.get_json() == {"user": "ada"}
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert response.headers["Vary"] == "Cookie"
    cookie = client.get_cookie("session")
    assert cookie is not None and "ada" not in cookie.value
    assert session_keys(clean_redis) == [f"session:{cookie.value}".encode()]
    assert 0 < clean_redis.ttl(f"session:{cookie.value}") <= 31 * 24 * 3600


def test_session_and_flash_survive_between_requests(
    clean_redis: Any, make_client: Callable[..., Any]
) -> None:
    client = make_client(create_app(clean_redis))
    client.post("/login", data={"user": "ada"})
    assert client.get("/me").get_json() == {"user": "ada", "messages": ["Welcome, ada"]}
    assert client.get("/me").get_json() == {"user": "ada", "messages": []}


def test_any_worker_serves_any_request(clean_redis: Any, make_client: Callable[..., Any]) -> None:
    # Two app instances (two workers, or two machines) sharing one Redis.
    first, second = create_app(clean_redis), create_app(clean_redis)
    client = make_client(first)
    client.post("/login", data={"user": "ada"})
    cookie = client.get_cookie("session")
    other = make_client(second)
    other.set_cookie("session", cookie.value)
    assert other.get("/me").get_json()["user"] == "ada"


def test_logout_deletes_the_server_side_data(
    clean_redis: Any, make_client: Callable[..., Any]
) -> None:
    client = make_client(create_app(clean_redis))
    client.post("/login", data={"user": "ada"})
    response = client.post("/logout")
    assert "Max-Age=0" in response.headers["Set-Cookie"]
    assert session_keys(clean_redis) == []
    assert client.get("/me").get_json()["user"] is None


def test_login_moves_the_session_to_a_new_id(
    clean_redis: Any, make_client: Callable[..., Any]
) -> None:
    client = make_client(create_app(clean_redis))
    client.post("/login", data={"user": "ada"})
    before = client.get_cookie("session").value
    client.post("/login", data={"user": "bob"})
    after = client.get_cookie("session").value
    assert before != after
    assert session_keys(clean_redis) == [f"session:{after}".encode()]


@pytest.mark.parametrize("sid", ["", "x", "not an id!", "A" * 43, "../../etc", "A" * 500])
def test_unknown_or_malformed_id_is_a_new_empty_session(
    clean_redis: Any, make_client: Callable[..., Any], sid: str
) -> None:
    client = make_client(create_app(clean_redis))
    response = client.get("/me", headers={"Cookie": f"session={sid}"})
    assert response.status_code == 200
    assert response.get_json() == {"user": None, "messages": []}
    assert session_keys(clean_redis) == []


def test_session_transaction_uses_the_interface(
    clean_redis: Any, make_client: Callable[..., Any]
) -> None:
    app = create_app(clean_redis)
    assert isinstance(app.session_interface, RedisSessionInterface)
    client = make_client(app)
    with client.session_transaction() as session:
        session["user"] = "set in a test"
        session["tags"] = ("a", b"b")
    assert client.get("/me").get_json()["user"] == "set in a test"
    with client.session_transaction() as session:
        assert session["tags"] == ("a", b"b")
