"""``erlen.globals`` and ``copy_current_request_context``, against Flask, on both protocols."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import flask
import flask.globals

import erlen
import erlen.globals


def test_globals_module_has_flasks_names() -> None:
    for name in ("current_app", "g", "request", "session", "app_ctx", "request_ctx"):
        assert hasattr(flask.globals, name)
        assert hasattr(erlen.globals, name), name


def build(module: Any) -> Any:
    app = module.Flask("copied")
    app.secret_key = "k"
    results: list[str] = []

    @app.get("/later")
    def later() -> str:
        module.g.who = "ada"
        module.session["seen"] = "yes"

        @module.copy_current_request_context
        def in_thread() -> None:
            globals_ = module.globals
            results.append(
                f"{module.request.path} {module.g.get('who')} {module.session['seen']}"
                f" {globals_.request_ctx.request.path} {globals_.app_ctx.g.get('who')}"
            )

        thread = threading.Thread(target=in_thread)
        thread.start()
        thread.join()
        return results[-1]

    return app


def test_copy_current_request_context_runs_the_function_in_the_request(
    make_client: Callable[..., Any],
) -> None:
    ours = make_client(build(erlen)).get("/later").get_data()
    theirs = build(flask).test_client().get("/later").get_data()
    assert ours == theirs == b"/later None yes /later None"  # g is fresh there


def test_copy_current_request_context_outside_a_request_is_a_clear_error() -> None:
    import pytest

    with pytest.raises(RuntimeError, match="request context"):
        erlen.copy_current_request_context(lambda: None)
