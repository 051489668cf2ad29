"""The ``blog`` blueprint: pages, blueprint hooks and its own 404 page."""

from __future__ import annotations

from erlen import Blueprint, abort, g, request, url_for

blog = Blueprint("blog", __name__)

POSTS = {1: "Hello blueprints", 2: "Class-based views"}


@blog.before_request
def note_blog() -> None:
    g.trace.append(request.blueprint or "?")


@blog.errorhandler(404)
def missing_post(error: Exception) -> tuple[str, int]:
    return f"no such post in {request.blueprint}", 404


@blog.get("/")
def post_list() -> str:
    return "\n".join(f"{url_for('.post', post_id=key)} {title}" for key, title in POSTS.items())


@blog.get("/<int:post_id>")
def post(post_id: int) -> str:
    if post_id not in POSTS:
        abort(404)
    return f"{POSTS[post_id]} (back: {url_for('.post_list')})"
