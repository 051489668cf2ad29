"""Open redirects: what redirect() and Location put on the wire, compared with Flask.

erlen cannot refuse ``//evil.com`` (a valid protocol-relative URL a developer
may mean), so the rule pinned here is narrower: a target that *looks* local to
the usual check (starts with one ``/`` not followed by ``/`` or ``\\``) must
stay on the same origin as a browser reads it. Flask breaks that rule for
tabs and NUL (it drops them, ``/\\t/evil.com`` becomes ``//evil.com``);
erlen percent-encodes them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import flask
import pytest
from hypothesis import given, settings, strategies as st

import erlen
from tests.security.wire import assert_clean_wire, serve_both
from tests.support import call_wsgi

_WHATWG_STRIP = "".join(map(chr, range(0x21)))


def browser_reading(location: str) -> str:
    """How a WHATWG URL parser sees a Location on an http(s) page, simplified.

    Leading/trailing C0 and space are stripped, tab/CR/LF removed anywhere,
    and ``\\`` is a ``/`` for special schemes.
    """
    text = location.strip(_WHATWG_STRIP)
    text = re.sub("[\t\r\n]", "", text)
    return text.replace("\\", "/")


def leaves_origin(location: str) -> bool:
    """True if a browser following ``location`` may land on another host."""
    seen = browser_reading(location)
    if seen.startswith("//"):
        return True
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", seen)
    return scheme is not None


def looks_local(target: str) -> bool:
    """The check apps commonly do before redirecting to a user-supplied ``next``."""
    return target.startswith("/") and not target.startswith(("//", "/\\"))


def _redirect_app(module: Any) -> Any:
    app = module.Flask("redir")

    def go() -> Any:
        return module.redirect(module.request.args["to"])

    app.add_url_rule("/go", "go", go)

    return app


ERLEN_APP = _redirect_app(erlen)
FLASK_APP = _redirect_app(flask)

# target -> what erlen sends (Flask's value in the comment when it differs)
TABLE = {
    "/\\evil.com": "/%5Cevil.com",
    "\\\\evil.com": "%5C%5Cevil.com",
    "\\/evil.com": "%5C/evil.com",
    "/\\/evil.com": "/%5C/evil.com",
    "/\t/evil.com": "/%09/evil.com",  # Flask: //evil.com (open redirect)
    "ht\ttps://evil.com": "ht%09tps://evil.com",  # Flask: https://evil.com
    # "java\tscript:alert(1)" is refused: test_xss_redirect_script_scheme.py
    "\x00//evil.com": "%00//evil.com",  # Flask: //evil.com
    "/\x0b/evil.com": "/%0B/evil.com",
    "/\x01/evil.com": "/%01/evil.com",
    "http://evil.com\\.good.com/": "http://evil.com%5C.good.com/",  # Flask: raw backslash
    "https://evil.com\\@good.com": "https://evil.com%5C@good.com",
    "///evil.com": "/evil.com",
    "/%2F%2Fevil.com": "/%2F%2Fevil.com",
    "/ /evil.com": "/%20/evil.com",
    "/next?u=//evil.com": "/next?u=//evil.com",
}
# Targets that are external on purpose and go out as given (as in Flask).
EXTERNAL = {
    "//evil.com": "//evil.com",
    "https://good.com@evil.com": "https://good.com@evil.com",
}
# Flask sends "https:///evil.com" where urllib's urlunsplit adds "//" to a
# path without a host (CPython before 3.13, gh-85110); erlen sends it as given
# on every interpreter, as Flask does on 3.13.
URLUNSPLIT_ADDS_SLASHES = urlunsplit(urlsplit("https:evil.com")) == "https:///evil.com"


@pytest.mark.parametrize(("target", "expected"), sorted(TABLE.items()))
def test_open_redirect_table(target: str, expected: str) -> None:
    for result in serve_both(ERLEN_APP, "/go", query_string={"to": target}).values():
        assert result.status_code == 302
        assert result.header("Location") == expected
        assert_clean_wire(result)
        assert not leaves_origin(expected) or leaves_origin(target.replace("\t", ""))


@pytest.mark.parametrize(("target", "expected"), sorted(EXTERNAL.items()))
def test_open_redirect_explicit_external_targets_match_flask(target: str, expected: str) -> None:
    ours = call_wsgi(ERLEN_APP, "/go", query_string={"to": target})
    theirs = call_wsgi(FLASK_APP, "/go", query_string={"to": target})
    assert ours.header("Location") == theirs.header("Location") == expected
    assert ours.body == theirs.body


@pytest.mark.parametrize("target", ["https:evil.com", "http:evil.com/a?b#c", "ftp:x"])
def test_open_redirect_scheme_without_host_goes_out_as_given(target: str) -> None:
    for result in serve_both(ERLEN_APP, "/go", query_string={"to": target}).values():
        assert result.header("Location") == target
    theirs = call_wsgi(FLASK_APP, "/go", query_string={"to": target}).header("Location")
    assert theirs == (target.replace(":", ":///", 1) if URLUNSPLIT_ADDS_SLASHES else target)


@pytest.mark.parametrize("target", ["/\t/evil.com", "\x00//evil.com"])
def test_open_redirect_flask_drops_controls_erlen_keeps_them_encoded(target: str) -> None:
    """The deliberate difference: Flask's Location leaves the origin, erlen's does not."""
    theirs = call_wsgi(FLASK_APP, "/go", query_string={"to": target}).header("Location")
    ours = call_wsgi(ERLEN_APP, "/go", query_string={"to": target}).header("Location")
    assert theirs is not None and ours is not None
    assert leaves_origin(theirs)
    assert not leaves_origin(ours)


@pytest.mark.parametrize("target", ["/a/b?c=d#e", "/caf\u00e9?q=\u00fc", "https://example.com/x"])
def test_open_redirect_ordinary_targets_match_flask_bytes(target: str) -> None:
    ours = call_wsgi(ERLEN_APP, "/go", query_string={"to": target})
    theirs = call_wsgi(FLASK_APP, "/go", query_string={"to": target})
    assert (ours.status, ours.header("Location"), ours.body) == (
        theirs.status,
        theirs.header("Location"),
        theirs.body,
    )


_PIECES = st.sampled_from(["/", "\\", "\t", "\n", "\r", "\x00", "\x0b", " ", ".", ":", "@",
                           "%2F", "evil.com", "a", "?", "#", "\u2028", "\u00e9"])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=8).map("".join))
def test_open_redirect_local_looking_targets_stay_local(tail: str) -> None:
    target = "/" + tail
    if not looks_local(target):
        return
    response = erlen.redirect(target)
    location = response.headers["Location"]
    sent = call_wsgi(_view_of(response), "/").header("Location")
    assert sent is not None
    assert not leaves_origin(location), location
    assert not leaves_origin(sent), sent


def _view_of(response: erlen.Response) -> Any:
    app = erlen.Flask("one")
    app.add_url_rule("/", "index", lambda: response)
    return app


def test_open_redirect_redirect_page_escapes_the_target() -> None:
    target = '/x"><script>alert(1)</script>'
    for result in serve_both(ERLEN_APP, "/go", query_string={"to": target}).values():
        assert b"<script>" not in result.body
        assert b"&#34;&gt;&lt;script&gt;" in result.body or b"%22%3E%3Cscript" in result.body
    ours = call_wsgi(ERLEN_APP, "/go", query_string={"to": target})
    theirs = call_wsgi(FLASK_APP, "/go", query_string={"to": target})
    assert ours.body == theirs.body


def test_open_redirect_routing_slash_redirect_stays_on_host() -> None:
    """The automatic 308 for a missing trailing slash is absolute, on the request host."""
    app = erlen.Flask("slash")

    @app.route("/<path:rest>/")
    def folder(rest: str) -> str:
        return rest

    from tests.support import build_environ

    for path in ("//evil.com", "/\\evil.com", "/<script>x"):
        environ = build_environ("/")
        environ["PATH_INFO"] = path
        captured: dict[str, Any] = {}
        body = b"".join(
            app(environ, lambda s, h, e=None, c=captured: c.update(status=s, headers=h))
        )
        location = dict(captured["headers"]).get("Location", "")
        assert captured["status"].startswith("308")
        assert location.startswith("http://localhost/"), location
        assert b"<script>" not in body
