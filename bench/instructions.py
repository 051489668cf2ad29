"""``python -m bench.instructions``: CPU instructions per request, counted by valgrind.

This VM's wall-clock times drift by up to 2x between runs, so a 5% change
cannot be read from them. The number of instructions a request executes does
not drift: each peer runs in its own process under ``valgrind --tool=callgrind``
and the same requests as ``python -m bench`` (bench.drivers) are counted, one
endpoint at a time, only while the measured loop runs. The report gives
instructions per request and the ratio to Falcon on the same protocol.

Instructions are not time (cache misses and branch mispredictions are not
counted), but for the same interpreter they move with it, and two versions of
erlen can be compared exactly: run this once in each checkout (or with an
older ``src`` first on ``PYTHONPATH``) and compare the tables.

The loop is entered through ``functools.reduce``: callgrind starts counting
when that C function is entered and writes the counts out when it returns
(``--toggle-collect``, ``--dump-after``). No peer calls ``reduce`` while
serving a request (checked: a nested call would add dump files, and the run
stops with an error).
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from bench.endpoints import BY_NAME as ENDPOINTS_BY_NAME, ENDPOINTS
from bench.peers import FALCON, PEERS, load

DEFAULT_PEERS = ("falcon-wsgi", "erlen-wsgi", "falcon-asgi", "erlen-asgi")
# The C function of functools.reduce, the marker around each measured loop.
_MARKER = "functools_reduce"
_PROTOCOLS = {peer.name: peer.protocol for peer in PEERS}
_TOTALS = re.compile(rb"^(?:totals|summary):\s*(\d+)", re.MULTILINE)


def _child(peer_name: str, endpoint_names: list[str], requests: int, warmup: int) -> None:
    """Run inside valgrind: warm every endpoint, then one counted loop per endpoint."""
    peer = next(peer for peer in PEERS if peer.name == peer_name)
    endpoints = tuple(ENDPOINTS_BY_NAME[name] for name in endpoint_names)
    target = load(peer, endpoints)
    timers = [target.timer(endpoint) for endpoint in endpoints]
    for timer in timers:
        timer(warmup)
    for timer in timers:
        # Counted from here until reduce returns (see the module docstring).
        functools.reduce(lambda _, count: timer(count), (requests,), 0.0)


def _count_peer(
    peer_name: str, endpoint_names: list[str], requests: int, warmup: int, python: str
) -> dict[str, float]:
    """Instructions per request for each endpoint of one peer (a child under valgrind)."""
    with tempfile.TemporaryDirectory(prefix="erlen-instructions-") as folder:
        out = Path(folder) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            "--collect-atstart=no",
            f"--toggle-collect={_MARKER}",
            f"--dump-after={_MARKER}",
            python,
            "-m",
            "bench.instructions",
            "--child",
            peer_name,
            "--endpoints",
            ",".join(endpoint_names),
            "--requests",
            str(requests),
            "--warmup",
            str(warmup),
        ]
        # Hash seeds move dict layouts, and with them a few instructions.
        environment = {**os.environ, "PYTHONHASHSEED": "0"}
        result = subprocess.run(command, capture_output=True, env=environment, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"{peer_name}: the child failed:\n{result.stderr.decode(errors='replace')[-2000:]}"
            )
        # One file per reduce call, in call order (callgrind numbers them .1, .2, ...);
        # the last file is written at exit with nothing collected.
        dumps = sorted(
            (path for path in Path(folder).iterdir() if re.search(r"\.\d+$", path.name)),
            key=lambda path: int(path.name.rsplit(".", 1)[1]),
        )
        totals = []
        for path in dumps:
            match = _TOTALS.search(path.read_bytes())
            totals.append(int(match.group(1)) if match else 0)
        if len(totals) != len(endpoint_names):
            raise RuntimeError(
                f"{peer_name}: expected {len(endpoint_names)} counted loops, callgrind wrote"
                f" {len(totals)} (does the app call functools.reduce?)"
            )
        return {name: total / requests for name, total in zip(endpoint_names, totals, strict=True)}


def _geomean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(value) for value in values) / len(values))


def render(
    counts: dict[str, dict[str, float]], endpoint_names: list[str], requests: int, label: str
) -> str:
    """The report: instructions per request per endpoint, and each peer's geomean ratio."""
    peers = list(counts)
    lines = [
        "# erlen: instructions per request",
        "",
        f"Written by `python -m bench.instructions` ({label}). {requests} requests per endpoint,",
        "counted by callgrind after a warm-up; see the module docstring for the method.",
        "",
        "| endpoint | " + " | ".join(peers) + " |",
        "|---|" + "---:|" * len(peers),
    ]
    for name in endpoint_names:
        cells = [f"{counts[peer][name]:,.0f}" for peer in peers]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| peer | geomean instructions | vs Falcon (same protocol) |",
        "|---|---:|---:|",
    ]
    for peer in peers:
        geomean = _geomean([counts[peer][name] for name in endpoint_names])
        reference = FALCON[_PROTOCOLS[peer]]
        if reference in counts and reference != peer:
            base = _geomean([counts[reference][name] for name in endpoint_names])
            ratio = f"{geomean / base:.3f}x"
        else:
            ratio = "1.000x" if reference == peer else "-"
        lines.append(f"| {peer} | {geomean:,.0f} | {ratio} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument("--peers", default=",".join(DEFAULT_PEERS))
    parser.add_argument(
        "--endpoints",
        default=",".join(endpoint.name for endpoint in ENDPOINTS if endpoint.name != "template"),
        help="comma-separated endpoint names (default: all but template, whose Jinja"
        " rendering is the same library for every peer that has it)",
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2, help="peers counted at once")
    parser.add_argument("--label", default="", help="a note for the report's first line")
    parser.add_argument("--out", type=Path, help="write the report here (default: stdout)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    endpoint_names = [name for name in args.endpoints.split(",") if name]
    if args.child:
        _child(args.child, endpoint_names, args.requests, args.warmup)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    peer_names = [name for name in args.peers.split(",") if name]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {
            name: pool.submit(
                _count_peer, name, endpoint_names, args.requests, args.warmup, sys.executable
            )
            for name in peer_names
        }
        counts = {name: future.result() for name, future in futures.items()}
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    label = f"{stamp}, CPython {sys.version.split()[0]}" + (f", {args.label}" if args.label else "")
    text = render(counts, endpoint_names, args.requests, label)
    if args.out:
        args.out.write_text(text)
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
