"""The debug-mode traceback page: a pure function from an exception to HTML.

The page is read-only. It shows the exception, its message, every frame (file,
line, function, and the source lines around the failing one) and the request's
method and path, and it has no interactive console: Werkzeug's console runs
code sent from the browser behind a PIN; erlen opens no such door. Everything
taken from the exception, the source or the request is HTML-escaped.
"""

from __future__ import annotations

import linecache
import os
import sysconfig
import traceback
from html import escape

__all__ = ["render_traceback_page"]

#: Source lines shown before and after the failing line of each frame.
CONTEXT_LINES = 3

_LIBRARY_DIRS = tuple(
    os.path.abspath(path) + os.sep
    for path in {
        sysconfig.get_paths().get("stdlib", ""),
        sysconfig.get_paths().get("purelib", ""),
        sysconfig.get_paths().get("platlib", ""),
        os.path.dirname(os.path.abspath(__file__)),
    }
    if path
)

_STYLE = """
body { font: 15px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #8b1a1a; color: #fff; padding: 1em 1.5em; }
header h1 { margin: 0; font-size: 1.4em; }
header p { margin: .4em 0 0; white-space: pre-wrap; font-family: monospace; }
main { padding: 1em 1.5em; }
.request { font-family: monospace; color: #555; }
.frame { background: #fff; border: 1px solid #ddd; border-radius: 4px; margin: .8em 0; }
.frame.library { opacity: .65; }
.where { padding: .4em .8em; border-bottom: 1px solid #eee; font-family: monospace; }
pre { margin: 0; padding: .4em .8em; overflow-x: auto; font-size: 13px; }
.line { display: block; }
.line.current { background: #fde2e2; font-weight: bold; }
.lineno { color: #999; display: inline-block; min-width: 4ch; user-select: none; }
.chain { margin-top: 1.5em; font-style: italic; color: #555; }
""".strip()


def _is_library(filename: str) -> bool:
    """True for the standard library, installed packages and erlen itself."""
    return os.path.abspath(filename).startswith(_LIBRARY_DIRS)


def _source_context(filename: str, lineno: int | None) -> str:
    if lineno is None:
        return ""
    lines = linecache.getlines(filename)
    if not lines:
        return ""
    first = max(lineno - CONTEXT_LINES, 1)
    last = min(lineno + CONTEXT_LINES, len(lines))
    rendered = []
    for number in range(first, last + 1):
        text = escape(lines[number - 1].rstrip("\r\n"))
        current = " current" if number == lineno else ""
        rendered.append(
            f'<span class="line{current}"><span class="lineno">{number}</span> {text}</span>'
        )
    return "<pre>" + "".join(rendered) + "</pre>"


def _render_frames(error: BaseException) -> str:
    parts = []
    for frame in traceback.extract_tb(error.__traceback__):
        library = " library" if _is_library(frame.filename) else ""
        where = (
            f"File {escape(repr(frame.filename))}, line {frame.lineno},"
            f" in <b>{escape(frame.name)}</b>"
        )
        parts.append(
            f'<div class="frame{library}"><div class="where">{where}</div>'
            f"{_source_context(frame.filename, frame.lineno)}</div>"
        )
    return "".join(parts)


def _exception_line(error: BaseException) -> tuple[str, str]:
    kind = type(error)
    module = kind.__module__
    name = (
        kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"
    )
    return name, str(error)


def _chain(error: BaseException) -> list[tuple[BaseException, str]]:
    """The exceptions that led to ``error``, oldest first, each with how it led on."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above exception was the direct cause of"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "During handling of the above exception"
        else:
            current = None
    return list(reversed(chain))


def render_traceback_page(error: BaseException, method: str, path: str) -> str:
    """The HTML page debug mode answers with for an unhandled ``error`` in ``method path``."""
    name, message = _exception_line(error)
    sections = []
    chain = _chain(error)
    for index, (exception, _link) in enumerate(chain):
        if index:
            # Each earlier exception records how it led to the one after it.
            link = chain[index - 1][1]
            sections.append(f'<p class="chain">{escape(_link_text(link))}</p>')
        inner_name, inner_message = _exception_line(exception)
        sections.append(
            f"<h2>{escape(inner_name)}: {escape(inner_message)}</h2>"
            "<p>Traceback (most recent call last):</p>"
            f"{_render_frames(exception)}"
        )
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(name)}: {escape(message)} // erlen debug</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<header><h1>{escape(name)}</h1><p>{escape(message)}</p></header>"
        f'<main><p class="request">{escape(method)} {escape(path)}</p>'
        f"{''.join(sections)}"
        "<p><small>Debug mode is on: this page is shown because the app runs with"
        " --debug. Never run a public server in debug mode.</small></p>"
        "</main></body></html>\n"
    )


def _link_text(link: str) -> str:
    if link.startswith("The above"):
        return "The exception above was the direct cause of the following exception:"
    return "During handling of the exception above, another exception occurred:"
