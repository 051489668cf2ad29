"""Response ETags and make_conditional: differential against Flask where Werkzeug is
right, RFC 9110 tables where erlen goes further (multipart ranges, 2xx only)."""

from __future__ import annotations

import email
from collections.abc import Iterator
from typing import Any

import flask
import pytest
from werkzeug.exceptions import RequestedRangeNotSatisfiable as WerkzeugRange416
from werkzeug.test import EnvironBuilder

from erlen.errors import HeaderValueError
from erlen.exceptions import RequestedRangeNotSatisfiable
from erlen.http.conditional import MAX_RANGE_PARTS
from erlen.response import Response

BODY = b"0123456789abcdefghijklmnopqrstuvwxyz"  # 36 bytes
DATE = "Wed, 21 Oct 2015 07:28:00 GMT"
LATER = "Wed, 21 Oct 2015 07:29:00 GMT"
EARLIER = "Wed, 21 Oct 2015 07:27:00 GMT"


def environ(method: str = "GET", **headers: str) -> dict[str, Any]:
    named = {key.replace("_", "-"): value for key, value in headers.items()}
    return EnvironBuilder(method=method, headers=named).get_environ()


def outcome(response: Any, env: dict[str, Any], **kwargs: Any) -> tuple[Any, ...]:
    """(status, headers without Date, body) after make_conditional, or the 416 headers."""
    try:
        response.make_conditional(env, **kwargs)
    except (RequestedRangeNotSatisfiable, WerkzeugRange416) as error:
        return ("416", error.get_headers())
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "date"]
    return (response.status, headers, "Date" in response.headers, response.get_data())


def pair(
    body: Any = BODY,
    status: int = 200,
    etag: str | None = '"abc"',
    last_modified: str | None = DATE,
) -> tuple[Response, flask.Response]:
    made = []
    for cls in (Response, flask.Response):
        response = cls(body() if callable(body) else body, status=status)
        if etag is not None:
            response.headers["ETag"] = etag
        if last_modified is not None:
            response.headers["Last-Modified"] = last_modified
        made.append(response)
    return made[0], made[1]  # type: ignore[return-value]


# Request headers where Werkzeug 3.1 already follows RFC 9110 on a 2xx response.
SHARED_CASES = [
    {},
    {"If-None-Match": '"abc"'},
    {"If-None-Match": 'W/"abc"'},
    {"If-None-Match": '"x", "abc"'},
    {"If-None-Match": '"x"'},
    {"If-Modified-Since": DATE},
    {"If-Modified-Since": LATER},
    {"If-Modified-Since": EARLIER},
    {"If-Match": '"x"'},
    {"If-Match": '"abc"'},
    {"Range": "bytes=0-4"},
    {"Range": "bytes=5-"},
    {"Range": "bytes=-7"},
    {"Range": "bytes=30-100"},
    {"Range": "bytes=0-35"},
    {"Range": "bytes=36-"},
    {"Range": "bytes=-0"},
    {"Range": "bytes=x-y"},
    {"Range": "bytes=0-4", "If-Range": '"abc"'},
    {"Range": "bytes=0-4", "If-Range": '"nope"'},
    {"Range": "bytes=0-4", "If-Range": DATE},
    {"Range": "bytes=0-4", "If-Range": EARLIER},
]


@pytest.mark.parametrize("headers", SHARED_CASES)
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
@pytest.mark.parametrize("kwargs", [{}, {"accept_ranges": True, "complete_length": 36}])
def test_make_conditional_matches_flask(
    headers: dict[str, str], method: str, kwargs: dict[str, Any]
) -> None:
    ours, theirs = pair()
    env = EnvironBuilder(method=method, headers=headers).get_environ()
    assert outcome(ours, env, **kwargs) == outcome(theirs, env, **kwargs)


@pytest.mark.parametrize("headers", [{"Range": "bytes=3-9"}, {"Range": "bytes=-4"}, {}])
@pytest.mark.parametrize("accept_ranges", [True, "bytes", "none", False])
def test_make_conditional_streamed_body_matches_flask(
    headers: dict[str, str], accept_ranges: bool | str
) -> None:
    def generate() -> Iterator[bytes]:
        yield from (BODY[:5], BODY[5:6], BODY[6:20], BODY[20:])

    ours, theirs = pair(generate)
    env = EnvironBuilder(headers=headers).get_environ()
    kwargs = {"accept_ranges": accept_ranges, "complete_length": 36}
    assert outcome(ours, env, **kwargs) == outcome(theirs, env, **kwargs)


def test_range_over_a_stream_with_an_empty_chunk() -> None:
    # Werkzeug's range wrapper stops at an empty chunk (b"345" for 3-9); erlen reads on.
    def generate() -> Iterator[bytes]:
        yield from (BODY[:5], b"", BODY[5:])

    response = Response(generate())
    response.make_conditional(environ(Range="bytes=3-9"), accept_ranges=True, complete_length=36)
    assert response.get_data() == BODY[3:10] and response.content_length == 7


def test_make_conditional_accepts_an_erlen_request() -> None:
    from erlen.app import Erlen

    app = Erlen(__name__)
    with app.test_request_context("/", headers={"If-None-Match": '"abc"'}):
        from erlen.ctx import request

        response, _ = pair()
        assert response.make_conditional(request._get_current_object()) is response  # type: ignore[attr-defined]
        assert response.status_code == 304


# -- erlen goes further -------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 500, 301, 302, 400])
@pytest.mark.parametrize(
    "headers",
    [{"If-None-Match": '"abc"'}, {"If-Modified-Since": LATER}, {"If-Match": '"x"'},
     {"Range": "bytes=0-4"}],
)  # fmt: skip
def test_non_2xx_is_never_made_304_412_or_206(status: int, headers: dict[str, str]) -> None:
    ours, theirs = pair(status=status)
    env = EnvironBuilder(headers=headers).get_environ()
    ours.make_conditional(env, accept_ranges=True, complete_length=36)
    assert ours.status_code == status
    assert ours.get_data() == BODY
    if "If-None-Match" in headers:  # the Werkzeug behaviour erlen does not copy
        theirs.make_conditional(env, accept_ranges=True, complete_length=36)
        assert theirs.status_code == 304


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"If-Match": "*"}, 200),  # Werkzeug: 412
        ({"If-Match": '"abc"', "If-None-Match": '"abc"'}, 304),  # Werkzeug: 200
        ({"If-Match": '"x"', "Range": "bytes=0-1"}, 412),  # Werkzeug: 206
        ({"If-None-Match": '"abc"', "Range": "bytes=0-1"}, 304),  # Werkzeug: 206
        ({"If-Unmodified-Since": EARLIER}, 412),  # Werkzeug ignores it
        ({"Range": "items=0-1"}, 200),  # unknown unit ignored; Werkzeug: 416
        ({"Range": "bytes=0-4", "If-Range": 'W/"abc"'}, 200),  # weak never matches; Werkzeug: 206
        ({"Range": "bytes=0-4", "If-Range": LATER}, 200),  # date must match exactly; Werkzeug: 206
        ({"Range": "bytes=0-4", "If-Range": DATE}, 206),
    ],
)
def test_rfc9110_where_werkzeug_differs(headers: dict[str, str], status: int) -> None:
    ours, _ = pair()
    ours.make_conditional(environ(**headers), accept_ranges=True, complete_length=36)
    assert ours.status_code == status


def test_if_range_on_a_weak_response_etag_serves_whole() -> None:
    ours, _ = pair(etag='W/"abc"')
    ours.make_conditional(
        environ(Range="bytes=0-4", If_Range='"abc"'), accept_ranges=True, complete_length=36
    )
    assert ours.status_code == 200 and ours.get_data() == BODY


def parse_multipart(response: Response) -> list[tuple[str, str | None, bytes]]:
    """(Content-Range, Content-Type, payload) of each part, read back with the email parser."""
    content_type = response.headers["Content-Type"]
    assert content_type.startswith("multipart/byteranges; boundary=")
    data = response.get_data()
    assert response.content_length == len(data)
    message = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + data)
    assert message.is_multipart()
    parts = []
    for part in message.get_payload():  # type: ignore[union-attr]
        payload = part.get_payload(decode=True)
        parts.append((part["Content-Range"], part["Content-Type"], payload))
    assert data.endswith(b"--\r\n")
    return parts


BODIES = {
    "bytes": lambda: BODY,
    "list": lambda: [BODY[:10], BODY[10:]],
    "generator": lambda: (BODY[i : i + 3] for i in range(0, 36, 3)),
    "str-generator": lambda: (BODY[i : i + 7].decode() for i in range(0, 36, 7)),
}


@pytest.mark.parametrize("kind", list(BODIES))
@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("bytes=0-1,4-6", [(0, 2), (4, 7)]),
        ("bytes=30-,0-0", [(0, 1), (30, 36)]),  # sorted on the way out
        ("bytes=0-3,2-5,10-12,13-14", [(0, 6), (10, 15)]),  # overlap and adjacency merged
        ("bytes=-2,0-0,100-200", [(0, 1), (34, 36)]),  # the unsatisfiable one is dropped
    ],
)
def test_multiple_ranges_give_multipart_byteranges(
    kind: str, spec: str, expected: list[tuple[int, int]]
) -> None:
    response = Response(BODIES[kind](), mimetype="text/plain")
    response.make_conditional(environ(Range=spec), accept_ranges=True, complete_length=36)
    assert response.status_code == 206
    assert "Content-Range" not in response.headers
    parts = parse_multipart(response)
    assert parts == [
        (f"bytes {start}-{stop - 1}/36", "text/plain; charset=utf-8", BODY[start:stop])
        for start, stop in expected
    ]


def test_ranges_merging_into_one_give_a_single_part() -> None:
    response = Response(BODY)
    response.make_conditional(
        environ(Range="bytes=4-6,0-3"), accept_ranges=True, complete_length=36
    )
    assert response.status_code == 206
    assert response.headers["Content-Range"] == "bytes 0-6/36"
    assert response.get_data() == BODY[:7]


def test_multipart_boundary_is_random() -> None:
    types = set()
    for _ in range(3):
        response = Response(BODY)
        response.make_conditional(
            environ(Range="bytes=0-0,5-5"), accept_ranges=True, complete_length=36
        )
        types.add(response.headers["Content-Type"])
    assert len(types) == 3


def test_too_many_parts_serve_the_whole_entity() -> None:
    spec = "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(MAX_RANGE_PARTS + 1))
    response = Response(BODY)
    response.make_conditional(environ(Range=spec), accept_ranges=True, complete_length=36)
    assert response.status_code == 200 and response.get_data() == BODY
    spec = "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(MAX_RANGE_PARTS))
    response = Response(BODY)
    response.make_conditional(environ(Range=spec), accept_ranges=True, complete_length=36)
    assert response.status_code == 206 and len(parse_multipart(response)) == MAX_RANGE_PARTS


def test_many_overlapping_ranges_merge_instead_of_hitting_the_cap() -> None:
    # The CVE-2025-62727 shape: thousands of overlapping ranges; merged to one part.
    spec = "bytes=" + ",".join(f"{i % 30}-{i % 30 + 5}" for i in range(5000))
    response = Response(BODY)
    response.make_conditional(environ(Range=spec), accept_ranges=True, complete_length=36)
    assert response.status_code == 206
    assert response.headers["Content-Range"] == "bytes 0-34/36"


@pytest.mark.parametrize("spec", ["bytes=36-", "bytes=40-50,60-", "bytes=x", "bytes=-0"])
def test_unsatisfiable_or_malformed_byte_range_is_416(spec: str) -> None:
    response = Response(BODY)
    with pytest.raises(RequestedRangeNotSatisfiable) as caught:
        response.make_conditional(environ(Range=spec), accept_ranges=True, complete_length=36)
    assert ("Content-Range", "bytes */36") in caught.value.get_headers()


def test_range_without_accept_ranges_or_length_is_ignored() -> None:
    for kwargs in ({}, {"accept_ranges": True}, {"accept_ranges": True, "complete_length": 0}):
        response = Response(BODY)
        response.make_conditional(environ(Range="bytes=0-1"), **kwargs)
        assert response.status_code == 200 and response.get_data() == BODY


def test_range_on_201_is_not_served() -> None:
    response = Response(BODY, status=201)
    response.make_conditional(environ(Range="bytes=0-1"), accept_ranges=True, complete_length=36)
    assert response.status_code == 201


def test_304_on_the_wire_has_no_body_and_keeps_validators() -> None:
    response, _ = pair()
    response.headers["Cache-Control"] = "max-age=60"
    response.headers["Vary"] = "Accept"
    response.make_conditional(environ(If_None_Match='"abc"'))
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        captured.update(status=status, headers=dict(headers))

    body = b"".join(response(environ(If_None_Match='"abc"'), start_response))
    assert captured["status"] == "304 NOT MODIFIED" and body == b""
    for kept in ("ETag", "Cache-Control", "Vary", "Date"):
        assert kept in captured["headers"]
    assert "Content-Length" not in captured["headers"]


def test_multipart_streamed_body_closes_its_source() -> None:
    closed = []

    def generate() -> Iterator[bytes]:
        try:
            yield BODY
        finally:
            closed.append(True)

    response = Response(generate())
    response.make_conditional(
        environ(Range="bytes=0-0,3-3"), accept_ranges=True, complete_length=36
    )
    iterator = iter(response.response)
    assert next(iterator).startswith(b"--")  # the part header
    assert next(iterator) == b"0"  # the source generator is now running
    response.close()
    assert closed == [True]


# -- ETag helpers -------------------------------------------------------------------


@pytest.mark.parametrize("weak", [False, True])
@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("preset", [None, '"old"'])
def test_add_etag_matches_flask(weak: bool, overwrite: bool, preset: str | None) -> None:
    ours, theirs = pair(etag=preset, last_modified=None)
    ours.add_etag(overwrite=overwrite, weak=weak)
    theirs.add_etag(overwrite=overwrite, weak=weak)
    assert ours.headers["ETag"] == theirs.headers["ETag"]
    assert ours.get_etag() == theirs.get_etag()


@pytest.mark.parametrize("etag", ["abc", "", "a b", "ü"])
@pytest.mark.parametrize("weak", [False, True])
def test_set_and_get_etag_match_flask(etag: str, weak: bool) -> None:
    ours, theirs = pair(etag=None)
    ours.set_etag(etag, weak)
    theirs.set_etag(etag, weak)
    assert ours.headers["ETag"] == theirs.headers["ETag"]
    assert ours.get_etag() == theirs.get_etag() == (etag, weak)


def test_get_etag_without_header() -> None:
    assert Response("x").get_etag() == (None, None)


@pytest.mark.parametrize("bad", ['a"b', "a\r\nX-Evil: 1", "a\x00"])
def test_set_etag_refuses_unsafe_values(bad: str) -> None:
    response = Response("x")
    with pytest.raises(HeaderValueError):
        response.set_etag(bad)
    assert "ETag" not in response.headers


def test_accept_ranges_value_is_validated() -> None:
    response = Response("x")
    with pytest.raises(HeaderValueError):
        response.make_conditional(environ(), accept_ranges="bytes\r\nX-Evil: 1")
