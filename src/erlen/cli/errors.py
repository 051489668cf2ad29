"""How the command line fails: one error line, after the user's own traceback when there is one."""

from __future__ import annotations

import os
import traceback
from typing import Any

import click

# The erlen package (this file is in erlen/cli/): its frames are not the user's.
_ERLEN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class NoAppException(click.UsageError):
    """The app could not be found, imported or built; shown as one line, exit code 2."""

    def __init__(self, message: str, user_traceback: str | None = None) -> None:
        super().__init__(message)
        #: The traceback of the user's own code that failed, if any.
        self.user_traceback = user_traceback

    def show(self, file: Any = None) -> None:
        """Print the user's traceback (when there is one) and one error line."""
        if self.user_traceback:
            click.echo(self.user_traceback.rstrip(), err=True)
        click.echo(f"Error: {self.format_message()}", err=True)


#: The name earlier erlen versions used.
CLIError = NoAppException


class _ConfigError(click.UsageError):
    """A bad combination of options; one line, exit code 2."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


# --- the user's traceback -------------------------------------------------------


def _is_own_frame(filename: str) -> bool:
    """True for frames of erlen, click and importlib: not the user's code."""
    if filename.startswith("<frozen "):
        return True
    path = os.path.abspath(filename)
    return path.startswith(_ERLEN_DIR + os.sep) or path.startswith(
        os.path.dirname(os.path.abspath(click.__file__)) + os.sep
    )


def user_traceback(error: BaseException) -> str:
    """The traceback of ``error`` keeping only the user's frames."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not _is_own_frame(frame.filename)
    ]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines)
