"""Environment facts and the Markdown tables of RESULTS.md."""

from __future__ import annotations

import importlib
import math
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from bench.inprocess import Timings
from bench.peers import BY_NAME, FALCON, RAW
from bench.wire import ERLEN_RUN_ROW, SERVER_PROTOCOL, WireResult

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = (
    "erlen",
    "flask",
    "werkzeug",
    "falcon",
    "bottle",
    "starlette",
    "quart",
    "gunicorn",
    "granian",
    "uvicorn",
    "uvloop",
    "httptools",
    "hypercorn",
    "orjson",
)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str:
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return "unknown"
    commit = completed.stdout.strip() or "unknown"
    return commit + (" (src/ has uncommitted changes)" if dirty.stdout.strip() else "")


def _falcon_compiled() -> str:
    try:
        module = importlib.import_module("falcon.app")
    except ImportError:
        return "n/a"
    compiled = not str(module.__file__).endswith(".py")
    return "yes (Cython)" if compiled else "no (pure Python)"


def _orjson_in_erlen() -> str:
    try:
        module = importlib.import_module("erlen.json")
    except Exception as error:
        return f"erlen.json not importable ({type(error).__name__})"
    flag = getattr(module, "ORJSON_ACTIVE", None)
    return "no flag in erlen.json" if flag is None else str(bool(flag))


def _wrk_version() -> str:
    from bench.wire import wrk_path

    wrk = wrk_path()
    if wrk is None:
        return "not installed"
    completed = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    text = (completed.stdout + completed.stderr).strip().splitlines()
    return text[0] if text else wrk


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: above ``nproc`` means shared, noisy cores."""
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def environment() -> list[tuple[str, str]]:
    """Facts that make a run reproducible and comparable with another."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    facts = [
        ("date", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("nproc", str(affinity if affinity is not None else os.cpu_count())),
        ("machine", f"{platform.machine()} {platform.system()} {platform.release()}"),
        ("python", f"{platform.python_implementation()} {sys.version.split()[0]}"),
        ("erlen commit", _git_commit()),
    ]
    facts += [(name, _version(name)) for name in LIBRARIES]
    facts += [
        ("falcon compiled", _falcon_compiled()),
        ("orjson active in erlen.json", _orjson_in_erlen()),
        ("wrk", _wrk_version()),
    ]
    return facts


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _ratio(value: float, reference: float | None) -> str:
    return f"{value / reference:.2f}x" if reference else "-"


def inprocess_tables(timings: Timings) -> list[str]:
    """The per-endpoint medians, then the geometric-mean summary with ratios."""
    peers = timings.peers
    rows = [
        [endpoint] + [f"{timings.median(p, endpoint):.1f}" for p in peers]
        for endpoint in timings.endpoints
    ]
    lines = ["### Median µs per request, per endpoint", ""]
    lines += _table(["endpoint", *peers], rows)
    geomeans = {peer: timings.geomean(peer) for peer in peers}
    lines += [
        "",
        "### Geometric mean over endpoints",
        "",
        "Ratios are this peer's time over the reference's: below 1.00x is faster. "
        "Falcon and raw are taken on the same protocol (WSGI or ASGI).",
        "",
    ]
    summary = []
    for peer in sorted(peers, key=geomeans.__getitem__):
        protocol = BY_NAME[peer].protocol if peer in BY_NAME else "wsgi"
        noise = max(timings.spread(peer, e) for e in timings.endpoints)
        summary.append(
            [
                peer,
                protocol,
                f"{geomeans[peer]:.1f}",
                _ratio(geomeans[peer], geomeans.get("flask")),
                _ratio(geomeans[peer], geomeans.get(FALCON[protocol])),
                _ratio(geomeans[peer], geomeans.get(RAW[protocol])),
                f"{noise * 100:.1f}%",
            ]
        )
    lines += _table(
        ["peer", "protocol", "geomean µs", "vs Flask", "vs Falcon", "vs raw", "worst MAD"], summary
    )
    return lines


def routes_table(timings: Timings) -> list[str]:
    """Static and dynamic cost at each route count, and the growth from fewest to most."""
    rows = []
    for peer in timings.peers:
        rows.append([peer] + [f"{timings.median(peer, e):.1f}" for e in timings.endpoints])
    lines = _table(["framework/routes", *[f"{e} µs" for e in timings.endpoints]], rows)
    frameworks = sorted({peer.split("/")[0] for peer in timings.peers})
    growth = []
    for framework in frameworks:
        mine = [p for p in timings.peers if p.startswith(framework + "/")]
        if len(mine) < 2:
            continue
        few, many = mine[0], mine[-1]
        growth.append(
            [f"{framework}: {many.split('/')[1]} vs {few.split('/')[1]} routes"]
            + [_ratio(timings.median(many, e), timings.median(few, e)) for e in timings.endpoints]
        )
    if growth:
        lines += ["", *_table(["growth", *timings.endpoints], growth)]
    return lines


def _geomean(result: WireResult, endpoints: list[str]) -> float | None:
    values = [result.rps[e] for e in endpoints if e in result.rps]
    if not values or len(values) != len(endpoints):
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _served_by(result: WireResult) -> str:
    """The server kind that served the row: for erlen-run, the one it chose."""
    return result.chose or result.run.server


def _find(results: list[WireResult], peer: str, server: str, workers: int) -> WireResult | None:
    for result in results:
        run = result.run
        if run.name == peer and run.server == server and run.workers == workers:
            return result
    return None


def wire_table(results: list[WireResult], endpoints: list[str]) -> list[str]:
    """Requests/s per endpoint, per worker count, with ratios to raw and to Flask on gunicorn."""
    lines = [
        'Ratios are requests/s over the reference\'s: above 1.00x is faster. "vs raw" is the'
        " raw callable of the same protocol on the same server kind and worker count;"
        ' "vs Flask/gunicorn" is Flask on gunicorn\'s sync worker with as many workers.',
    ]
    means = {id(r): _geomean(r, endpoints) for r in results}
    for workers in sorted({r.run.workers for r in results}):
        rows = []
        for result in (r for r in results if r.run.workers == workers):
            value = means[id(result)]
            served = _served_by(result)
            protocol = SERVER_PROTOCOL.get(served, BY_NAME[result.run.peer.name].protocol)
            raw = _find(results, RAW[protocol], served, workers)
            flask = _find(results, "flask", "gunicorn", workers)
            ratios = [
                _ratio(value, means[id(reference)]) if value and reference is not None else "-"
                for reference in (raw, flask)
            ]
            cells = [f"{result.rps[e]:,.0f}" if e in result.rps else "-" for e in endpoints]
            mean = f"{value:,.0f}" if value else "-"
            rows.append([result.peer, result.server, *cells, mean, *ratios])
        lines += ["", f"### {workers} worker{'s' if workers > 1 else ''}", ""]
        lines += _table(
            [
                "peer",
                "server",
                *[f"{e} req/s" for e in endpoints],
                "geomean req/s",
                "vs raw",
                "vs Flask/gunicorn",
            ],
            rows,
        )
    banners = [f"- {r.peer}, {r.run.workers} worker(s): `{r.banner}`" for r in results if r.banner]
    if banners:
        lines += ["", "What `erlen run` printed at start-up:", "", *banners]
        lines += [
            "",
            "`erlen run` writes no access log unless in debug mode or given `--access-log`,"
            " like the peers here; the erlen-wsgi row on the same server kind is the same app"
            " started by the server's own command.",
        ]
    lines += ["", *wire_targets(results, endpoints)]
    problems = [f"- {r.peer} ({r.server}): {k}: {v}" for r in results for k, v in r.errors.items()]
    if problems:
        lines += ["", "Problems:", "", *problems]
    return lines


# (what, numerator row, its server, denominator row, its server or None for "the same", floor)
WIRE_TARGETS: tuple[tuple[str, str, str, str, str | None, float], ...] = (
    ("erlen run defaults / raw WSGI, same server", ERLEN_RUN_ROW, "erlen-run", "raw", None, 0.75),
    ("erlen run defaults / Flask on gunicorn", ERLEN_RUN_ROW, "erlen-run", "flask", "gunicorn", 6),
    (
        "erlen run defaults / Flask on granian WSGI",
        ERLEN_RUN_ROW,
        "erlen-run",
        "flask",
        "granian-wsgi",
        2.5,
    ),
    (
        "Flask-style sync views (erlen-asgi-sync) / raw ASGI, uvicorn uvloop+httptools",
        "erlen-asgi-sync",
        "uvicorn-uvloop",
        "raw-asgi",
        "uvicorn-uvloop",
        0.6,
    ),
)


def wire_targets(results: list[WireResult], endpoints: list[str]) -> list[str]:
    """The issue's wire targets, as geometric-mean req/s ratios, per worker count."""
    rows = []
    for workers in sorted({r.run.workers for r in results}):
        for what, mine, my_server, theirs, their_server, floor in WIRE_TARGETS:
            numerator = _find(results, mine, my_server, workers)
            if numerator is None:
                continue
            served = _served_by(numerator)
            if theirs == "raw":
                theirs = RAW[SERVER_PROTOCOL.get(served, "wsgi")]
            denominator = _find(results, theirs, their_server or served, workers)
            top = _geomean(numerator, endpoints)
            bottom = _geomean(denominator, endpoints) if denominator is not None else None
            if top is None or bottom is None:
                rows.append([what, str(workers), "-", f">= {floor}x", "not measured"])
                continue
            ratio = top / bottom
            met = "yes" if ratio >= floor else "no"
            label = f"{what} ({denominator.run.server})" if denominator else what
            rows.append([label, str(workers), f"{ratio:.2f}x", f">= {floor}x", met])
    if not rows:
        return []
    lines = [
        "### Targets (issue 15; stated for one worker)",
        "",
        "Geometric mean of req/s over the loaded endpoints, this run only.",
        "",
    ]
    return lines + _table(["ratio", "workers", "measured", "target", "met"], rows)
