"""Bad input over a subprocess: one error line, and the user's traceback, never erlen's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.support import SYNC_APP, run_erlen, write

BAD_INPUT_ROWS = [
    ({}, ["--app", "nowhere", "run"], "Error: could not import 'nowhere'"),
    (
        {"app.py": "def create_app():\n    raise KeyError('missing setting')\n"},
        ["run"],
        "Error: --app 'app': factory 'create_app()' raised KeyError: 'missing setting'",
    ),
    (
        {"app.py": SYNC_APP + "\n@app.cli.command()\ndef broken():\n    1 / 0\n"},
        ["broken"],
        "Error: the command failed: ZeroDivisionError: division by zero",
    ),
    ({"app.py": SYNC_APP}, ["--env-file", "missing.env", "run"], "does not exist"),
    ({"app.py": SYNC_APP}, ["run", "--threads", "0"], "0 is not in the range x>=1"),
]


@pytest.mark.parametrize(
    ("files", "argv", "last_line"),
    BAD_INPUT_ROWS,
    ids=["wrong-app", "factory-raises", "command-fails", "missing-env-file", "threads-0"],
)
def test_bad_input_one_line_no_erlen_traceback(
    tmp_path: Path, files: dict[str, str], argv: list[str], last_line: str
) -> None:
    for name, source in files.items():
        write(tmp_path, name, source)
    result = run_erlen(tmp_path, argv)
    assert result.returncode != 0
    assert last_line in result.stderr.strip().splitlines()[-1]
    # The user's frames may be shown; erlen's and click's never.
    assert "erlen/cli.py" not in result.stderr and "click/" not in result.stderr


def test_factory_traceback_shows_the_users_line(tmp_path: Path) -> None:
    write(tmp_path, "app.py", "def create_app():\n    raise KeyError('missing setting')\n")
    result = run_erlen(tmp_path, ["run"])
    assert 'app.py", line 2, in create_app' in result.stderr
    assert result.stderr.count("Traceback") == 1
