"""Server-side sessions in Redis: a session interface for apps that outgrow cookies.

erlen's default session lives in a signed cookie: no store to run, and any
worker can serve any request. Keep sessions on the server instead when they
grow past a cookie's ~4 KB, when a logout must end the session everywhere at
once, or when session data must not leave the server even signed. The cookie
then carries only a random session id; every worker reads the data from the
same Redis, so scaling out still needs nothing more than that shared store::

    REDIS_URL=redis://127.0.0.1:6379/0 erlen run --app examples.redis_sessions:app

Plug the interface into any app with ``app.session_interface = RedisSessionInterface(client)``;
``session``, ``flash`` and the test client's ``session_transaction`` work unchanged.
"""

from __future__ import annotations

import os
import secrets
from typing import TYPE_CHECKING, Any

import redis

from erlen import Flask, flash, get_flashed_messages, jsonify, request, session
from erlen.json.tag import TaggedJSONSerializer
from erlen.sessions import SecureCookieSession, SessionInterface

if TYPE_CHECKING:
    from erlen.response import Response
    from erlen.wrappers import Request


class RedisSession(SecureCookieSession):
    """A session dict that remembers its id in Redis (writes set ``modified`` as usual)."""

    def __init__(self, initial: Any = None, sid: str = "", new: bool = False) -> None:
        super().__init__(initial)
        self.sid = sid
        self.new = new


class RedisSessionInterface(SessionInterface):
    """Keeps each session's data under ``<prefix><id>`` in Redis; the cookie holds the id.

    Ids are 256 random bits, so they cannot be guessed and need no signature;
    an unknown or expired id simply starts a new, empty session. Stored values
    use the tagged JSON of the cookie session (tuples, bytes, datetimes...).
    """

    serializer = TaggedJSONSerializer()

    def __init__(self, client: redis.Redis, prefix: str = "session:") -> None:
        self.client = client
        self.prefix = prefix

    @staticmethod
    def _new_id() -> str:
        return secrets.token_urlsafe(32)

    def open_session(self, app: Flask, request: Request) -> RedisSession:
        sid = request.cookies.get(self.get_cookie_name(app), "")
        # A well-formed id only: anything else is not worth a Redis round trip.
        if 20 <= len(sid) <= 64 and sid.replace("-", "").replace("_", "").isalnum():
            stored = self.client.get(self.prefix + sid)
            if stored is not None:
                return RedisSession(self.serializer.loads(stored), sid=sid)
        return RedisSession(sid=self._new_id(), new=True)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            if session.modified:
                # Emptied (a logout): forget it on the server, not just in the browser.
                self.client.delete(self.prefix + session.sid)
                response.delete_cookie(name, domain=domain, path=path)
                response.vary.add("Cookie")
            return
        if not self.should_set_cookie(app, session):
            return
        lifetime = app.permanent_session_lifetime
        self.client.set(
            self.prefix + session.sid,
            self.serializer.dumps(dict(session)),
            ex=max(1, int(lifetime.total_seconds())),
        )
        response.set_cookie(
            name,
            session.sid,
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=domain,
            path=path,
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            partitioned=self.get_cookie_partitioned(app),
        )
        response.vary.add("Cookie")

    def regenerate(self, session: RedisSession) -> None:
        """Move ``session`` to a fresh id (call it at login against session fixation)."""
        self.client.delete(self.prefix + session.sid)
        session.sid = self._new_id()
        session.modified = True


def create_app(client: redis.Redis) -> Flask:
    """A tiny login app whose sessions live in ``client``'s Redis."""
    app = Flask(__name__)
    app.session_interface = RedisSessionInterface(client)

    @app.post("/login")
    def login() -> Any:
        interface = app.session_interface
        assert isinstance(interface, RedisSessionInterface)
        interface.regenerate(session._get_current_object())  # type: ignore[attr-defined]
        session["user"] = request.form["user"]
        session.permanent = True
        flash(f"Welcome, {session['user']}")
        return jsonify(user=session["user"])

    @app.get("/me")
    def me() -> Any:
        return jsonify(user=session.get("user"), messages=get_flashed_messages())

    @app.post("/logout")
    def logout() -> Any:
        session.clear()
        return jsonify(user=None)

    return app


app = create_app(redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")))
