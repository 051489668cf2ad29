"""``python -m bench.json_encode``: what ``app.json.response`` costs per call with
the standard library only and with orjson, on small and large values.

Each case is timed through ``DefaultJSONProvider.dumps`` with the arguments
``response`` passes (compact separators; ``indent=2`` for debug mode), once with
orjson blocked and once with it allowed, rounds interleaved, the fastest round
reported in µs per call (on a shared machine the other rounds measure the
neighbours). ``walk`` is the check that decides whether a
value may go to orjson (``erlen.json._orjson.plain_size``), ``bare orjson`` is
``orjson.dumps`` alone: the floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import sys
import time
from collections.abc import Callable
from typing import Any

USER: dict[str, Any] = {"id": 123, "username": "alice", "email": "alice@example.com"}


class _Level(enum.IntEnum):
    LOW = 1


def _rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "name": f"user{i}",
            "email": f"user{i}@example.com",
            "score": i * 1.5,
            "active": i % 2 == 0,
            "tags": ["a", "b"],
        }
        for i in range(count)
    ]


CASES: dict[str, Any] = {
    "2-key dict": {"id": 1, "name": "x"},
    "spec user (3 keys)": USER,
    "10 rows x 6 keys": _rows(10),
    "100 rows x 6 keys": _rows(100),
    "1,000 rows x 6 keys": _rows(1000),
    "1,000 rows, a datetime each": [
        {**row, "created": dt.datetime(2026, 12, 7, 4, 21)} for row in _rows(1000)
    ],
    # Left to json: the walk finds an Enum (its cost is wasted) ...
    "1,000 rows + an Enum": [*_rows(1000), {"level": _Level.LOW}],
    # ... or orjson's output is not ASCII (walk and orjson wasted: the worst case).
    "1,000 rows, one name 'é'": [*_rows(999), {"name": "é"}],
}


class _Provider:
    def __init__(self) -> None:
        from erlen.json import DefaultJSONProvider

        self.debug = False
        self.response_class = None
        self.json = DefaultJSONProvider(self)


def _per_call(function: Callable[[], Any], batch: int) -> float:
    start = time.perf_counter()
    for _ in range(batch):
        function()
    return (time.perf_counter() - start) / batch * 1e6


def measure(rounds: int, budget: float) -> list[tuple[str, str, dict[str, float]]]:
    import orjson

    from erlen.json import _orjson

    if not _orjson.orjson_active():
        raise SystemExit("orjson is not installed or did not pass erlen's probes")
    loaded = _orjson._loaded
    provider = _Provider().json
    results = []
    for name, value in CASES.items():
        for mode, kwargs, option in (
            ("compact", {"separators": (",", ":")}, orjson.OPT_SORT_KEYS),
            ("indent=2", {"indent": 2}, orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2),
        ):

            def encode(value: Any = value, kwargs: dict[str, Any] = kwargs) -> str:
                return provider.dumps(value, **kwargs)

            def stdlib(value: Any = value, kwargs: dict[str, Any] = kwargs) -> str:
                _orjson._loaded = False
                try:
                    return provider.dumps(value, **kwargs)
                finally:
                    _orjson._loaded = loaded

            timed: dict[str, Callable[[], Any]] = {
                "stdlib": stdlib,
                "with orjson": encode,
                "walk": lambda value=value: _orjson.plain_size(value, True),
                "bare orjson": lambda value=value, option=option: orjson.dumps(
                    value, option=option
                ),
            }
            single = _per_call(stdlib, 3)
            batch = max(1, int(budget / max(single, 0.1)))
            samples: dict[str, list[float]] = {label: [] for label in timed}
            for _ in range(rounds):
                for label, function in timed.items():
                    samples[label].append(_per_call(function, batch))
            results.append((name, mode, {label: min(s) for label, s in samples.items()}))
    return results


def table(results: list[tuple[str, str, dict[str, float]]]) -> str:
    lines = [
        "| value | mode | stdlib µs | with orjson µs | speed-up | walk µs | bare orjson µs |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, mode, times in results:
        lines.append(
            f"| {name} | {mode} | {times['stdlib']:.2f} | {times['with orjson']:.2f}"
            f" | {times['stdlib'] / times['with orjson']:.2f}x | {times['walk']:.2f}"
            f" | {times['bare orjson']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--budget-us", type=float, default=20000.0, help="µs per batch")
    args = parser.parse_args(argv)
    print(table(measure(args.rounds, args.budget_us)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
