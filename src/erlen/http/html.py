"""HTML escaping for the pages erlen writes (redirects, error pages)."""

from __future__ import annotations


def escape_html(text: str) -> str:
    """Escape ``& < > " '`` for HTML text and attribute values.

    The same five entities markupsafe (and so Flask) writes, so pages match
    Flask's bytes.
    """
    # PERF: chained replace() runs in C; str.translate with a dict maps every
    # character in Python, and the usual text has nothing to replace.
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )
