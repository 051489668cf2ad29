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
from bench.peers import PEERS, Peer, PeerUnavailable, Target, load

DEFAULT_OUT = Path(__file__).resolve().parent / "RESULTS.md"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="short batches and few rounds (well under a minute)"
    )
    parser.add_argument(
        "--wire", action="store_true", help="also load each peer on gunicorn/uvicorn with wrk"
    )
    parser.add_argument(
        "--routes", action="store_true", help="also time erlen and Flask with 10 vs 1,000 routes"
    )
    parser.add_argument(
        "--peers", default="", help="comma-separated peer names to run (default: all)"
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
    settings = Settings.quick() if options.quick else Settings.full()
    command = "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv)
    load_at_start = report.load_average()
    out: list[str] = []

    _say("checking correctness ...")
    targets, check_lines = check_peers(select_peers(options.peers))
    for line in check_lines:
        _say(line)
    out += ["", "## Correctness", "", *check_lines]

    out += [
        "",
        "## In-process",
        "",
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
            duration = "1s" if options.quick else "2s"
            rounds = 1 if options.quick else 3
            endpoints = [ENDPOINTS_BY_NAME[name] for name in WIRE_ENDPOINTS]
            out += [
                f"`wrk -t1 -c16 -d{duration}` per endpoint and peer; servers on 127.0.0.1, all"
                " started first and each endpoint warmed up for 0.5 s. Median of"
                f" {rounds} round(s); each round loads every peer, in an order rotated per round.",
                "",
            ]
            _say(f"wire: {len(targets)} servers, {rounds} round(s) ...")
            results = wire.measure_all([t.peer for t in targets], endpoints, wrk, duration, rounds)
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
