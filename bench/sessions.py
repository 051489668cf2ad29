"""``python -m bench.sessions``: a session request (read one key, write one key) on
erlen and on Flask, in process over WSGI, with the same signed cookie.

The two apps are the same code with the import changed, share a secret key and
so read the same cookie (erlen's sessions are Flask's format). Rounds are
interleaved and medians reported, as in the main benchmark.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

SECRET = "bench-secret"


def build(module: Any) -> Any:
    """The session endpoint: read ``visits``, write it back incremented."""
    app = module.Flask(f"sessions_{module.__name__}")
    app.secret_key = SECRET

    @app.route("/session")
    def session_view() -> str:
        session = module.session
        visits = session.get("visits", 0) + 1
        session["visits"] = visits
        return f"visits: {visits}"

    return app


def _environ(cookie: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/session",
        "QUERY_STRING": "",
        "SERVER_NAME": "bench",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": None,
        "HTTP_HOST": "bench",
        "HTTP_COOKIE": cookie,
    }


def call(app: Any, cookie: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """One request through the WSGI entry point: status, headers and body."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers]

    body_iterable: Iterable[bytes] = app(_environ(cookie), start_response)
    body = b"".join(body_iterable)
    close: Callable[[], None] | None = getattr(body_iterable, "close", None)
    if close is not None:
        close()
    return started[0], started[1], body


def session_cookie(app: Any) -> str:
    """A session cookie holding ``visits=1``, as the app writes it."""
    _, headers, _ = call(app, "")
    value = next(value for name, value in headers if name == "Set-Cookie")
    return value.split(";", 1)[0]


def time_batch(app: Any, cookie: str, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        call(app, cookie)
    return (time.perf_counter() - start) / count * 1e6


def measure(rounds: int, batch: int) -> dict[str, float]:
    import flask

    import erlen

    apps = {"erlen": build(erlen), "flask": build(flask)}
    cookie = session_cookie(apps["flask"])  # Flask's cookie, read by both
    timings: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(rounds):
        for name, app in apps.items():
            timings[name].append(time_batch(app, cookie, batch))
    return {name: statistics.median(values) for name, values in timings.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sessions", description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args(argv)
    result = measure(args.rounds, args.batch)
    print("| peer | µs per session request (median) | vs Flask |")
    print("|---|---:|---:|")
    for name, value in result.items():
        print(f"| {name} | {value:.1f} | {value / result['flask']:.2f}x |")


if __name__ == "__main__":
    main(sys.argv[1:])
