"""In-process timing: interleaved rounds over all peers, medians over repetitions."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.endpoints import Endpoint
from bench.peers import Target


@dataclass(frozen=True)
class Settings:
    """How long to measure: the batch duration aimed at and how many rounds."""

    batch_seconds: float
    rounds: int
    max_batch: int = 200_000

    @classmethod
    def full(cls) -> Settings:
        return cls(batch_seconds=0.025, rounds=15)

    @classmethod
    def quick(cls) -> Settings:
        return cls(batch_seconds=0.01, rounds=5)

    @classmethod
    def tiny(cls) -> Settings:
        """A few requests per peer: the smoke test's run-through, not a measurement."""
        return cls(batch_seconds=0.0, rounds=1, max_batch=3)


@dataclass
class Timings:
    """Microseconds per request, every round's sample, by peer then endpoint."""

    peers: list[str]
    endpoints: list[str]
    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def median(self, peer: str, endpoint: str) -> float:
        return statistics.median(self.samples[peer][endpoint])

    def spread(self, peer: str, endpoint: str) -> float:
        """Median absolute deviation over the median: how noisy that cell was."""
        values = self.samples[peer][endpoint]
        middle = statistics.median(values)
        return statistics.median(abs(v - middle) for v in values) / middle if middle else 0.0

    def geomean(self, peer: str) -> float:
        """Geometric mean over endpoints of the medians: no one endpoint dominates."""
        logs = [math.log(self.median(peer, e)) for e in self.endpoints]
        return math.exp(sum(logs) / len(logs))


def calibrate(timer: Callable[[int], float], settings: Settings) -> int:
    """How many requests make one batch last about ``settings.batch_seconds``."""
    count = 1
    while count < settings.max_batch:
        elapsed = timer(count)
        if elapsed >= settings.batch_seconds / 4:
            scaled = int(count * settings.batch_seconds / max(elapsed, 1e-9))
            return max(1, min(settings.max_batch, scaled))
        count *= 4
    return settings.max_batch


def measure(
    targets: Sequence[Target],
    endpoints: Sequence[Endpoint],
    settings: Settings,
    progress: Callable[[str], None] | None = None,
) -> Timings:
    """Time every target on every endpoint, rotating the order each round.

    Every round visits each endpoint and, within it, every target once, starting
    from a different target each round, so drifts in machine speed (turbo, other
    load) fall on all peers alike instead of on whichever ran last.
    """
    timings = Timings([t.peer.name for t in targets], [e.name for e in endpoints])
    timers: dict[tuple[str, str], Callable[[int], float]] = {}
    counts: dict[tuple[str, str], int] = {}
    for target in targets:
        timings.samples[target.peer.name] = {e.name: [] for e in endpoints}
        for endpoint in endpoints:
            key = (target.peer.name, endpoint.name)
            timers[key] = target.timer(endpoint)
            # calibration doubles as the warm-up (imports, caches, lazy setup)
            counts[key] = calibrate(timers[key], settings)
    names = timings.peers
    for round_number in range(settings.rounds):
        if progress is not None:
            progress(f"round {round_number + 1}/{settings.rounds}")
        shift = round_number % len(names)
        order = names[shift:] + names[:shift]
        for endpoint in endpoints:
            for name in order:
                key = (name, endpoint.name)
                elapsed = timers[key](counts[key])
                timings.samples[name][endpoint.name].append(elapsed / counts[key] * 1e6)
    return timings
