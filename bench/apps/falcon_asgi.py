"""The benchmark app on Falcon (ASGI): the WSGI app with async responders, as Falcon's docs do."""

from __future__ import annotations

from collections.abc import AsyncIterator

import falcon
import falcon.asgi

from bench.apps.jinja_page import render_page


class Index:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = "Hello, World!"


class Created:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.status = falcon.HTTP_201
        resp.content_type = falcon.MEDIA_HTML
        resp.text = "Resource created"


class CustomHeaders:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.set_header("X-Custom", "value")
        resp.text = "OK"


class Cookie:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        # Falcon's cookies default to Secure and HttpOnly; Flask's do not.
        resp.set_cookie("username", "alice", path="/", secure=False, http_only=False)
        resp.text = "Cookie set"


class Raw:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.set_header("X-Custom", "value")
        resp.text = "Custom response"


class User:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = {"id": 123, "username": "alice", "email": "[email protected]"}


async def generate_lines() -> AsyncIterator[bytes]:
    for i in range(10):
        yield f"Line {i}\n".encode()


class Stream:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.stream = generate_lines()


class Login:
    async def on_post(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = {"status": "logged in"}
        resp.set_cookie(
            "session_id",
            "secure-token-here",
            max_age=3600,
            path="/",
            http_only=True,
            secure=True,
            same_site="Lax",
        )


class Logout:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.unset_cookie("session_id", path="/")
        resp.text = "Logged out"


class Data:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = {"users": ["alice", "bob"], "count": 2}
        resp.set_header("X-Total-Count", "2")
        resp.cache_control = ["no-cache"]


class RedirectTemp:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.status = falcon.HTTP_302
        resp.location = "/new-location"


class Download:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = "application/octet-stream"
        resp.set_header("Content-Disposition", "attachment; filename=file.txt")
        resp.text = "File content here"


class UserById:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response, id: int) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = f"User {id}"


class Template:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = render_page()


app = falcon.asgi.App()
app.add_route("/", Index())
app.add_route("/created", Created())
app.add_route("/custom-headers", CustomHeaders())
app.add_route("/cookie", Cookie())
app.add_route("/raw", Raw())
app.add_route("/api/user", User())
app.add_route("/stream", Stream())
app.add_route("/login", Login())
app.add_route("/logout", Logout())
app.add_route("/api/data", Data())
app.add_route("/redirect-temp", RedirectTemp())
app.add_route("/download", Download())
app.add_route("/users/{id:int}", UserById())
app.add_route("/template", Template())
