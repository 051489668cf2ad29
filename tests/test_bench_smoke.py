"""Smoke test of the benchmark harness: every peer answers correctly and can be timed.

No timing is asserted: only that the harness runs and that its correctness
check both passes the real apps and catches wrong answers.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from bench import drivers, instructions, peers, report, routes, wire
from bench.check import check_response, check_target
from bench.endpoints import BY_NAME, ENDPOINTS
from bench.inprocess import Settings, measure
from bench.report import inprocess_tables, routes_table

APPS = Path(__file__).resolve().parent.parent / "bench" / "apps"

# the framework each peer needs installed
REQUIRES = {
    "flask": "flask",
    "falcon": "falcon",
    "bottle": "bottle",
    "starlette": "starlette",
    "quart": "quart",
    "erlen": "erlen",
    "python": "json",
}


def _load(peer: peers.Peer) -> peers.Target:
    if importlib.util.find_spec(REQUIRES[peer.distribution]) is None:
        pytest.skip(f"{peer.distribution} is not installed")
    try:
        return peers.load(peer, ENDPOINTS)
    except peers.PeerUnavailable:
        # erlen must always load: a skip here would hide a broken app.
        raise


@pytest.mark.parametrize("peer", peers.PEERS, ids=[p.name for p in peers.PEERS])
def test_peer_answers_every_endpoint_correctly(peer: peers.Peer) -> None:
    target = _load(peer)
    assert check_target(target, ENDPOINTS) == {}


@pytest.mark.parametrize("peer", peers.PEERS, ids=[p.name for p in peers.PEERS])
def test_peer_survives_a_tiny_timing_round(peer: peers.Peer) -> None:
    target = _load(peer)
    timings = measure([target], ENDPOINTS, Settings.tiny())
    assert set(timings.samples[peer.name]) == {e.name for e in ENDPOINTS}
    assert all(len(v) == 1 and v[0] > 0 for v in timings.samples[peer.name].values())
    table = "\n".join(inprocess_tables(timings))
    assert peer.name in table and "user_by_id" in table


def test_erlen_app_is_the_flask_app_with_only_the_import_changed() -> None:
    flask_lines = (APPS / "flask_app.py").read_text().splitlines()
    erlen_lines = (APPS / "erlen_app.py").read_text().splitlines()
    assert len(flask_lines) == len(erlen_lines)
    different = [(a, b) for a, b in zip(flask_lines[1:], erlen_lines[1:], strict=True) if a != b]
    assert different == [
        (
            "from flask import Flask, Response, jsonify, make_response, render_template",
            "from erlen import Flask, Response, jsonify, make_response, render_template",
        )
    ]


def test_route_experiment_builds_and_times_flask() -> None:
    timings, skipped = routes.run(Settings.tiny(), frameworks=("flask",))
    assert skipped == {}
    assert timings is not None
    assert timings.peers == ["flask/10", "flask/1000"]
    assert "flask: 1000 vs 10 routes" in "\n".join(routes_table(timings))


def test_route_experiment_registers_the_requested_number_of_rules() -> None:
    flask = pytest.importorskip("flask")
    app = routes.build_app(flask.Flask, 1000)
    # Flask adds its own /static rule
    assert len([r for r in app.url_map.iter_rules() if r.endpoint != "static"]) == 1000


GOOD_LOGIN = [
    ("Content-Type", "application/json"),
    ("Set-Cookie", "session_id=secure-token-here; Max-Age=3600; Secure; HttpOnly; SameSite=Lax"),
]


@pytest.mark.parametrize(
    ("endpoint", "status", "headers", "body", "complaint"),
    [
        ("index", 500, [("Content-Type", "text/html")], b"Hello, World!", "status 500"),
        ("index", 200, [("Content-Type", "text/plain")], b"Hello, World!", "content-type"),
        ("index", 200, [("Content-Type", "text/html")], b"Hello", "body"),
        (
            "index",
            200,
            [("Content-Type", "text/html"), ("Content-Length", "3")],
            b"Hello, World!",
            "content-length",
        ),
        ("api_user", 200, [("Content-Type", "application/json")], b"{", "not JSON"),
        ("api_user", 200, [("Content-Type", "application/json")], b'{"id": 1}', "JSON"),
        ("custom_headers", 200, [("Content-Type", "text/html")], b"OK", "header x-custom"),
        ("login", 200, GOOD_LOGIN[:1], b'{"status": "logged in"}', "no Set-Cookie"),
        (
            "login",
            200,
            [GOOD_LOGIN[0], ("Set-Cookie", "session_id=secure-token-here; Secure")],
            b'{"status": "logged in"}',
            "lacks",
        ),
        (
            "logout",
            200,
            [("Content-Type", "text/html"), ("Set-Cookie", "session_id=; Path=/")],
            b"Logged out",
            "does not expire",
        ),
        (
            "logout",
            200,
            [
                ("Content-Type", "text/html"),
                ("Set-Cookie", "session_id=; Expires=Fri, 01 Jan 2100 00:00:00 GMT"),
            ],
            b"Logged out",
            "does not expire",
        ),
        ("redirect_temp", 302, [("Location", "/elsewhere")], b"", "location"),
    ],
)
def test_check_catches_wrong_answers(
    endpoint: str, status: int, headers: drivers.Headers, body: bytes, complaint: str
) -> None:
    problems = check_response(BY_NAME[endpoint], status, headers, body)
    assert any(complaint in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("endpoint", "headers", "body"),
    [
        ("login", GOOD_LOGIN, b'{"status":"logged in"}'),
        (
            "logout",
            [
                ("Content-Type", "text/html"),
                ("Set-Cookie", 'session_id=""; expires=Thu, 01 Jan 1970 00:00:00 GMT'),
            ],
            b"Logged out",
        ),
        (
            "logout",
            [("Content-Type", "text/html"), ("Set-Cookie", "session_id=; Max-Age=0")],
            b"Logged out",
        ),
        ("redirect_temp", [("Location", "http://localhost/new-location")], b""),
    ],
)
def test_check_accepts_equivalent_answers(
    endpoint: str, headers: drivers.Headers, body: bytes
) -> None:
    expected = BY_NAME[endpoint].status
    assert check_response(BY_NAME[endpoint], expected, headers, body) == []


def test_wsgi_driver_reports_an_app_that_never_starts_a_response() -> None:
    def broken(environ: dict[str, object], start_response: object) -> list[bytes]:
        return [b"x"]

    with pytest.raises(RuntimeError, match="start_response"):
        drivers.call_wsgi(broken, drivers.make_environ(BY_NAME["index"]))


def test_parse_wrk_reads_rate_and_flags_bad_responses() -> None:
    output = (
        "Running 3s test @ http://127.0.0.1:1/\n  1 threads and 16 connections\n"
        "  Non-2xx or 3xx responses: 12\nRequests/sec:   4567.89\nTransfer/sec: 1MB\n"
    )
    assert wire.parse_wrk(output) == (4567.89, "12 non-2xx/3xx responses")
    with pytest.raises(ValueError, match="Requests/sec"):
        wire.parse_wrk("unable to connect")


def test_parse_wrk_reads_socket_errors() -> None:
    output = (
        "  Socket errors: connect 0, read 3, write 0, timeout 22\n"
        "  Non-2xx or 3xx responses: 1\nRequests/sec:   10.00\n"
    )
    report = wire.read_wrk(output)
    assert report.socket_errors == {"read": 3, "timeout": 22}
    assert report.non_2xx_or_3xx == 1
    assert wire.parse_wrk(output)[1] == (
        "1 non-2xx/3xx responses; 3 socket read errors; 22 socket timeout errors"
    )


@pytest.mark.parametrize("server", list(wire.SERVERS))
@pytest.mark.parametrize("workers", [1, 2])
def test_server_commands_bind_loopback_with_the_asked_workers(server: str, workers: int) -> None:
    peer = peers.BY_NAME["erlen-wsgi" if wire.SERVER_PROTOCOL[server] == "wsgi" else "raw-asgi"]
    command = wire.server_command(wire.Run(peer, server, workers), 8001)
    assert peer.target in command
    assert any("8001" in part for part in command)
    if server == "erlen-run":
        # exactly what a user types: no tuning flag but --workers beyond the default one
        assert command[1:4] == ["-m", "erlen", "run"]
        assert ("--workers" in command) is (workers > 1)
        return
    assert command[command.index("--workers") + 1] == str(workers)
    assert "--access-log" not in command
    if server == "granian-wsgi":
        threads = command[command.index("--blocking-threads") + 1]
        assert int(threads) == wire.granian_wsgi_threads()
    if server.startswith("uvicorn"):
        loop = command[command.index("--loop") + 1]
        assert loop == ("uvloop" if server == "uvicorn-uvloop" else "asyncio")


def test_plan_runs_puts_each_peer_on_the_servers_of_its_protocol() -> None:
    chosen = [peers.BY_NAME[name] for name in ("raw-wsgi", "erlen-wsgi", "erlen-asgi-sync")]
    runs = wire.plan_runs(chosen, ["gunicorn", "uvicorn-uvloop", "erlen-run"], [1, 2])
    keys = [run.key for run in runs]
    assert keys == [
        "raw-wsgi@gunicornx1",
        "erlen-wsgi@gunicornx1",
        "erlen-asgi-sync@uvicorn-uvloopx1",
        "erlen-run-defaults@erlen-runx1",
        "raw-wsgi@gunicornx2",
        "erlen-wsgi@gunicornx2",
        "erlen-asgi-sync@uvicorn-uvloopx2",
        "erlen-run-defaults@erlen-runx2",
    ]
    with pytest.raises(ValueError, match="unknown server"):
        wire.plan_runs(chosen, ["tornado"], [1])


def test_wire_options_select_the_matrix() -> None:
    from bench.__main__ import parse_args, select_wire_runs

    targets = [_load(peers.BY_NAME[name]) for name in ("flask", "raw-asgi", "quart")]
    options = parse_args(["--wire-only", "--servers", "granian-wsgi,granian-asgi"])
    # without --peers, only the default wire peers run (quart is not one)
    assert [run.key for run in select_wire_runs(options, targets)] == [
        "flask@granian-wsgix1",
        "raw-asgi@granian-asgix1",
    ]
    with pytest.raises(SystemExit, match="unknown server"):
        select_wire_runs(parse_args(["--servers", "nginx"]), targets)
    with pytest.raises(SystemExit, match="--workers"):
        select_wire_runs(parse_args(["--workers", "0"]), targets)


def test_read_banner_names_the_server_erlen_run_chose() -> None:
    log = (
        " * Serving erlen app 'bench.apps.erlen_app:app'\n"
        " * Server: granian, WSGI interface, 5 threads per worker (no async def view)\n"
    )
    kind, line = wire.read_banner(log) or ("", "")
    assert kind == "granian-wsgi"
    assert line.startswith("Server: granian, WSGI interface")
    assert wire.read_banner("nothing printed") is None


@pytest.mark.skipif(wire.wrk_path() is None, reason="wrk is not installed")
def test_every_server_kind_starts_answers_and_is_reported() -> None:
    """One short wrk run per server kind (raw apps, and erlen run): each serves; no timing."""
    chosen = [_load(peers.BY_NAME[name]).peer for name in ("raw-wsgi", "raw-asgi", "erlen-wsgi")]
    runs = [
        run
        for run in wire.plan_runs(chosen, list(wire.SERVERS), [1])
        if run.peer.name != "erlen-wsgi" or run.server == "erlen-run"
    ]
    assert {run.server for run in runs} == set(wire.SERVERS)
    wrk = wire.wrk_path()
    assert wrk is not None
    results = wire.measure_all(runs, [BY_NAME["index"]], wrk, "1s", rounds=1, warm_up=None)
    for result in results:
        assert result.errors == {}, (result.run.key, result.errors)
        assert result.rps["index"] > 0
    erlen_run = next(r for r in results if r.run.server == "erlen-run")
    assert erlen_run.chose == "granian-wsgi"
    text = "\n".join(report.wire_table(results, ["index"]))
    assert "erlen run defaults / raw WSGI, same server" in text
    assert "erlen-run-defaults" in text and "Server: granian" in text


class _BothProtocols:
    """Stands in for the erlen app: WSGI with two arguments, ASGI with three."""

    def __call__(self, *args: object) -> object:
        if len(args) == 2:
            return [b""]

        async def asgi() -> None:
            pass

        return asgi()


def _wsgi_only(environ: object, start_response: object) -> list[bytes]:
    return [b""]


async def _asgi_only(scope: object, receive: object, send: object) -> None:
    pass


@pytest.mark.parametrize(
    ("app", "expected"),
    [(_BothProtocols(), True), (_wsgi_only, False), (_asgi_only, True)],
    ids=["both", "wsgi-only", "asgi-only"],
)
def test_asgi_detection_tells_a_wsgi_only_app_apart(app: object, expected: bool) -> None:
    assert peers._accepts_asgi(app) is expected


def test_session_bench_serves_the_same_session_on_erlen_and_flask() -> None:
    import flask
    from bench import sessions

    import erlen

    ours, theirs = sessions.build(erlen), sessions.build(flask)
    cookie = sessions.session_cookie(theirs)  # Flask's cookie, read by erlen too
    for app in (ours, theirs):
        status, headers, body = sessions.call(app, cookie)
        assert status.startswith("200")
        assert body == b"visits: 2"
        assert any(name == "Set-Cookie" for name, _ in headers)
    timings = sessions.measure(rounds=1, batch=2)
    assert set(timings) == {"erlen", "flask"} and all(value > 0 for value in timings.values())


# -- instructions per request (bench/instructions.py) ---------------------------------


def test_instruction_report_takes_ratios_per_protocol_and_geomeans() -> None:
    counts = {
        "falcon-wsgi": {"a": 100.0, "b": 400.0},
        "erlen-wsgi": {"a": 50.0, "b": 800.0},
        "erlen-asgi": {"a": 10.0, "b": 10.0},
        "starlette": {"a": 20.0, "b": 20.0},
    }
    text = instructions.render(counts, ["a", "b"], 20, "test")
    assert "| a | 100 | 50 | 10 | 20 |" in text
    # geomeans: falcon-wsgi 200, erlen-wsgi 200 (ratio 1.000x); no falcon-asgi: no ratio
    assert "| erlen-wsgi | 200 | 1.000x |" in text
    assert "| erlen-asgi | 10 | - |" in text
    # an ASGI peer by the registry, not by its name: no WSGI reference for it
    assert "| starlette | 20 | - |" in text


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is installed by .ci/run")
def test_instruction_count_runs_each_endpoint_once_under_valgrind(tmp_path: Path) -> None:
    out = tmp_path / "instructions.md"
    assert (
        instructions.main(
            [
                "--peers=erlen-wsgi",
                "--endpoints=index,api_user",
                "--requests=10",
                "--warmup=5",
                f"--out={out}",
            ]
        )
        == 0
    )
    rows = {
        line.split("|")[1].strip(): line.split("|")[2].strip()
        for line in out.read_text().splitlines()
        if line.startswith(("| index ", "| api_user "))
    }
    index, api_user = (float(rows[name].replace(",", "")) for name in ("index", "api_user"))
    # A request costs thousands of instructions; a JSON body costs more than a string.
    assert 5_000 < index < api_user < 1_000_000
