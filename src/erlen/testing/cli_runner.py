"""The CLI runner: click's ``CliRunner`` bound to an app, click imported on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# click is imported only when the runner is first asked for, so that the test
# client (and an app's test_request_context) never pays for it.

if TYPE_CHECKING:
    from click.testing import CliRunner

    from erlen.app import Erlen

_cli_runner_class: type[CliRunner] | None = None


def _make_cli_runner_class() -> type[CliRunner]:
    global _cli_runner_class
    if _cli_runner_class is not None:
        return _cli_runner_class
    from click.testing import CliRunner, Result

    class ErlenCliRunner(CliRunner):
        """A click ``CliRunner`` bound to an app: ``invoke()`` runs ``app.cli`` commands."""

        def __init__(self, app: Erlen, **kwargs: Any) -> None:
            self.app = app
            super().__init__(**kwargs)

        def invoke(  # type: ignore[override]
            self, cli: Any = None, args: Any = None, **kwargs: Any
        ) -> Result:
            """Invoke ``cli`` (default ``app.cli``) with ``args``; the app is the one loaded."""
            if cli is None:
                cli = self.app.cli
            if "obj" not in kwargs:
                from erlen.cli import ScriptInfo

                kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
            return super().invoke(cli, args, **kwargs)

    _cli_runner_class = ErlenCliRunner
    return ErlenCliRunner
