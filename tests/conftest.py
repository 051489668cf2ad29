"""Fixtures shared by the app behaviour tests: every test runs on WSGI and on ASGI.

``make_client(app)`` gives a test client for the protocol of the current
parametrization, so one test body checks both adapters and they cannot drift.
``twin(source)`` builds the same app source as an erlen app and a Flask app;
``compare(...)`` sends one request to both and asserts the wire results match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support import make_twin_apps, normalize_headers


@pytest.fixture(params=["wsgi", "asgi"])
def protocol(request: pytest.FixtureRequest) -> str:
    """The protocol the app is driven through: ``"wsgi"`` or ``"asgi"``."""
    return str(request.param)


@pytest.fixture(params=["fast", "general"])
def dispatch_path(request: pytest.FixtureRequest) -> str:
    """Which dispatch path erlen apps take: ``"fast"`` (the flattened paths where the
    app allows them) or ``"general"`` (forced through the hooks-capable path)."""
    return str(request.param)


@pytest.fixture
def make_client(protocol: str, dispatch_path: str) -> Callable[..., Any]:
    """``make_client(app, **kwargs)``: ``app.test_client(...)`` on the current protocol,
    with the app on the current dispatch path (so both paths give the same bytes)."""

    def make(app: Any, **kwargs: Any) -> Any:
        if dispatch_path == "general" and hasattr(app, "_force_general_dispatch"):
            app._force_general_dispatch = True
            app._reset_plan()
        return app.test_client(asgi=protocol == "asgi", **kwargs)

    return make


def _sorted_allow(name: str, value: str) -> tuple[str, str]:
    # Werkzeug lists Allow in set order (it varies with the hash seed); erlen sorts.
    if name == "allow":
        return name, ", ".join(sorted(value.split(", ")))
    return name, value


def wire(response: Any) -> tuple[int, str, list[tuple[str, str]], bytes]:
    """What a response put on the wire, header names lower-cased (ASGI sends them so)."""
    headers = normalize_headers(list(response.headers.items()), lower=True)
    return (
        response.status_code,
        response.status,
        [_sorted_allow(name, value) for name, value in headers],
        response.get_data(),
    )


@pytest.fixture
def compare(protocol: str, make_client: Callable[..., Any]) -> Callable[..., Any]:
    """``compare(twins, method, path, **kwargs)``: same request to erlen and Flask, same result.

    ``twins`` is ``(erlen_app, flask_app)``. Under ASGI the status phrase is the
    standard one (ASGI carries none), so only the code is compared there.
    ``same_body=False`` (HTTP error pages, worded by each framework) leaves the
    body and its length out. Returns the erlen response for further checks.
    """

    def run(
        twins: tuple[Any, Any], method: str, path: str, same_body: bool = True, **kwargs: Any
    ) -> Any:
        erlen_app, flask_app = twins
        ours = make_client(erlen_app).open(path, method=method, **kwargs)
        theirs = flask_app.test_client().open(path, method=method, **kwargs)
        got: list[Any] = list(wire(ours))
        expected: list[Any] = list(wire(theirs))
        if protocol == "asgi":
            got[1] = expected[1] = "<phrase not sent>"
        if not same_body:
            # Error pages are worded by each framework: only their framing must agree.
            for result in (got, expected):
                result[2] = [item for item in result[2] if item[0] != "content-length"]
                result[3] = b"<page>"
        assert got == expected
        return ours

    return run


@pytest.fixture
def twin() -> Callable[[str], tuple[Any, Any]]:
    """``twin(source)``: the source run as an erlen app and as a Flask app."""
    return make_twin_apps


@pytest.fixture
def xfail_on(protocol: str, request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``xfail_on("asgi", reason)``: a known bug on one protocol only (strict xfail)."""

    def mark(which: str, reason: str) -> None:
        if protocol == which:
            request.applymarker(pytest.mark.xfail(strict=True, reason=reason))

    return mark
