"""XSS through redirect(): a ``javascript:``/``data:``/``vbscript:`` target.

Flask writes the target into the redirect page as ``<a href=...>``, so a
user-controlled ``next`` parameter becomes a clickable script link (and a
Location some clients follow). erlen refuses such targets with
``LocationValueError`` (documented in docs/compat.md); http(s) and relative
targets, and look-alikes that are not the scheme, still redirect.
"""

from __future__ import annotations

import flask
import pytest

import erlen
from erlen.errors import HeaderValueError, LocationValueError

SCRIPT_TARGETS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "\x00\x01 javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "jav\r\nascript:alert(1)",
    "\tjavascript:alert(1)",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
]

SAFE_TARGETS = [
    "/javascript:alert(1)",  # a path, not a scheme
    "./javascript:x",
    "?next=javascript:alert(1)",
    "https://example.com/?q=javascript:alert(1)",
    "javascripts/app.js",
    "database:1",
    "mailto:a@example.com",
    "http://example.com/",
]


@pytest.mark.parametrize("target", SCRIPT_TARGETS)
def test_xss_flask_writes_a_script_link_erlen_refuses(target: str) -> None:
    with flask.Flask(__name__).test_request_context():
        try:
            page = flask.redirect(target).get_data(as_text=True)
        except ValueError:
            page = None  # Werkzeug refuses a newline in any header value
    if page is not None:
        assert "<a href=" in page  # Flask's page links to the target
    with pytest.raises(LocationValueError, match="scheme") as info:
        erlen.redirect(target)
    assert isinstance(info.value, HeaderValueError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("target", SAFE_TARGETS)
def test_other_targets_still_redirect(target: str) -> None:
    response = erlen.redirect(target)
    assert response.status_code == 302
    assert response.headers["Location"]


def test_script_redirect_in_a_view_is_a_500_not_a_link(make_client: object) -> None:
    app = erlen.Flask(__name__)

    @app.route("/go")
    def go() -> object:
        return erlen.redirect(erlen.request.args["next"])

    client = make_client(app)  # type: ignore[operator]
    response = client.get("/go?next=javascript:alert(document.cookie)")
    assert response.status_code == 500
    assert b"javascript:" not in response.data
    assert client.get("/go?next=/home").status_code == 302
