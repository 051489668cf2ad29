"""``python -m bench``: check every peer, time the correct ones, write RESULTS.md."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import report, routes, wire
from bench.check import check_target
from bench.endpoints import BY_NAME as ENDPOINTS_BY_NAME, ENDPOINTS, WIRE_ENDPOINTS
from bench.inprocess import Settings, measure
from bench.peers import PEERS, WIRE_PEERS, Peer, PeerUnavailable, Target, load

DEFAULT_OUT = Path(__file__).resolve().parent / "RESULTS.md"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="short batches and few rounds (well under a minute)"
    )
    parser.add_argument(
        "--wire",
        action="store_true",
        help="also load peers on real servers (gunicorn, granian, uvicorn, erlen run) with wrk",
    )
    parser.add_argument(
        "--wire-only",
        action="store_true",
        help="check correctness, then only the over-the-wire run (implies --wire)",
    )
    parser.add_argument(
        "--servers",
        default=",".join(wire.SERVERS),
        help=f"comma-separated server kinds for --wire (default: all of {', '.join(wire.SERVERS)})",
    )
    parser.add_argument(
        "--workers",
        default="1",
        help="comma-separated worker counts for --wire, e.g. 1,2 (default: 1)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=16,
        help="wrk connections for --wire (default: 16, one wrk thread)",
    )
    parser.add_argument(
        "--routes", action="store_true", help="also time erlen and Flask with 10 vs 1,000 routes"
    )
    parser.add_argument(
        "--peers",
        default="",
        help="comma-separated peer names to run (default: all; for --wire: "
        + ",".join(WIRE_PEERS)
        + ")",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="where to write the Markdown results (default: bench/RESULTS.md)",
    )
    return parser.parse_args(argv)


def select_peers(names: str) -> list[Peer]:
    """The peers named on the command line, in table order; all when none are named."""
    if not names:
        return list(PEERS)
    wanted = {name.strip() for name in names.split(",") if name.strip()}
    unknown = wanted - {peer.name for peer in PEERS}
    if unknown:
        raise SystemExit(
            f"unknown peer(s): {', '.join(sorted(unknown))}; "
            f"known: {', '.join(p.name for p in PEERS)}"
        )
    return [peer for peer in PEERS if peer.name in wanted]


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def select_wire_runs(options: argparse.Namespace, targets: Sequence[Target]) -> list[wire.Run]:
    """The wire matrix the options ask for: peers x server kinds of their protocol x workers."""
    servers = _names(options.servers)
    unknown = [server for server in servers if server not in wire.SERVERS]
    if unknown:
        raise SystemExit(
            f"unknown server kind(s): {', '.join(unknown)}; known: {', '.join(wire.SERVERS)}"
        )
    try:
        workers = [int(count) for count in _names(options.workers)]
    except ValueError:
        raise SystemExit(f"--workers takes whole numbers, got {options.workers!r}") from None
    if not workers or min(workers) < 1:
        raise SystemExit(f"--workers takes counts of 1 or more, got {options.workers!r}")
    peers = [target.peer for target in targets]
    if not options.peers:
        peers = [peer for peer in peers if peer.name in WIRE_PEERS]
    return wire.plan_runs(peers, servers, workers)


def check_peers(peers: Sequence[Peer]) -> tuple[list[Target], list[str]]:
    """Load and check every peer; the correct ones, and a report line for each peer."""
    good: list[Target] = []
    lines: list[str] = []
    for peer in peers:
        try:
            target = load(peer, ENDPOINTS)
        except PeerUnavailable as error:
            lines.append(f"- **{peer.name}**: skipped: {error}")
            continue
        failures = check_target(target, ENDPOINTS)
        if failures:
            lines.append(f"- **{peer.name}**: FAILED, excluded from timing:")
            lines += [f"  - `{name}`: {'; '.join(problems)}" for name, problems in failures.items()]
        else:
            lines.append(f"- **{peer.name}**: all {len(ENDPOINTS)} endpoints correct")
            good.append(target)
    return good, lines


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    if options.wire_only:
        options.wire = True
    settings = Settings.quick() if options.quick else Settings.full()
    command = "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv)
    load_at_start = report.load_average()
    out: list[str] = []

    _say("checking correctness ...")
    targets, check_lines = check_peers(select_peers(options.peers))
    for line in check_lines:
        _say(line)
    out += ["", "## Correctness", "", *check_lines]

    if not options.wire_only:
        out += ["", "## In-process", ""]
        out += [
            f"{settings.rounds} interleaved rounds, batches of about "
            f"{settings.batch_seconds * 1000:.0f} ms per peer and endpoint; medians shown.",
            "",
        ]
        if targets:
            _say(f"timing {len(targets)} peers in-process ...")
            timings = measure(targets, ENDPOINTS, settings, progress=_say)
            out += report.inprocess_tables(timings)
        else:
            out.append("No peer passed the correctness check.")

    if options.wire:
        out += ["", "## Over the wire", ""]
        wrk = wire.wrk_path()
        if wrk is None:
            _say("wrk is not installed: skipping the over-the-wire run")
            out.append("Skipped: `wrk` is not installed.")
        else:
            duration = "1s"
            rounds = 1 if options.quick else 3
            endpoints = [ENDPOINTS_BY_NAME[name] for name in WIRE_ENDPOINTS]
            runs = select_wire_runs(options, targets)
            out += [
                f"`wrk -t1 -c{options.connections} -d{duration}` per endpoint and run; servers on"
                " 127.0.0.1, all started first and each warmed up for 1 s. Median of"
                f" {rounds} round(s); each round loads every run, in an order rotated per round."
                f" Server kinds: {', '.join(_names(options.servers))}; workers:"
                f" {options.workers}.",
                "",
                *[f"- `{kind}`: {label}" for kind, label in wire.SERVERS.items()],
                "",
            ]
            _say(f"wire: {len(runs)} servers, {rounds} round(s) ...")
            results = wire.measure_all(
                runs,
                endpoints,
                wrk,
                duration,
                rounds,
                connections=options.connections,
                progress=_say,
            )
            out += report.wire_table(results, list(WIRE_ENDPOINTS))

    if options.routes:
        _say("route-count experiment ...")
        out += [
            "",
            "## Route count",
            "",
            routes.__doc__.strip().split("\n\n")[1].replace("\n", " ") if routes.__doc__ else "",
            "",
        ]
        route_timings, skipped = routes.run(settings)
        if route_timings is not None:
            out += report.routes_table(route_timings)
        if skipped:
            out.append("")
        for name, reason in skipped.items():
            out.append(f"- {name}: skipped: {reason}")

    facts = report.environment()
    facts.append(("load average at start", load_at_start))
    facts.append(("load average at end", report.load_average()))
    header = [
        "# erlen benchmark results",
        "",
        f"Written by `{command.strip()}`. Method: see [README.md](README.md).",
        "",
        "## Environment",
        "",
        *report._table(["fact", "value"], [[key, value] for key, value in facts]),
    ]
    text = "\n".join(header + out) + "\n"
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(text, encoding="utf-8")
    print(text)
    _say(f"wrote {options.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
