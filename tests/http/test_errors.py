"""The HTTP errors raised at the sans-IO layer are erlen.exceptions' own classes."""

from __future__ import annotations

import io
from typing import Any

import pytest
import werkzeug.datastructures
import werkzeug.exceptions

import erlen.exceptions
from erlen.http import errors
from erlen.http.datastructures import MultiDict
from erlen.http.forms import parse_form


@pytest.mark.parametrize("name", errors.__all__)
def test_exceptions_reexports_the_same_class(name: str) -> None:
    assert getattr(erlen.exceptions, name) is getattr(errors, name)


def test_missing_key_is_the_bad_request_key_error_werkzeug_raises() -> None:
    with pytest.raises(erlen.exceptions.BadRequestKeyError) as ours:
        MultiDict()["name"]
    with pytest.raises(werkzeug.exceptions.BadRequestKeyError) as theirs:
        werkzeug.datastructures.MultiDict()["name"]
    assert isinstance(ours.value, KeyError)
    assert ours.value.code == theirs.value.code == 400
    assert ours.value.get_response().status_code == 400


def test_form_with_too_many_parts_is_a_413() -> None:
    part = b'Content-Disposition: form-data; name="a"\r\n\r\nx\r\n'
    body = b"--b\r\n" + part + b"--b\r\n" + part + b"--b--\r\n"
    with pytest.raises(erlen.exceptions.RequestEntityTooLarge):
        parse_form(
            io.BytesIO(body), "multipart/form-data", len(body), {"boundary": "b"}, max_form_parts=1
        )


def test_multipart_without_boundary_is_a_400() -> None:
    with pytest.raises(erlen.exceptions.BadRequest):
        parse_form(io.BytesIO(b"x"), "multipart/form-data", 1, {})


def test_erlen_pages_never_read_the_environ() -> None:
    classes = [cls for cls in vars(erlen.exceptions).values() if isinstance(cls, type)]
    http_errors = [cls for cls in classes if issubclass(cls, errors.HTTPException)]
    assert len(http_errors) > 30
    assert not any(cls._uses_environ for cls in http_errors)


def test_a_page_method_of_the_app_may_read_the_environ() -> None:
    class Teapot(erlen.exceptions.ImATeapot):
        def get_body(self, environ: Any = None, scope: Any = None) -> str:
            return str(environ["PATH_INFO"])

    assert Teapot._uses_environ
    response = Teapot().get_response({"PATH_INFO": "/pot"})
    assert response.get_data() == b"/pot"
