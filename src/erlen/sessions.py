"""Sessions (``flask.sessions``): per-client data kept between requests.

The default :class:`SecureCookieSessionInterface` keeps the whole session in a
cookie signed with the app's ``SECRET_KEY``: the same signing (itsdangerous,
salt ``"cookie-session"``, HMAC key derivation, SHA-1) and the same tagged
JSON as Flask, so a cookie written by a Flask app is read by an erlen app with
the same key and the other way round. Nothing is stored on the server, so any
worker on any machine can serve any request.

The session is opened on the first use of :data:`erlen.session` in a request,
not for every request; it is saved after the ``after_request`` functions only
if it was opened. Replace ``app.session_interface`` to keep sessions elsewhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from erlen.errors import ArgumentTypeError
from erlen.json.tag import TaggedJSONSerializer

if TYPE_CHECKING:
    from itsdangerous import URLSafeTimedSerializer

    from erlen.app import Erlen
    from erlen.ctx import Context
    from erlen.response import Response
    from erlen.wrappers import Request

__all__ = [
    "NullSession",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "SessionInterface",
    "SessionMixin",
    "session_json_serializer",
]


class SessionMixin(MutableMapping[str, Any]):
    """The attributes every session object has, on top of being a mutable mapping."""

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session (the ``_permanent`` key)."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    #: Whether the session was just created; the default cannot tell, so ``False``.
    new = False
    #: Whether the session was changed; sessions that cannot tell say ``True``.
    modified = True
    #: Whether the session was read or written in this request (sets ``Vary: Cookie``).
    accessed = False


class SecureCookieSession(dict[str, Any], SessionMixin):
    """The dict stored in the signed cookie; writes set :attr:`modified`.

    Only the dict itself is watched: after changing a value in place (a list
    in the session, say) set ``session.modified = True``.
    """

    modified = False

    def __init__(self, initial: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None):
        super().__init__(initial or ())

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.modified = True

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.modified = True

    def clear(self) -> None:
        super().clear()
        self.modified = True

    def popitem(self) -> tuple[str, Any]:
        item = super().popitem()
        self.modified = True
        return item

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self.modified = True
        return super().pop(key, *default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self.modified = True
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self.modified = True

    def __ior__(self, other: Any) -> SecureCookieSession:  # type: ignore[override,misc]
        super().__ior__(other)
        self.modified = True
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


_NO_SECRET_KEY = (
    "The session is unavailable because no secret key was set. Set app.secret_key"
    " (the SECRET_KEY config value) to a long random string kept secret."
)


class NullSession(SecureCookieSession):
    """The empty, read-only session of an app without a secret key; writing raises."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(_NO_SECRET_KEY)

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _refuse
    __ior__ = _refuse


class SessionInterface:
    """How an app opens and saves sessions; subclass it and set ``app.session_interface``.

    :meth:`open_session` returns the session for a request (``None`` falls back
    to :meth:`make_null_session`); :meth:`save_session` writes it into the response.
    """

    #: The class :meth:`make_null_session` instantiates.
    null_session_class: type[SessionMixin] = NullSession
    #: Kept for Flask compatibility (no interface here pickles).
    pickle_based = False

    def make_null_session(self, app: Erlen) -> SessionMixin:
        """The session used when :meth:`open_session` returns ``None``."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """Whether ``obj`` is the null session (then it is not saved)."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Erlen) -> str:
        """``SESSION_COOKIE_NAME``."""
        name: str = app.config["SESSION_COOKIE_NAME"]
        return name

    def get_cookie_domain(self, app: Erlen) -> str | None:
        """``SESSION_COOKIE_DOMAIN`` (``None``: the cookie is host-only)."""
        domain: str | None = app.config["SESSION_COOKIE_DOMAIN"]
        return domain

    def get_cookie_path(self, app: Erlen) -> str:
        """``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``."""
        path: str = app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]
        return path

    def get_cookie_httponly(self, app: Erlen) -> bool:
        """``SESSION_COOKIE_HTTPONLY``."""
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: Erlen) -> bool:
        """``SESSION_COOKIE_SECURE``."""
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def get_cookie_samesite(self, app: Erlen) -> str | None:
        """``SESSION_COOKIE_SAMESITE``."""
        samesite: str | None = app.config["SESSION_COOKIE_SAMESITE"]
        return samesite

    def get_cookie_partitioned(self, app: Erlen) -> bool:
        """``SESSION_COOKIE_PARTITIONED``."""
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def get_expiration_time(self, app: Erlen, session: SessionMixin) -> datetime | None:
        """When a permanent session's cookie expires; ``None`` for a browser-session cookie."""
        if session.permanent:
            return datetime.now(timezone.utc) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Erlen, session: SessionMixin) -> bool:
        """Send the cookie when the session changed, or when it is permanent and
        ``SESSION_REFRESH_EACH_REQUEST`` asks for its expiry to move forward."""
        return bool(
            session.modified or (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"])
        )

    def open_session(self, app: Erlen, request: Request) -> SessionMixin | None:
        """The session of ``request``; ``None`` for the null session."""
        raise NotImplementedError

    def save_session(self, app: Erlen, session: SessionMixin, response: Response) -> None:
        """Store ``session`` (a cookie on ``response``, or elsewhere)."""
        raise NotImplementedError


#: The serializer of the default session cookie.
session_json_serializer = TaggedJSONSerializer()


def _sha1(data: bytes = b"") -> Any:
    # Looked up when a cookie is signed, not at import: FIPS builds may lack SHA-1
    # and should fail only in apps that use the default session.
    return hashlib.sha1(data)


class SecureCookieSessionInterface(SessionInterface):
    """Sessions kept in a cookie signed by itsdangerous, readable by Flask with the same key."""

    #: Mixed into the key so these signatures differ from the app's other signed values.
    salt = "cookie-session"
    #: Hash function of the HMAC.
    digest_method: Any = staticmethod(_sha1)
    #: itsdangerous key derivation.
    key_derivation = "hmac"
    #: Turns the session dict into text and back.
    serializer: Any = session_json_serializer
    session_class: type[SecureCookieSession] = SecureCookieSession

    _cached: tuple[Any, URLSafeTimedSerializer] | None = None

    def get_signing_serializer(self, app: Erlen) -> URLSafeTimedSerializer | None:
        """The signer for ``app``'s keys (fallbacks verify only), or ``None`` without a key."""
        secret_key = app.secret_key
        if not secret_key:
            return None
        fallbacks = app.config.get("SECRET_KEY_FALLBACKS") or ()
        identity = (
            secret_key,
            tuple(fallbacks),
            self.salt,
            self.serializer,
            self.key_derivation,
            self.digest_method,
        )
        cached = self._cached
        if cached is not None and cached[0] == identity:
            return cached[1]
        from itsdangerous import URLSafeTimedSerializer

        # itsdangerous signs with the last key and verifies with all of them.
        serializer = URLSafeTimedSerializer(
            [*fallbacks, secret_key],
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )
        # PERF: built once per key set, not per request.
        self._cached = (identity, serializer)
        return serializer

    def open_session(self, app: Erlen, request: Request) -> SecureCookieSession | None:
        """The session in the request's cookie; an empty one if it is missing,
        tampered with, expired or signed with a key no longer accepted."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        from itsdangerous import BadSignature

        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = serializer.loads(value, max_age=max_age)
        except BadSignature:
            return self.session_class()
        if not isinstance(data, dict):
            # Validly signed but not a session (another signed value under the
            # same key and salt): trusted no further than an empty session.
            return self.session_class()
        return self.session_class(data)

    def save_session(self, app: Erlen, session: SessionMixin, response: Response) -> None:
        """Set, refresh or delete the cookie, and add ``Vary: Cookie`` when it was used."""
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        if session.accessed:
            # The response depends on the cookie: caches must not share it.
            response.vary.add("Cookie")
        if not session:
            if session.modified:
                response.delete_cookie(
                    name,
                    domain=domain,
                    path=path,
                    secure=secure,
                    partitioned=partitioned,
                    samesite=samesite,
                    httponly=httponly,
                )
                response.vary.add("Cookie")
            return
        if not self.should_set_cookie(app, session):
            return
        expires = self.get_expiration_time(app, session)
        serializer = self.get_signing_serializer(app)
        assert serializer is not None  # a null session is never saved
        value = _sign(serializer, session)
        response.set_cookie(
            name,
            value,
            expires=expires,
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )
        response.vary.add("Cookie")


def _sign(serializer: URLSafeTimedSerializer, session: SessionMixin) -> str:
    data = dict(session)
    try:
        value: str = serializer.dumps(data)
    except (TypeError, ValueError) as error:
        raise ArgumentTypeError(
            f"the session cannot be stored in a cookie: {_unserializable_key(serializer, data)}"
            f" ({error}); store only JSON values, tuples, bytes, Markup, UUID and datetime"
        ) from error
    return value


def _unserializable_key(serializer: URLSafeTimedSerializer, data: dict[str, Any]) -> str:
    for key, item in data.items():
        try:
            serializer.dump_payload({"k": item})
        except (TypeError, ValueError):
            return f"session[{key!r}] holds a {type(item).__name__}"
    return "a key is not a string"


# -- used by the request pipeline ---------------------------------------------------------


def open_session(context: Context) -> SessionMixin:
    """Open the session of ``context``'s request with its app's session interface."""
    app = context.app
    request = context.request
    if request is None:
        raise RuntimeError(
            "Working outside of request context: 'session' is only available while"
            " a request is handled. Use 'with app.test_request_context():' in tests."
        )
    interface = app.session_interface
    session = interface.open_session(app, request)
    if session is None:
        session = interface.make_null_session(app)
    return session


def save_opened_session(app: Any, context: Context, response: Response) -> None:
    """Save the request's session into ``response`` if the request opened one."""
    session = context._session
    if session is not None:
        interface = app.session_interface
        if not interface.is_null_session(session):
            interface.save_session(app, session, response)
