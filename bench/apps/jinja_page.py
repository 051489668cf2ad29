"""The template page for peers without a template integration: plain Jinja2.

Raw WSGI/ASGI, Falcon and Bottle render ``bench/templates/page.html`` through
one Jinja2 environment, autoescaped as Flask's is for ``.html``.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader

from bench.endpoints import PAGE_TITLE, PAGE_USERS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)


def render_page() -> str:
    """The template endpoint's page."""
    return _environment.get_template("page.html").render(title=PAGE_TITLE, users=PAGE_USERS)
