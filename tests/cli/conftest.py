"""Fixtures of the command line tests: a clean import state (autouse), a recorded server start."""

from __future__ import annotations

from typing import Any

import pytest

import erlen.cli as cli
from erlen.cli import ScriptInfo
from tests.cli.support import isolated_imports  # noqa: F401 (autouse here)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[ScriptInfo, Any, cli.RunOptions]]:
    """Replace starting the server with a record of what would be started."""
    calls: list[tuple[ScriptInfo, Any, cli.RunOptions]] = []
    monkeypatch.setattr(cli.run, "start_server", lambda *args: calls.append(args))
    return calls
