"""Route-count experiment: does matching slow down as an app registers more routes?

The same Flask-style code builds a Flask app and an erlen app with 10 and with
1,000 rules: half static (``/section<i>``), half dynamic
(``/section<i>/<int:item_id>``), and the two measured rules registered last, so
a matcher that scans rules in order pays for all of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from bench.check import check_target
from bench.endpoints import Endpoint
from bench.inprocess import Settings, Timings, measure
from bench.peers import Peer, Target, wrap_app

ROUTE_COUNTS: tuple[int, ...] = (10, 1000)
STATIC = Endpoint("static", "/about", 200, body=b"About")
DYNAMIC = Endpoint("dynamic", "/users/42", 200, body=b"User 42")
FRAMEWORKS: dict[str, str] = {"flask": "flask", "erlen": "erlen"}


def build_app(flask_class: Any, route_count: int) -> Any:
    """A Flask-style app with ``route_count`` rules, the measured two last."""
    app = flask_class(__name__)
    filler = route_count - 2

    def section(item_id: int = 0) -> str:
        return f"Section {item_id}"

    for index in range(filler):
        if index % 2 == 0:
            app.route(f"/section{index}", endpoint=f"section{index}")(section)
        else:
            app.route(f"/section{index}/<int:item_id>", endpoint=f"item{index}")(section)

    def about() -> str:
        return "About"

    def user_by_id(id: int) -> str:
        return f"User {id}"

    app.route("/about")(about)
    app.route("/users/<int:id>")(user_by_id)
    return app


def build_targets(frameworks: Sequence[str]) -> tuple[list[Target], dict[str, str]]:
    """Targets named ``<framework>/<count>`` and why any framework was left out."""
    targets: list[Target] = []
    skipped: dict[str, str] = {}
    for framework in frameworks:
        try:
            module = importlib.import_module(FRAMEWORKS[framework])
            flask_class = module.Flask
            for count in ROUTE_COUNTS:
                peer = Peer(f"{framework}/{count}", "wsgi", "-", framework)
                targets.append(wrap_app(peer, build_app(flask_class, count), (STATIC, DYNAMIC)))
        except Exception as error:  # erlen may be mid-way: report it, keep going
            skipped[framework] = f"{type(error).__name__}: {error}"
            targets = [t for t in targets if not t.peer.name.startswith(framework + "/")]
    return targets, skipped


def run(
    settings: Settings, frameworks: Sequence[str] = ("flask", "erlen")
) -> tuple[Timings | None, dict[str, str]]:
    """Check then time static and dynamic paths at each route count."""
    targets, skipped = build_targets(frameworks)
    good: list[Target] = []
    for target in targets:
        failures = check_target(target, (STATIC, DYNAMIC))
        if failures:
            skipped[target.peer.name] = f"wrong answers: {failures}"
        else:
            good.append(target)
    if not good:
        return None, skipped
    return measure(good, (STATIC, DYNAMIC), settings), skipped
