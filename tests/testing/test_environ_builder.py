"""build_environ / EnvironBuilder against Werkzeug's EnvironBuilder: the same environ."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import flask
import pytest
from hypothesis import given, settings, strategies as st
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.test import EnvironBuilder as WerkzeugEnvironBuilder

from erlen.errors import ArgumentTypeError, HeaderValueError
from erlen.testing import RequestArgumentError, build_environ
from tests.testing.test_client import erlen_client, make_app


def _read_all(stream: Any) -> bytes:
    data: bytes = stream.read()
    return data


def normalize_environ(environ: dict[str, Any]) -> dict[str, Any]:
    out = dict(environ)
    out.pop("wsgi.errors")
    body = _read_all(out.pop("wsgi.input"))
    content_type = out.get("CONTENT_TYPE", "")
    match = re.search(r'boundary="([^"]+)"', content_type)
    if match:
        boundary = match.group(1)
        out["CONTENT_TYPE"] = content_type.replace(boundary, "B")
        body = body.replace(boundary.encode(), b"B")
        # Our boundary has a different prefix: the length follows it.
        out["CONTENT_LENGTH"] = str(len(body))
    out["body"] = body
    return out


ENVIRON_CASES: list[Callable[[], dict[str, Any]]] = [
    lambda: {},
    lambda: {"path": "/a/b"},
    lambda: {"path": "/a b/ü"},
    lambda: {"path": "/a%20b%2Fc"},
    lambda: {"path": "/p?x=1&y=%C3%A9"},
    lambda: {"path": "/p?x=ü"},
    lambda: {"path": "/p#frag"},
    lambda: {"path": "//double//slash"},
    lambda: {"path": "/x", "base_url": "http://example.com"},
    lambda: {"path": "/x", "base_url": "https://example.com/root/"},
    lambda: {"path": "/x", "base_url": "http://example.com:8080/a/b"},
    lambda: {"path": "/x", "base_url": "http://ü.example/"},
    lambda: {"path": "/x", "base_url": "http://[::1]:5000/"},
    lambda: {"path": "/x", "base_url": "http://user:pw@host/"},
    lambda: {"query_string": "a=1&b=2"},
    lambda: {"query_string": {"a": "1", "b": ["2", "3"], "c": None}},
    lambda: {"query_string": {"sp ace": "é&=", "t": ("x", "y")}},
    lambda: {"query_string": MultiDict([("a", "1"), ("b", "2"), ("a", "3")])},
    lambda: {"query_string": [("a", "1"), ("b", "2"), ("a", "3")]},
    lambda: {"query_string": {"n": 5}},
    lambda: {"method": "POST"},
    lambda: {"method": "PATCH", "data": "x"},
    lambda: {"data": "text"},
    lambda: {"data": b"\x00\x01"},
    lambda: {"data": "é", "content_type": "text/plain; charset=utf-8"},
    lambda: {"data": io.BytesIO(b"from a file")},
    lambda: {"data": ""},
    lambda: {"data": {}},
    lambda: {"data": {"a": "1", "b": ["2", "3"]}},
    lambda: {"data": {"a": 1, "n": None}},
    lambda: {"data": {"a": "1"}, "content_type": "text/plain"},
    lambda: {"data": {"a": "1"}, "content_type": "multipart/form-data"},
    lambda: {"data": {"a": "x", "n": None}, "content_type": "multipart/form-data"},
    lambda: {"data": {"f": (io.BytesIO(b"abc"), "a.txt")}},
    lambda: {"data": {"f": (io.BytesIO(b"abc"), "a.txt", "text/x-custom")}},
    lambda: {"data": {"f": io.BytesIO(b"no name")}},
    lambda: {"data": {"f": [(io.BytesIO(b"1"), "1.png"), (io.BytesIO(b""), "2.json")]}},
    lambda: {"data": {"z": "first", "f": (io.BytesIO(b"x"), "x.html"), "a": ["1", "2"]}},
    lambda: {"data": MultiDict([("k", "1"), ("f", (io.BytesIO(b"q"), "q")), ("k", "2")])},
    lambda: {"input_stream": io.BytesIO(b"streamed"), "content_type": "a/b"},
    lambda: {"input_stream": io.BytesIO(b"streamed"), "content_length": 3},
    lambda: {"content_length": 12},
    lambda: {"content_length": "12"},
    lambda: {"content_type": "application/json"},
    lambda: {"mimetype": "text/plain"},
    lambda: {"mimetype": "application/xml", "data": "<a/>"},
    lambda: {"mimetype": "image/svg+xml"},
    lambda: {"mimetype": "application/octet-stream"},
    lambda: {"headers": {"X-A": "1", "X-B": ["2", "3"]}},
    lambda: {"headers": [("X-A", "1"), ("x-a", "2"), ("Content-Type", "a/b")]},
    lambda: {"headers": Headers([("Accept", "*/*"), ("Content-Length", "7")])},
    lambda: {"headers": {"Host": "override.test"}},
    lambda: {"headers": {"X-Num": 5}, "content_type": "x/y", "content_length": 0},
    lambda: {"environ_base": {"REMOTE_ADDR": "1.2.3.4", "PATH_INFO": "/lost"}},
    lambda: {"environ_overrides": {"PATH_INFO": "/won", "wsgi.url_scheme": "https"}},
    lambda: {"multithread": True, "multiprocess": True, "run_once": True},
    lambda: {"auth": ("user", "pässword")},
    lambda: {"json": {"a": 1, "b": [True, None]}},
    lambda: {"json": "just a string", "content_type": "application/vnd.api+json"},
    lambda: {"json": [], "headers": {"Content-Type": "text/json"}},
]


@pytest.mark.parametrize("make_kwargs", ENVIRON_CASES)
def test_build_environ_matches_werkzeug(make_kwargs: Callable[[], dict[str, Any]]) -> None:
    theirs = WerkzeugEnvironBuilder(**make_kwargs()).get_environ()
    ours = build_environ(**make_kwargs())
    assert normalize_environ(ours) == normalize_environ(theirs)


APP_ENVIRON_CASES: list[dict[str, Any]] = [
    {},
    {"path": "/x?y=1"},
    {"path": "https://api.test:444/x?y=1"},
    {"subdomain": "api"},
    {"url_scheme": "https"},
    {"base_url": "http://given.test/b"},
    {"json": {"b": 1, "a": 2}},
]


@pytest.mark.parametrize("config", [{}, {"SERVER_NAME": "app.test", "APPLICATION_ROOT": "/r"}])
@pytest.mark.parametrize("kwargs", APP_ENVIRON_CASES)
def test_build_environ_with_app_matches_flask(
    config: dict[str, Any], kwargs: dict[str, Any]
) -> None:
    app = make_app(PREFERRED_URL_SCHEME="http", **config)
    theirs = flask.testing.EnvironBuilder(app, **kwargs).get_environ()
    ours = build_environ(app=app, **kwargs)
    assert normalize_environ(ours) == normalize_environ(theirs)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"path": "/a?b=1", "query_string": "c=2"}, RequestArgumentError),
        ({"base_url": "http://h/?q=1"}, RequestArgumentError),
        ({"base_url": "http://h/#frag"}, RequestArgumentError),
        ({"base_url": "https://example.com:notaport"}, RequestArgumentError),
        ({"base_url": "http://[::1/"}, RequestArgumentError),
        ({"json": {}, "data": "x"}, ArgumentTypeError),
        ({"data": "x", "input_stream": io.BytesIO()}, ArgumentTypeError),
        ({"data": {"f": ("a", "b", "c", "d")}}, ArgumentTypeError),
        ({"subdomain": "x", "base_url": "http://h/"}, ArgumentTypeError),
    ],
)
def test_build_environ_rejects_contradictory_arguments(
    kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        build_environ(**kwargs)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-A": "v\r\nInjected: 1"},
        {"X-A": "v\nx"},
        {"X-A": "v\x00"},
        {"Bad Name": "v"},
        {"X-A\r\n": "v"},
        {"": "v"},
    ],
)
def test_header_injection_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(HeaderValueError):
        build_environ(headers=headers)
    with pytest.raises(HeaderValueError):
        erlen_client(make_app()).get("/", headers=headers)


def test_multipart_names_cannot_break_out_of_their_quotes() -> None:
    environ = build_environ(
        method="POST", data={'a"\r\nX-Evil: 1': (io.BytesIO(b"x"), 'f"\r\n.txt')}
    )
    body = environ["wsgi.input"].read()
    assert b"X-Evil" in body
    assert b"\r\nX-Evil" not in body
    assert b'name="a%22%0D%0AX-Evil: 1"; filename="f%22%0D%0A.txt"' in body


# ---------------------------------------------------------------------------
# Property tests

header_values = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=0, max_size=20
)
query_keys = st.text(min_size=1, max_size=8)
path_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="?#\r\n\x00"),
    max_size=20,
)


@settings(max_examples=150, deadline=None)
@given(
    path=path_text,
    query=st.dictionaries(query_keys, st.lists(st.text(max_size=8), max_size=3), max_size=4),
    headers=st.lists(
        st.tuples(st.sampled_from(["X-A", "Accept", "x-a", "X-Long-Name"]), header_values),
        max_size=5,
    ),
    form=st.dictionaries(query_keys, st.text(max_size=10), max_size=3),
)
def test_build_environ_matches_werkzeug_property(
    path: str,
    query: dict[str, list[str]],
    headers: list[tuple[str, str]],
    form: dict[str, str],
) -> None:
    kwargs = {"path": "/" + path, "query_string": query, "headers": headers, "data": form}
    ours = build_environ(method="POST", **kwargs)
    theirs = WerkzeugEnvironBuilder(method="POST", **kwargs).get_environ()
    assert normalize_environ(ours) == normalize_environ(theirs)
