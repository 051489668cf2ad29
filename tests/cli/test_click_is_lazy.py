"""click is imported by the command line only, never by ``import erlen`` or serving."""

from __future__ import annotations

import os
import subprocess
import sys


def test_importing_erlen_and_serving_imports_no_click() -> None:
    code = (
        "import sys, erlen\n"
        "app = erlen.Erlen('x')\n"
        "app.route('/')(lambda: 'ok')\n"
        "assert app.test_client().get('/').data == b'ok'\n"
        "import erlen.testing\n"
        "assert 'click' not in sys.modules, 'click imported'\n"
        "assert app.cli is not None and 'click' in sys.modules\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
