"""The benchmark app on Starlette: endpoint functions and a ``routes`` list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")

# The template endpoint's data (bench/endpoints.py checks the page it renders to).
USERS = [
    {"name": "<b>alice</b>" if i == 0 else f"user{i}", "email": f"user{i}@example.com"}
    for i in range(20)
]


async def index(request: Request) -> Response:
    return HTMLResponse("Hello, World!")


async def created(request: Request) -> Response:
    return HTMLResponse("Resource created", status_code=201)


async def custom_headers(request: Request) -> Response:
    return HTMLResponse("OK", status_code=200, headers={"X-Custom": "value"})


async def set_cookie(request: Request) -> Response:
    response = HTMLResponse("Cookie set")
    response.set_cookie("username", "alice")
    return response


async def raw_response(request: Request) -> Response:
    return Response(
        "Custom response", status_code=200, headers={"X-Custom": "value"}, media_type="text/plain"
    )


async def get_user(request: Request) -> Response:
    return JSONResponse({"id": 123, "username": "alice", "email": "[email protected]"})


async def stream(request: Request) -> Response:
    async def generate() -> AsyncIterator[str]:
        for i in range(10):
            yield f"Line {i}\n"

    return StreamingResponse(generate(), media_type="text/plain")


async def login(request: Request) -> Response:
    response = JSONResponse({"status": "logged in"})
    response.set_cookie(
        "session_id",
        "secure-token-here",
        max_age=3600,
        httponly=True,
        secure=True,
        samesite="lax",
    )
    return response


async def logout(request: Request) -> Response:
    response = HTMLResponse("Logged out")
    response.delete_cookie("session_id")
    return response


async def api_data(request: Request) -> Response:
    return JSONResponse(
        {"users": ["alice", "bob"], "count": 2},
        headers={"X-Total-Count": "2", "Cache-Control": "no-cache"},
    )


async def redirect_temp(request: Request) -> Response:
    return RedirectResponse("/new-location", status_code=302)


async def download(request: Request) -> Response:
    return Response(
        "File content here",
        media_type="application/octet-stream",
        headers={"Content-Disposition": "attachment; filename=file.txt"},
    )


async def template(request: Request) -> Response:
    return templates.TemplateResponse(request, "page.html", {"title": "Users", "users": USERS})


async def user_by_id(request: Request) -> Response:
    return HTMLResponse(f"User {request.path_params['id']}")


app = Starlette(
    routes=[
        Route("/", index),
        Route("/created", created),
        Route("/custom-headers", custom_headers),
        Route("/cookie", set_cookie),
        Route("/raw", raw_response),
        Route("/api/user", get_user),
        Route("/stream", stream),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout),
        Route("/api/data", api_data),
        Route("/redirect-temp", redirect_temp),
        Route("/download", download),
        Route("/users/{id:int}", user_by_id),
        Route("/template", template),
    ]
)
