"""Errors erlen raises at the API when a value it is given is wrong.

Each is a subclass of :class:`ValueError` or :class:`TypeError`, so code
written for Flask that catches those still works, and each message names the
field and the bad value.
"""

from __future__ import annotations


class ErlenError(Exception):
    """Base class of every error erlen raises for a bad argument."""


class HeaderValueError(ErlenError, ValueError):
    """A header name is not a token, or a name or value holds CR, LF or NUL."""


class StatusCodeError(ErlenError, ValueError):
    """A status is empty, not numeric, outside 100-599, or holds CR, LF or NUL."""


class CookieValueError(ErlenError, ValueError):
    """A cookie key, value or attribute cannot be sent safely."""


class LocationValueError(HeaderValueError):
    """A redirect target holds characters that cannot be sent in Location."""


class JSONValueError(ErlenError, ValueError):
    """A value cannot be encoded as valid JSON (NaN, Infinity, unknown types)."""


class RequestArgumentError(ErlenError, ValueError):
    """A test request argument has a value no request could carry."""


class AsyncBodyError(ErlenError, RuntimeError):
    """A sync body accessor was used on a response whose body is an async iterable."""


class EventValueError(ErlenError, ValueError):
    """A Server-Sent Event field or stream option has a value that cannot be sent."""


class MimetypeValueError(ErlenError, ValueError):
    """A mimetype given to content negotiation is not ``type/subtype``."""


class SettingValueError(ErlenError, ValueError):
    """A setting read from the environment (``ERLEN_SYNC_THREADS``) has a bad value."""


class ArgumentTypeError(ErlenError, TypeError):
    """An argument has a type erlen cannot use there (bytes where str is needed)."""


def describe(value: object) -> str:
    """Short repr for error messages: long values are cut so logs stay readable."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
