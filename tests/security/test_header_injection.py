"""Response splitting: every API that writes a header, status or cookie, over both protocols.

For each writer and each character some stack treats as a line break (CR,
LF, NUL, VT, FF, FS, NEL, U+2028, U+2029) the write must either raise an
erlen error (a ValueError/TypeError subclass) at the call, or what it wrote
must reach the WSGI header list and the ASGI ``http.response.start`` message
encoded: nothing raw, and nothing that cannot be encoded as Latin-1.

CR, LF and NUL are refused everywhere. The other six are refused by
``validate_header_value``, the status parser and the cookie attribute checks,
or encoded (Location, cookie values and paths) before they are sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import werkzeug.datastructures

import erlen
from erlen import Response, redirect
from erlen.errors import ErlenError, LocationValueError
from tests.security.wire import (
    LINE_BREAKERS,
    app_returning,
    assert_clean_wire,
    serve_both,
    served_or_refused,
)


def _fresh(edit: Callable[[Response, str], Any]) -> Callable[[str], Response]:
    def build(char: str) -> Response:
        response = Response("body")
        edit(response, char)
        return response

    return build


def _extend(response: Response, char: str) -> None:
    response.headers.extend({"X-A": f"a{char}b"})


def _update(response: Response, char: str) -> None:
    response.headers.update([("X-A", f"a{char}b")])


def _setlist(response: Response, char: str) -> None:
    response.headers.setlist("X-A", ["ok", f"a{char}b"])


def _mimetype_params(response: Response, char: str) -> None:
    response.mimetype_params["charset"] = f"u{char}8"


def _cache_control(response: Response, char: str) -> None:
    response.cache_control.no_cache = f"X-Field{char}"


def _csp(response: Response, char: str) -> None:
    response.content_security_policy["default-src"] = f"'self'{char}"


def _cache_control_text(response: Response, char: str) -> None:
    response.cache_control = f"max-age=1, ext{char}=1"


def _vary(response: Response, char: str) -> None:
    response.vary = [f"Cookie{char}"]


def _www_authenticate(response: Response, char: str) -> None:
    challenge = response.www_authenticate
    challenge.type = "basic"
    challenge["realm"] = f"a{char}b"


# name -> (builder taking the injected character, names of characters that leak today, bug)
WRITERS: dict[str, tuple[Callable[[str], Any], set[str], str]] = {
    "Response(headers=dict)": (
        lambda c: Response("x", headers={"X-A": f"a{c}b"}), set(), ""),
    "Response(headers=pairs)": (
        lambda c: Response("x", headers=[("X-A", f"a{c}b")]), set(), ""),
    "Response(headers=Headers)": (
        lambda c: Response("x", headers=erlen.Headers({"X-A": f"a{c}b"})), set(), ""),
    "headers[name]=": (_fresh(lambda r, c: r.headers.__setitem__("X-A", f"a{c}b")),
                       set(), ""),
    "headers.add": (_fresh(lambda r, c: r.headers.add("X-A", f"a{c}b")), set(), ""),
    "headers.add(options)": (
        _fresh(lambda r, c: r.headers.add("Content-Disposition", "attachment",
                                          filename=f"a{c}.txt")), set(), ""),
    "headers.set": (_fresh(lambda r, c: r.headers.set("X-A", f"a{c}b")), set(), ""),
    "headers.setdefault": (
        _fresh(lambda r, c: r.headers.setdefault("X-A", f"a{c}b")), set(), ""),
    "headers.extend": (_fresh(_extend), set(), ""),
    "headers.update": (_fresh(_update), set(), ""),
    "headers.setlist": (_fresh(_setlist), set(), ""),
    "headers[0]=pair": (_fresh(lambda r, c: r.headers.__setitem__(0, ("X-A", f"a{c}"))),
                        set(), ""),
    "header name": (lambda c: Response("x", headers={f"X{c}A": "b"}), set(), ""),
    "headers.add name": (_fresh(lambda r, c: r.headers.add(f"X-A{c}", "b")), set(), ""),
    "Response(status=)": (lambda c: Response("x", status=f"200 O{c}K"), set(), ""),
    "response.status=": (_fresh(lambda r, c: setattr(r, "status", f"404 N{c}F")),
                         set(), ""),
    "Response(mimetype=)": (lambda c: Response("x", mimetype=f"text/pl{c}ain"), set(), ""),
    "Response(content_type=)": (
        lambda c: Response("x", content_type=f"text/plain; charset=u{c}"), set(), ""),
    "response.mimetype=": (_fresh(lambda r, c: setattr(r, "mimetype", f"text/x{c}")),
                           set(), ""),
    "response.content_type=": (
        _fresh(lambda r, c: setattr(r, "content_type", f"text/x{c}")), set(), ""),
    "mimetype_params": (_fresh(_mimetype_params), set(), ""),
    "cache_control": (_fresh(_cache_control), set(), ""),
    "cache_control=str": (_fresh(_cache_control_text), set(), ""),
    "content_security_policy": (_fresh(_csp), set(), ""),
    "vary": (_fresh(_vary), set(), ""),
    "www_authenticate": (_fresh(_www_authenticate), set(), ""),
    "access_control_allow_origin": (
        _fresh(lambda r, c: setattr(r, "access_control_allow_origin", f"https://a{c}")),
        set(), ""),
    "content_encoding": (_fresh(lambda r, c: setattr(r, "content_encoding", f"gz{c}")),
                         set(), ""),
    "set_etag": (_fresh(lambda r, c: r.set_etag(f"v{c}1")), set(), ""),
    "set_cookie key": (_fresh(lambda r, c: r.set_cookie(f"k{c}", "v")), set(), ""),
    "set_cookie value": (_fresh(lambda r, c: r.set_cookie("k", f"v{c}; Domain=evil")), set(), ""),
    "set_cookie path": (_fresh(lambda r, c: r.set_cookie("k", "v", path=f"/p{c}")), set(), ""),
    "set_cookie domain": (
        _fresh(lambda r, c: r.set_cookie("k", "v", domain=f"a{c}.example")), set(), ""),
    "set_cookie expires": (
        _fresh(lambda r, c: r.set_cookie("k", "v", expires=f"Thu, 01 Jan 2099{c}")), set(), ""),
    "set_cookie samesite": (
        _fresh(lambda r, c: r.set_cookie("k", "v", samesite=f"Lax{c}")), set(), ""),
    "delete_cookie key": (_fresh(lambda r, c: r.delete_cookie(f"k{c}")), set(), ""),
    "delete_cookie path": (_fresh(lambda r, c: r.delete_cookie("k", path=f"/p{c}")), set(), ""),
    "delete_cookie domain": (
        _fresh(lambda r, c: r.delete_cookie("k", domain=f"a{c}.example")), set(), ""),
    "location= path": (_fresh(lambda r, c: setattr(r, "location", f"/a{c}b")), set(), ""),
    "headers[Location] path": (
        _fresh(lambda r, c: r.headers.__setitem__("Location", f"/a{c}b")), set(), ""),
    "location= host": (
        _fresh(lambda r, c: setattr(r, "location", f"http://ex{c}ample.com/")),
        set(), ""),
    "content_location": (
        _fresh(lambda r, c: setattr(r, "content_location", f"/a{c}b")), set(), ""),
    "redirect(path)": (lambda c: redirect(f"/a{c}b"), set(), ""),
    "redirect(host)": (lambda c: redirect(f"http://ex{c}ample.com/"), set(), ""),
}  # fmt: skip


def _cases() -> list[Any]:
    cases = []
    for writer, (_, leaks, bug) in WRITERS.items():
        for label, char in LINE_BREAKERS.items():
            marks = [pytest.mark.xfail(strict=True, reason=bug)] if label in leaks else []
            cases.append(pytest.param(writer, char, id=f"{writer}-{label}", marks=marks))
    return cases


@pytest.mark.parametrize(("writer", "char"), _cases())
def test_response_splitting_every_writer(writer: str, char: str) -> None:
    build = WRITERS[writer][0]
    served_or_refused(lambda: build(char))


@pytest.mark.parametrize("label", ["CR", "LF", "NUL"])
@pytest.mark.parametrize("writer", sorted(name for name in WRITERS if "redirect" not in name))
def test_response_splitting_crlf_nul_raise_at_the_call(writer: str, label: str) -> None:
    """The three hard splitters never get as far as the adapter: the call raises."""
    with pytest.raises(ErlenError) as caught:
        WRITERS[writer][0](LINE_BREAKERS[label])
    assert isinstance(caught.value, (ValueError, TypeError))


@pytest.mark.parametrize("label", ["CR", "LF", "NUL"])
def test_response_splitting_redirect_encodes_crlf(label: str) -> None:
    """redirect() percent-encodes control characters instead of raising (documented)."""
    char = LINE_BREAKERS[label]
    response = redirect(f"/a{char}Set-Cookie: x=1")
    assert char not in response.headers["Location"]
    for result in serve_both(app_returning(lambda: redirect(f"/a{char}b"))).values():
        assert result.header("Location") == f"/a%{ord(char):02X}b"
        assert_clean_wire(result)


def test_response_splitting_werkzeug_lets_nul_and_vt_through() -> None:
    """Why erlen must be stricter: Werkzeug stores NUL and VT in a header value as is."""
    headers = werkzeug.datastructures.Headers()
    headers["X-A"] = "a\x00b\x0bc"
    assert headers["X-A"] == "a\x00b\x0bc"
    with pytest.raises(ErlenError):
        erlen.Headers()["X-A"] = "a\x00b"


def test_response_splitting_failed_write_leaves_headers_unchanged() -> None:
    response = Response("x", headers={"X-Keep": "1"})
    before = list(response.headers.items())
    with pytest.raises(ErlenError):
        response.headers.update({"X-New": "ok", "X-Bad": "a\r\nSet-Cookie: s=1"})
    with pytest.raises(ErlenError):
        response.headers.extend([("X-New", "ok"), ("X-Bad\r\n", "v")])
    assert list(response.headers.items()) == before


# -- the same writes made inside an app, through Flask's return-value rules --------------

APP_WRITERS: dict[str, Callable[[str], Any]] = {
    "tuple headers": lambda c: ("x", 200, {"X-A": f"a{c}b"}),
    "tuple header list": lambda c: ("x", [("X-A", f"a{c}b")]),
    "tuple status": lambda c: ("x", f"200 O{c}K"),
    "jsonify + headers": lambda c: (erlen.jsonify(ok=True), {"X-A": f"a{c}b"}),
    "make_response headers": lambda c: erlen.make_response("x", {"X-A": f"a{c}b"}),
    "abort(401, www_authenticate)": lambda c: erlen.abort(401, www_authenticate=f"Basic{c}x"),
    "abort(405, valid_methods)": lambda c: erlen.abort(405, valid_methods=[f"GET{c}X"]),
    "abort(429, retry_after)": lambda c: erlen.abort(429, retry_after=f"10{c}"),
    "abort(Response)": lambda c: erlen.abort(Response("x", 418, {"X-A": f"a{c}b"})),
    "redirect from view": lambda c: redirect(f"/next{c}Set-Cookie:%20x=1"),
}


@pytest.mark.parametrize("label", ["CR", "LF", "NUL"])
@pytest.mark.parametrize("writer", sorted(APP_WRITERS))
def test_response_splitting_through_view_return_values(writer: str, label: str) -> None:
    """A bad value returned by a view (or raised with abort) gives a clean 500, never a split."""
    char = LINE_BREAKERS[label]
    app = app_returning(lambda: APP_WRITERS[writer](char))
    for result in serve_both(app).values():
        assert_clean_wire(result)
        assert all(name.lower() != "set-cookie" for name, _ in result.headers)


@pytest.mark.parametrize("label", ["CR", "LF", "NUL"])
def test_response_splitting_error_handler_headers(label: str) -> None:
    char = LINE_BREAKERS[label]
    app = erlen.Flask("security")

    @app.route("/")
    def index() -> str:
        erlen.abort(404)

    @app.errorhandler(404)
    def not_found(error: Exception) -> Any:
        return "gone", 404, {"X-A": f"a{char}Set-Cookie: s=1"}

    for result in serve_both(app).values():
        assert result.status_code == 500
        assert_clean_wire(result)


@pytest.mark.parametrize("label", ["CR", "LF", "NUL"])
def test_response_splitting_after_request_header(label: str) -> None:
    char = LINE_BREAKERS[label]
    app = erlen.Flask("security")

    @app.route("/")
    def index() -> str:
        return "ok"

    @app.after_request
    def add(response: Response) -> Response:
        response.headers["X-Trace"] = f"t{char}Set-Cookie: s=1"
        return response

    for result in serve_both(app).values():
        assert result.status_code == 500
        assert_clean_wire(result)


@pytest.mark.parametrize("label", list(LINE_BREAKERS))
def test_response_splitting_send_file_download_name_and_header(label: str, tmp_path: Any) -> None:
    """download_name is safe (filename* encoded); a header added next to it is checked too."""
    char = LINE_BREAKERS[label]
    target = tmp_path / "report.txt"
    target.write_bytes(b"data")
    app = erlen.Flask("security")

    @app.route("/")
    def index() -> Any:
        response = erlen.send_file(str(target), download_name=f"r{char}.txt", as_attachment=True)
        response.headers["X-File"] = f"f{char}"
        return response

    for result in serve_both(app).values():
        assert_clean_wire(result)


BAD_LOCATIONS = [
    "http://host:99999/",
    "http://host:port/",
    "http://[::1/",
    "http://ex\u2028ample.com/",
    "http://a..b/",
    "/lone\ud800",
]


@pytest.mark.parametrize("target", BAD_LOCATIONS)
def test_unsendable_location_raises_at_the_write_not_at_send(target: str) -> None:
    """Werkzeug stores these and fails while sending; erlen fails where they are written."""
    import werkzeug.wrappers

    theirs = werkzeug.wrappers.Response("x")
    theirs.location = target  # accepted: the error comes only at send time
    with pytest.raises((ValueError, UnicodeError)):
        theirs.get_wsgi_headers(
            {"SERVER_NAME": "x", "SERVER_PORT": "80", "wsgi.url_scheme": "http"}
        )
    writes: list[Callable[[], Any]] = [
        lambda: setattr(Response("x"), "location", target),
        lambda: Response("x").headers.__setitem__("Location", target),
        lambda: Response("x", headers={"location": target}),
    ]
    if "\ud800" not in target:
        # redirect() with a lone surrogate fails earlier, encoding its page (as in Flask)
        writes.append(lambda: redirect(target))
    for write in writes:
        with pytest.raises(LocationValueError):
            write()


def test_valid_location_is_stored_as_given_and_sent_like_flask() -> None:
    target = "http://\u2603.net/caf\u00e9?q=a b#frag"
    response = Response("x")
    response.location = target
    assert response.location == target
    assert response.headers["Location"] == target
    for result in serve_both(app_returning(lambda: redirect(target))).values():
        assert result.header("Location") == "http://xn--n3h.net/caf%C3%A9?q=a%20b#frag"
