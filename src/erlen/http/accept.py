"""Accept headers: what the client takes, with quality values, and content negotiation.

``parse_accept_header`` reads ``Accept``, ``Accept-Language``, ``Accept-Charset``
and ``Accept-Encoding`` into an :class:`Accept` (or one of its subclasses):
an immutable list of ``(value, quality)`` pairs ordered most specific and
best first, with ``best_match`` to pick among the values a server offers. The
results and the matching rules are those of ``werkzeug.datastructures``.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from typing import Any, SupportsIndex, TypeVar, overload

from erlen.errors import MimetypeValueError, describe
from erlen.http.datastructures import ImmutableList
from erlen.http.header_types import parse_list_header
from erlen.http.mime import dump_options_header, parse_options_header

__all__ = [
    "Accept",
    "CharsetAccept",
    "LanguageAccept",
    "MIMEAccept",
    "parse_accept_header",
]

A = TypeVar("A", bound="Accept")

# A quality value as Werkzeug accepts it (then range-checked): digits, one dot.
_QUALITY = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
# Where a media range splits into type, subtype and parameters.
_MIME_PARTS = re.compile(r"/|(?:[ \t]*;[ \t]*)")
_LANGUAGE_SEPARATOR = re.compile(r"[_-]")


class Accept(ImmutableList[tuple[str, float]]):
    """``(value, quality)`` pairs from an Accept-style header, best first.

    ``accept['gzip']`` and ``accept.quality('gzip')`` give a value's quality
    (0 when not accepted); ``'gzip' in accept`` tells whether it is accepted
    at all. ``provided`` is False when the header was absent.
    """

    provided: bool

    def __init__(self, values: Accept | Iterable[tuple[str, float]] | None = ()) -> None:
        if values is None:
            super().__init__()
            self.provided = False
        elif isinstance(values, Accept):
            super().__init__(values)
            self.provided = values.provided
        else:
            # sorted() is stable, also in reverse: equal entries keep the client's order.
            ordered = sorted(
                values, key=lambda pair: (self._specificity(pair[0]), pair[1]), reverse=True
            )
            super().__init__(ordered)
            self.provided = True

    # -- matching rules (what subclasses change) ---------------------------------

    def _specificity(self, value: str) -> tuple[bool, ...]:
        return (value != "*",)

    def _value_matches(self, value: str, item: str) -> bool:
        """Whether the server's ``value`` is covered by the client's ``item``."""
        return item == "*" or item.lower() == value.lower()

    # -- reading -------------------------------------------------------------------

    @overload
    def __getitem__(self, key: str) -> float: ...
    @overload
    def __getitem__(self, key: SupportsIndex) -> tuple[str, float]: ...
    @overload
    def __getitem__(self, key: slice) -> list[tuple[str, float]]: ...
    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self.quality(key)
        return list.__getitem__(self, key)

    def quality(self, key: str) -> float:
        """The quality the client gives ``key``; 0 when it does not accept it."""
        for item, quality in self:
            if self._value_matches(key, item):
                return quality
        return 0

    def __contains__(self, value: object) -> bool:
        return any(self._value_matches(value, item) for item, _ in self)  # type: ignore[arg-type]

    def index(self, key: Any, *args: Any) -> int:
        """The position of ``key`` (a value or a pair); ValueError if absent."""
        if isinstance(key, str):
            for position, (item, _) in enumerate(self):
                if self._value_matches(key, item):
                    return position
            raise ValueError(key)
        return list.index(self, key, *args)

    def find(self, key: str | tuple[str, float]) -> int:
        """The position of ``key``, or -1."""
        try:
            return self.index(key)
        except ValueError:
            return -1

    def values(self) -> Iterator[str]:
        """The accepted values, best first, without their qualities."""
        for item, _ in self:
            yield item

    def to_header(self) -> str:
        """The header value (qualities of 1 left out)."""
        return ",".join(item if quality == 1 else f"{item};q={quality}" for item, quality in self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        pairs = ", ".join(f"({item!r}, {quality})" for item, quality in self)
        return f"{type(self).__name__}([{pairs}])"

    # -- negotiation -------------------------------------------------------------------

    def _closest_item(self, offer: str) -> tuple[str, float] | None:
        # The list is ordered most specific first, so the first match is the closest.
        for item, quality in self:
            if self._value_matches(offer, item):
                return item, quality
        return None

    @overload
    def best_match(self, matches: Iterable[str]) -> str | None: ...
    @overload
    def best_match(self, matches: Iterable[str], default: str) -> str: ...
    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """The offered value the client prefers: highest quality, then most
        specific match, then first offered; ``default`` when none is acceptable."""
        chosen = default
        chosen_quality: float = -1
        chosen_specificity: tuple[bool, ...] | tuple[int] = (-1,)
        for offer in matches:
            closest = self._closest_item(offer)
            if closest is None:
                continue
            item, quality = closest
            if quality <= 0 or quality < chosen_quality:
                continue
            specificity = self._specificity(item)
            if quality > chosen_quality or specificity > chosen_specificity:
                chosen, chosen_quality, chosen_specificity = offer, quality, specificity
        return chosen

    @property
    def best(self) -> str | None:
        """The value the client likes best, or None when nothing was sent."""
        return self[0][0] if self else None


def _mime_parts(value: str) -> list[str]:
    return _MIME_PARTS.split(value.lower())


class MIMEAccept(Accept):
    """The Accept header: media ranges such as ``text/*`` match by type and subtype."""

    def _specificity(self, value: str) -> tuple[bool, ...]:
        return tuple(part != "*" for part in _MIME_PARTS.split(value))

    def _value_matches(self, value: str, item: str) -> bool:
        if "/" not in item:
            return False  # the client's own malformed entry matches nothing
        if "/" not in value:
            raise MimetypeValueError(f"invalid mimetype {describe(value)}: expected type/subtype")
        value_type, value_subtype, *value_params = _mime_parts(value)
        if value_type == "*" and value_subtype != "*":
            raise MimetypeValueError(
                f"invalid mimetype {describe(value)}: only '*/*' starts with '*'"
            )
        item_type, item_subtype, *item_params = _mime_parts(item)
        if item_type == "*":
            return item_subtype == "*"
        if value_type == "*":
            return True
        if item_type != value_type:
            return False
        return (
            item_subtype == "*"
            or value_subtype == "*"
            or (item_subtype == value_subtype and sorted(item_params) == sorted(value_params))
        )

    @property
    def accept_html(self) -> bool:
        """True if HTML (or XHTML) is accepted."""
        return self._accepts("text/html") or self.accept_xhtml

    @property
    def accept_xhtml(self) -> bool:
        """True if XHTML or XML is accepted."""
        return self._accepts("application/xhtml+xml") or self._accepts("application/xml")

    @property
    def accept_json(self) -> bool:
        """True if JSON is accepted."""
        return self._accepts("application/json")

    def _accepts(self, mimetype: str) -> bool:
        return any(self._value_matches(mimetype, item) for item, _ in self)


def _language_parts(value: str) -> list[str]:
    return _LANGUAGE_SEPARATOR.split(value.lower())


def _primary_tag(value: str) -> str:
    return _LANGUAGE_SEPARATOR.split(value, maxsplit=1)[0]


class LanguageAccept(Accept):
    """Accept-Language: ``en_US`` matches ``en-us``; best_match falls back to primary tags."""

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _language_parts(value) == _language_parts(item)

    @overload
    def best_match(self, matches: Iterable[str]) -> str | None: ...
    @overload
    def best_match(self, matches: Iterable[str], default: str) -> str: ...
    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """The preferred offer; failing an exact tag match, the primary tags are
        compared (a client taking ``en-US`` gets ``en``, one taking ``en`` gets ``en-GB``)."""
        offers = list(matches)
        found = super().best_match(offers)
        if found is not None:
            return found
        # The client's tags cut to their primary part, matched against the offers.
        primaries = Accept([(_primary_tag(item), quality) for item, quality in self])
        found = primaries.best_match(offers)
        if found is not None:
            return found
        # The offers cut to their primary part; the answer is the first full offer.
        found = super().best_match([_primary_tag(offer) for offer in offers])
        if found is not None:
            return next(offer for offer in offers if offer.startswith(found))
        return default


def _charset_name(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


class CharsetAccept(Accept):
    """Accept-Charset: names compare by codec (``UTF8`` matches ``utf-8``)."""

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _charset_name(value) == _charset_name(item)


@overload
def parse_accept_header(value: str | None) -> Accept: ...
@overload
def parse_accept_header(value: str | None, cls: type[A]) -> A: ...
def parse_accept_header(value: str | None, cls: type[Accept] | None = None) -> Accept:
    """Parse an Accept-style header into ``cls`` (:class:`Accept` by default).

    Entries whose ``q`` is malformed or outside 0..1 are dropped; other
    parameters stay on the value (``text/html;level=1``).
    """
    if cls is None:
        cls = Accept
    if not value:
        return cls(None)
    pairs: list[tuple[str, float]] = []
    for entry in parse_list_header(value):
        item, options = parse_options_header(entry)
        quality: float = 1
        if "q" in options:
            text = options.pop("q").strip(" \t")
            if _QUALITY.fullmatch(text) is None:
                continue
            quality = float(text)
            if not 0 <= quality <= 1:
                continue
        if options:
            item = dump_options_header(item, options)
        pairs.append((item, quality))
    return cls(pairs)
