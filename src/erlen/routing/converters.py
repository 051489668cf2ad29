"""URL converters: the typed variables of a rule (``<int:id>``) and the default table."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from erlen.errors import describe
from erlen.routing.exceptions import RuleError, ValidationError

if TYPE_CHECKING:
    from erlen.routing.map import Map


# Characters left unescaped in a path segment / a query (WHATWG URL spec sets,
# the ones Werkzeug uses), so built URLs are byte-identical to Flask's.
_PATH_SAFE = "!$&'()*+,/:;=@"
_QUERY_SAFE = "!$'()*,/:;?@"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class BaseConverter:
    """Turns one URL variable into a Python value and back.

    Subclass and register with ``url_map.converters['name'] = MyConverter``;
    ``regex`` is what the variable matches, lower ``weight`` is tried first,
    and ``to_python`` may raise :class:`ValidationError` to refuse a value.
    """

    regex = "[^/]+"
    weight = 100
    part_isolating = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that sets its own regex spanning "/" must not be matched
        # one segment at a time, unless it says otherwise explicitly.
        if "regex" in cls.__dict__ and "part_isolating" not in cls.__dict__:
            cls.part_isolating = "/" not in cls.regex

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        self.map = map

    def to_python(self, value: str) -> Any:
        """The view argument for the matched text."""
        return value

    def to_url(self, value: Any) -> str:
        """The URL text for a value, percent-encoded as a path segment."""
        return quote(str(value), safe=_PATH_SAFE)


class UnicodeConverter(BaseConverter):
    """The default: one path segment, with optional ``minlength``/``maxlength``/``length``."""

    def __init__(
        self,
        map: Map,
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map)
        if length is not None:
            self.regex = f"[^/]{{{int(length)}}}"
        else:
            upper = "" if maxlength is None else str(int(maxlength))
            self.regex = f"[^/]{{{int(minlength)},{upper}}}"


class AnyConverter(BaseConverter):
    """One of a fixed set of words: ``<any(about, help):page>``."""

    def __init__(self, map: Map, *items: str) -> None:
        super().__init__(map)
        self.items = set(items)
        self.regex = "(?:" + "|".join(re.escape(item) for item in items) + ")"

    def to_url(self, value: Any) -> str:
        if value in self.items:
            return str(value)
        choices = ", ".join(repr(str(item)) for item in sorted(self.items))
        raise RuleError(f"any() value {describe(value)} is not one of {choices}")


class PathConverter(BaseConverter):
    """Like the default converter but spans slashes: ``<path:filename>``."""

    part_isolating = False
    regex = "[^/].*?"
    weight = 200


class NumberConverter(BaseConverter):
    """Shared behaviour of ``int`` and ``float``: ``min``, ``max``, ``signed``."""

    weight = 50
    num_convert: Callable[[Any], Any] = int

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | float | None = None,
        max: int | float | None = None,
        signed: bool = False,
    ) -> None:
        if signed:
            self.regex = "-?" + self.regex
        super().__init__(map)
        self.fixed_digits = fixed_digits
        self.min = min
        self.max = max
        self.signed = signed

    def to_python(self, value: str) -> Any:
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        try:
            number = self.num_convert(value)
        except ValueError as error:
            raise ValidationError() from error
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        text = str(self.num_convert(value))
        return text.zfill(self.fixed_digits) if self.fixed_digits else text


class IntegerConverter(NumberConverter):
    """Non-negative integers (``signed=True`` allows a minus): ``<int:id>``."""

    regex = r"\d+"

    def to_python(self, value: str) -> Any:
        # PERF: ``<int:id>`` without bounds or a digit count (the usual
        # form) needs only the conversion; the regex already checked the text.
        if self.fixed_digits or self.min is not None or self.max is not None:
            return super().to_python(value)
        try:
            return int(value)
        except ValueError as error:  # more digits than int() accepts
            raise ValidationError() from error


class FloatConverter(NumberConverter):
    """Decimal numbers with a dot: ``<float:ratio>``."""

    regex = r"\d+\.\d+"
    num_convert = float

    def __init__(
        self,
        map: Map,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, min=min, max=max, signed=signed)


class UUIDConverter(BaseConverter):
    """A UUID in 8-4-4-4-12 hex form, given to the view as ``uuid.UUID``."""

    regex = r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_url(self, value: Any) -> str:
        return str(value)


DEFAULT_CONVERTERS: Mapping[str, type[BaseConverter]] = MappingProxyType(
    {
        "default": UnicodeConverter,
        "string": UnicodeConverter,
        "any": AnyConverter,
        "path": PathConverter,
        "int": IntegerConverter,
        "float": FloatConverter,
        "uuid": UUIDConverter,
    }
)
