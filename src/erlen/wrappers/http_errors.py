"""The HTTP errors the request raises, made by name (their module imported on first use)."""

from __future__ import annotations


def _http_error(name: str, description: str | None = None) -> Exception:
    from erlen import exceptions

    error: Exception = getattr(exceptions, name)(description)
    return error


def _nested_too_deeply(error: RecursionError) -> ValueError:
    # on_json_loading_failed takes a ValueError (as in Flask); keep the cause.
    converted = ValueError(f"JSON is nested too deeply to decode ({error})")
    converted.__cause__ = error
    return converted
