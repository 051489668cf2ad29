"""``app.run()``: refused inside an ``erlen`` command, else it starts ``erlen run``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.support import make_cli_app, write


def test_app_run_refuses_inside_erlen_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_cli_app()
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: pytest.fail("must not start"))
    assert app.run() is None
    assert "Ignoring a call to 'app.run()'" in capsys.readouterr().err


def test_app_run_starts_erlen_run_for_the_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "runme.py", "from erlen import Erlen\nweb = Erlen(__name__)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import runme  # type: ignore[import-not-found]

    commands: list[list[str]] = []

    class FakeProcess:
        def __init__(self, command: list[str]) -> None:
            commands.append(command)

        def wait(self) -> int:
            return 0

    monkeypatch.setattr(subprocess, "Popen", FakeProcess)
    runme.web.run(port=8123, debug=True, use_reloader=False, ssl_context=("c", "k"), workers=2)
    [command] = commands
    assert command == [
        sys.executable,
        *("-m", "erlen", "--app", f"{tmp_path / 'runme.py'}:web", "--debug", "run"),
        *("--host", "127.0.0.1", "--port", "8123", "--no-reload"),
        *("--cert", "c", "--key", "k", "--workers", "2"),
    ]
    with pytest.raises(TypeError, match="unexpected options: bogus"):
        runme.web.run(bogus=1)
