"""erlen.exceptions against werkzeug.exceptions: codes, names, headers, pages, abort."""

from __future__ import annotations

import datetime
import http

import pytest
import werkzeug.exceptions as wz
from werkzeug.routing import RequestRedirect as WerkzeugRequestRedirect

import erlen.exceptions as ex
from erlen.errors import HeaderValueError, LocationValueError

CLASS_NAMES = [
    name
    for name in dir(wz)
    if isinstance(getattr(wz, name), type)
    and issubclass(getattr(wz, name), wz.HTTPException)
    and not name.startswith("_")
]


def test_every_werkzeug_class_exists() -> None:
    missing = [name for name in CLASS_NAMES if not hasattr(ex, name)]
    assert missing == []
    assert len(CLASS_NAMES) >= 35


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_code_name_and_hierarchy_match(name: str) -> None:
    ours, theirs = getattr(ex, name), getattr(wz, name)
    assert ours.code == theirs.code
    assert ours().name == theirs().name
    for base in theirs.__mro__:
        if base.__module__ == wz.__name__ and not base.__name__.startswith("_"):
            assert issubclass(ours, getattr(ex, base.__name__)), base
    if issubclass(theirs, KeyError):
        assert issubclass(ours, KeyError)


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_page_has_werkzeug_shape_with_same_description(name: str) -> None:
    description = "Line <one> & \"two\"\nit's 'three'"
    if name == "BadRequestKeyError":
        ours = ex.BadRequestKeyError("k", description)
        theirs = wz.BadRequestKeyError("k", description)
    else:
        ours = getattr(ex, name)(description=description)
        theirs = getattr(wz, name)(description=description)
    assert ours.get_body() == theirs.get_body()
    assert ours.get_headers() == theirs.get_headers()
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_default_description_is_our_own_text(name: str) -> None:
    ours, theirs = getattr(ex, name)(), getattr(wz, name)()
    body = ours.get_body()
    assert body.startswith(f"<!doctype html>\n<html lang=en>\n<title>{ours.code} ")
    assert body.endswith("</p>\n")
    if theirs.description:
        # deliberate difference: same page shape, our own sentences
        assert ours.description != theirs.description


def test_description_none_renders_empty_paragraph() -> None:
    class Custom(ex.HTTPException):
        code = 599

    class TheirCustom(wz.HTTPException):
        code = 599

    assert Custom().get_body() == TheirCustom().get_body()
    assert str(Custom()) == str(TheirCustom()) == "599 Unknown Error: None"
    assert repr(ex.HTTPException()) == repr(wz.HTTPException())


@pytest.mark.parametrize(
    "valid_methods",
    [None, [], ["GET"], ["GET", "POST", "HEAD"], ("PUT", "DELETE"), ["post", "GET"]],
)
def test_method_not_allowed_allow_header(valid_methods: list[str] | None) -> None:
    ours = ex.MethodNotAllowed(valid_methods=valid_methods)
    theirs = wz.MethodNotAllowed(valid_methods=valid_methods)
    assert ours.get_headers() == theirs.get_headers()


@pytest.mark.parametrize(
    ("length", "units"), [(None, "bytes"), (0, "bytes"), (1234, "bytes"), (10, "items")]
)
def test_range_not_satisfiable_content_range(length: int | None, units: str) -> None:
    ours = ex.RequestedRangeNotSatisfiable(length=length, units=units)
    theirs = wz.RequestedRangeNotSatisfiable(length=length, units=units)
    assert ours.get_headers() == theirs.get_headers()


@pytest.mark.parametrize("name", ["TooManyRequests", "ServiceUnavailable"])
@pytest.mark.parametrize(
    "retry_after",
    [
        None,
        0,
        120,
        datetime.datetime(2030, 1, 2, 3, 4, 5),
        datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        datetime.datetime(
            2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
        ),
    ],
)
def test_retry_after_header(name: str, retry_after: object) -> None:
    ours = getattr(ex, name)(retry_after=retry_after)
    theirs = getattr(wz, name)(retry_after=retry_after)
    assert ours.get_headers() == theirs.get_headers()


@pytest.mark.parametrize(
    "www_authenticate",
    [None, [], ['Basic realm="x"'], ['Basic realm="x"', 'Bearer realm="api"']],
)
def test_unauthorized_www_authenticate(www_authenticate: list[str] | None) -> None:
    ours = ex.Unauthorized(www_authenticate=www_authenticate)
    theirs = wz.Unauthorized(www_authenticate=www_authenticate)  # type: ignore[arg-type]
    assert ours.get_headers() == theirs.get_headers()


def test_unauthorized_accepts_a_werkzeug_www_authenticate_object() -> None:
    from werkzeug.datastructures import WWWAuthenticate

    value = WWWAuthenticate("basic", {"realm": "r"})
    assert (
        ex.Unauthorized(www_authenticate=value).get_headers()
        == wz.Unauthorized(www_authenticate=value).get_headers()
    )


def test_unauthorized_single_string_is_one_header() -> None:
    # deliberate difference: Werkzeug iterates a str into one header per character
    headers = ex.Unauthorized(www_authenticate='Basic realm="x"').get_headers()
    assert headers[1:] == [("WWW-Authenticate", 'Basic realm="x"')]


def test_internal_server_error_keeps_original_exception() -> None:
    cause = ValueError("boom")
    error = ex.InternalServerError(original_exception=cause)
    assert error.original_exception is cause
    assert ex.InternalServerError().original_exception is None


def test_bad_request_key_error_is_key_error() -> None:
    ours, theirs = ex.BadRequestKeyError("name"), wz.BadRequestKeyError("name")
    assert isinstance(ours, KeyError) and isinstance(ours, ex.BadRequest)
    assert ours.args == theirs.args == ("name",)
    assert ex.BadRequestKeyError().args == wz.BadRequestKeyError().args == ()
    ours.show_exception = theirs.show_exception = True
    assert str(ours.description).endswith("\nKeyError: 'name'")
    assert str(ours.description).split("\n")[1] == str(theirs.description).split("\n")[1]
    ours.description = theirs.description = "custom"
    assert ours.get_body() == theirs.get_body()


def test_request_redirect_response() -> None:
    ours = ex.RequestRedirect("/new/?a=1")
    assert ours.code == WerkzeugRequestRedirect.code == 308
    assert ours.new_url == "/new/?a=1"
    response = ours.get_response()
    assert response.status_code == 308
    assert response.headers["Location"] == "/new/?a=1"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'href="/new/?a=1"' in response.data


@pytest.mark.parametrize(
    "new_url",
    [
        "/new/?a=1",
        "http://localhost/slash/?x=1&y=2",
        "http://localhost/a/<b>/'q'/\"d\"/",
        "http://localhost/%5Cevil.example/x/",
        "http://xn--n3h.net/caf%C3%A9/",
    ],
)
def test_request_redirect_response_matches_werkzeug(new_url: str) -> None:
    # Header order too: Content-Type, Content-Length, then Location.
    ours = ex.RequestRedirect(new_url).get_response()
    theirs = WerkzeugRequestRedirect(new_url).get_response()
    assert ours.status == theirs.status
    assert ours.headers.to_wsgi_list() == theirs.headers.to_wsgi_list()
    assert ours.get_data() == theirs.get_data()


def test_get_response_matches_werkzeug_status_headers_and_body() -> None:
    for name in ("NotFound", "MethodNotAllowed", "TooManyRequests"):
        kwargs = {"description": "x"}
        ours = getattr(ex, name)(**kwargs).get_response()
        theirs = getattr(wz, name)(**kwargs).get_response()
        assert ours.status == theirs.status
        assert ours.data == theirs.data
        assert list(ours.headers.items()) == list(theirs.headers.items())


def test_given_response_is_returned_as_is() -> None:
    from erlen.response import Response

    response = Response("teapot", 418)
    assert ex.NotFound(response=response).get_response() is response


def test_exception_is_a_wsgi_app() -> None:
    seen: list[object] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.append((status, headers))

    body = b"".join(ex.Forbidden("no")({"REQUEST_METHOD": "GET"}, start_response))
    wz_seen: list[object] = []
    wz_body = b"".join(
        wz.Forbidden("no")(
            {"REQUEST_METHOD": "GET", "SERVER_NAME": "x", "SERVER_PORT": "80"},
            lambda status, headers, exc_info=None: wz_seen.append((status, headers)),  # type: ignore[arg-type]
        )
    )
    assert body == wz_body
    assert seen == wz_seen


# -- abort -------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(wz.default_exceptions))
def test_abort_raises_the_registered_class(code: int) -> None:
    assert ex.default_exceptions[code].__name__ == wz.default_exceptions[code].__name__
    with pytest.raises(ex.HTTPException) as ours:
        ex.abort(code)
    with pytest.raises(wz.HTTPException) as theirs:
        wz.abort(code)
    assert type(ours.value).__name__ == type(theirs.value).__name__
    assert ours.value.code == code


def test_default_exceptions_table_has_same_codes() -> None:
    assert set(ex.default_exceptions) == set(wz.default_exceptions)


def test_abort_forwards_arguments() -> None:
    with pytest.raises(ex.NotFound) as info:
        ex.abort(404, "No such user")
    assert info.value.description == "No such user"
    with pytest.raises(ex.MethodNotAllowed) as info405:
        ex.abort(405, valid_methods=["GET"])
    assert info405.value.get_headers()[-1] == ("Allow", "GET")


def test_abort_accepts_int_enum() -> None:
    with pytest.raises(ex.NotFound):
        ex.abort(http.HTTPStatus.NOT_FOUND)
    with pytest.raises(wz.NotFound):
        wz.abort(http.HTTPStatus.NOT_FOUND)


@pytest.mark.parametrize("code", [200, 308, 999, "404", None, 404.0])
def test_abort_unknown_code_is_lookup_error(code: object) -> None:
    with pytest.raises(LookupError) as ours:
        ex.abort(code)  # type: ignore[arg-type]
    if code != 404.0:  # Werkzeug finds 404.0 (equal hash); we require an int
        with pytest.raises(LookupError) as theirs:
            wz.abort(code)  # type: ignore[arg-type]
        assert str(ours.value) == str(theirs.value)
    assert repr(code) in str(ours.value)


def test_abort_with_response_wraps_it() -> None:
    from erlen.response import Response

    response = Response("gone", 410)
    with pytest.raises(ex.HTTPException) as info:
        ex.abort(response)
    assert type(info.value) is ex.HTTPException
    assert info.value.get_response() is response


def test_aborter_extra_mapping() -> None:
    class Custom(ex.HTTPException):
        code = 599

    aborter = ex.Aborter(extra={599: Custom})
    with pytest.raises(Custom):
        aborter(599)


# -- header injection ----------------------------------------------------------


@pytest.mark.parametrize("bad", ["a\r\nSet-Cookie: x=1", "a\nb", "a\x00b"])
def test_header_injection_refused(bad: str) -> None:
    with pytest.raises(HeaderValueError):
        ex.MethodNotAllowed(valid_methods=["GET", bad])
    with pytest.raises(HeaderValueError):
        ex.Unauthorized(www_authenticate=[bad])
    with pytest.raises(HeaderValueError):
        ex.RequestedRangeNotSatisfiable(length=3, units=bad)
    with pytest.raises(HeaderValueError):
        ex.TooManyRequests(retry_after=bad)  # type: ignore[arg-type]
    with pytest.raises(LocationValueError):
        ex.RequestRedirect(f"/x{bad}")


def test_location_injection_refused_after_mutation() -> None:
    error = ex.RequestRedirect("/ok")
    error.new_url = "/ok\r\nX: 1"
    with pytest.raises(LocationValueError):
        error.get_response()


def test_header_errors_name_field_and_value() -> None:
    with pytest.raises(HeaderValueError, match=r"Allow.*'G\\nET'"):
        ex.MethodNotAllowed(valid_methods=["G\nET"])
