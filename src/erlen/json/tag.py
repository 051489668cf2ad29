"""Tagged JSON (``flask.json.tag``): JSON that round-trips a few more Python types.

The session cookie stores its dict in this format. A value JSON cannot carry is
written as a one-key object ``{" <tag>": <json>}``: ``" t"`` tuple, ``" b"``
bytes (base64), ``" m"`` Markup, ``" u"`` UUID (hex), ``" d"`` datetime (HTTP
date), and ``" di"`` for a real one-key dict whose key looks like a tag (the
key gets a ``"__"`` suffix so reading it back cannot mistake it for a tag).
The bytes are the same as Flask's, so a cookie written by either is read by
the other.

Register an extra type by subclassing :class:`JSONTag` and passing the class
to :meth:`TaggedJSONSerializer.register`.
"""

from __future__ import annotations

from base64 import b64decode, b64encode
from datetime import datetime
from typing import Any
from uuid import UUID

from erlen.http.dates import http_date, parse_http_date
from erlen.json import dumps as _dumps, loads as _loads

__all__ = [
    "JSONTag",
    "PassDict",
    "PassList",
    "TagBytes",
    "TagDateTime",
    "TagDict",
    "TagMarkup",
    "TagTuple",
    "TagUUID",
    "TaggedJSONSerializer",
]


class JSONTag:
    """How one Python type is written to and read from tagged JSON."""

    __slots__ = ("serializer",)

    #: The tag's key in the one-key object; empty for the untagged containers.
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: Any) -> bool:
        """Whether this tag handles ``value``."""
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        """``value`` as something JSON can encode (inner values still untagged)."""
        raise NotImplementedError

    def to_python(self, value: Any) -> Any:
        """The Python value back from what :meth:`to_json` produced."""
        raise NotImplementedError

    def tag(self, value: Any) -> Any:
        """``value`` converted and wrapped in this tag's one-key object."""
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A one-key dict whose key is a registered tag: the key is suffixed with ``__``."""

    __slots__ = ()
    key = " di"

    def check(self, value: Any) -> bool:
        return (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in self.serializer.tags
        )

    def to_json(self, value: Any) -> Any:
        (key,) = value
        return {f"{key}__": self.serializer.tag(value[key])}

    def to_python(self, value: Any) -> Any:
        (key,) = value
        return {key[:-2]: value[key]}


class PassDict(JSONTag):
    """Any other dict: stays an object, its values tagged."""

    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        # JSON keys are strings; the encoder converts or rejects the rest.
        return {key: tag(item) for key, item in value.items()}

    tag = to_json


class TagTuple(JSONTag):
    """A tuple: a list of tagged items under ``" t"``."""

    __slots__ = ()
    key = " t"

    def check(self, value: Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]

    def to_python(self, value: Any) -> Any:
        return tuple(value)


class PassList(JSONTag):
    """A list: stays a list, its items tagged."""

    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]

    tag = to_json


class TagBytes(JSONTag):
    """Bytes: standard base64 text under ``" b"``."""

    __slots__ = ()
    key = " b"

    def check(self, value: Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: Any) -> Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: Any) -> Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    """An object with ``__html__`` (markupsafe's Markup): its markup under ``" m"``.

    Read back as ``markupsafe.Markup``, imported only when such a value is read.
    """

    __slots__ = ()
    key = " m"

    def check(self, value: Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: Any) -> Any:
        return str(value.__html__())

    def to_python(self, value: Any) -> Any:
        from markupsafe import Markup

        return Markup(value)


class TagUUID(JSONTag):
    """A UUID: its 32 hex digits under ``" u"``."""

    __slots__ = ()
    key = " u"

    def check(self, value: Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: Any) -> Any:
        return value.hex

    def to_python(self, value: Any) -> Any:
        return UUID(value)


class TagDateTime(JSONTag):
    """A datetime: an HTTP date (whole seconds, UTC) under ``" d"``; read back aware."""

    __slots__ = ()
    key = " d"

    def check(self, value: Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: Any) -> Any:
        return http_date(value)

    def to_python(self, value: Any) -> Any:
        moment = parse_http_date(value)
        if moment is None:
            raise ValueError(f"tagged datetime {value!r} is not an HTTP date")
        return moment


class TaggedJSONSerializer:
    """Compact JSON with the tags above; the session cookie's serializer."""

    __slots__ = ("order", "tags")

    #: Tag classes every serializer starts with, tried in this order.
    default_tags: list[type[JSONTag]] = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
    ]

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        for tag_class in self.default_tags:
            self.register(tag_class)

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        """Add a tag; ``index`` puts it earlier in the order, ``force`` replaces a key."""
        tag = tag_class(self)
        key = tag.key
        if key:
            if not force and key in self.tags:
                raise KeyError(f"Tag '{key}' is already registered.")
            self.tags[key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)

    def tag(self, value: Any) -> Any:
        """``value`` with every value JSON lacks wrapped in its tag."""
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, Any]) -> Any:
        """The Python value of one tagged object (other dicts unchanged)."""
        if len(value) != 1:
            return value
        key = next(iter(value))
        tag = self.tags.get(key)
        if tag is None:
            return value
        return tag.to_python(value[key])

    def _untag_scan(self, value: Any) -> Any:
        if isinstance(value, dict):
            return self.untag({key: self._untag_scan(item) for key, item in value.items()})
        if isinstance(value, list):
            return [self._untag_scan(item) for item in value]
        return value

    def dumps(self, value: Any) -> str:
        """Tag ``value`` and encode it as compact JSON (with the app's provider if active)."""
        return _dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> Any:
        """Decode JSON and turn tagged objects back into their Python values."""
        return self._untag_scan(_loads(value))
