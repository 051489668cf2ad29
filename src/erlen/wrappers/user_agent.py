"""The User-Agent header as Werkzeug 3.1 gives it (the raw string, unparsed)."""

from __future__ import annotations


class UserAgent:
    """The User-Agent header; ``string`` is the raw value (no parsing, as Werkzeug)."""

    __slots__ = ("string",)
    platform: str | None = None
    browser: str | None = None
    version: str | None = None
    language: str | None = None

    def __init__(self, string: str) -> None:
        self.string = string

    def to_header(self) -> str:
        """The header value."""
        return self.string

    def __str__(self) -> str:
        return self.string

    def __bool__(self) -> bool:
        return bool(self.browser)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.browser!r}/{self.version}>"
