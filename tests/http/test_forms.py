"""Form body parsing: urlencoded and multipart, differential against Werkzeug."""

from __future__ import annotations

import io
from tempfile import SpooledTemporaryFile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from werkzeug.formparser import FormDataParser
from werkzeug.test import encode_multipart

from erlen.exceptions import BadRequest, RequestEntityTooLarge
from erlen.http.forms import parse_form, parse_multipart

BOUNDARY = "frontier"


def multipart(*parts: bytes, boundary: str = BOUNDARY) -> bytes:
    delimiter = f"--{boundary}".encode()
    body = b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in parts)
    return body + delimiter + b"--\r\n"


def field(name: str, value: bytes, extra: bytes = b"") -> bytes:
    return f'Content-Disposition: form-data; name="{name}"\r\n'.encode() + extra + b"\r\n" + value


def werkzeug_parse(body: bytes, content_type: str, **limits: Any) -> tuple[list[Any], list[Any]]:
    from werkzeug.http import parse_options_header

    mimetype, options = parse_options_header(content_type)
    _, form, files = FormDataParser(silent=False, **limits).parse(
        io.BytesIO(body), mimetype, len(body), options
    )
    return list(form.items(multi=True)), [
        (k, v.filename, v.content_type, v.read()) for k, v in files.items(multi=True)
    ]


def erlen_parse(body: bytes, content_type: str, **limits: Any) -> tuple[list[Any], list[Any]]:
    from erlen.http.mime import parse_options_header

    mimetype, options = parse_options_header(content_type)
    form, files = parse_form(io.BytesIO(body), mimetype, len(body), options, **limits)
    return list(form.items(multi=True)), [
        (k, v.filename, v.content_type, v.read()) for k, v in files.items(multi=True)
    ]


MULTIPART_ROWS: list[bytes] = [
    multipart(field("a", b"1"), field("a", b"2"), field("b", b"")),
    multipart(field("caf\u00e9", "\u2603".encode())),
    multipart(
        field("bin", b"\x00\r\n--frontie\r\n\r\n", b"Content-Type: application/octet-stream\r\n")
    ),
    multipart(
        b'Content-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nfile\r\ncontent"
    ),
    multipart(b'Content-Disposition: form-data; name="f"; filename=""\r\n\r\n'),
    multipart(
        b"Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''%E2%98%83.txt\r\n\r\nx"
    ),
    multipart(field("latin", b"caf\xe9", b"Content-Type: text/plain; charset=iso-8859-1\r\n")),
    multipart(field("odd", b"caf\xe9", b"Content-Type: text/plain; charset=cp1252\r\n")),
    multipart(field("big", b"x" * 200_000)),
    b"preamble\r\n" + multipart(field("p", b"1")) + b"epilogue",
]


@pytest.mark.parametrize("body", MULTIPART_ROWS, ids=range(len(MULTIPART_ROWS)))
def test_multipart_matches_werkzeug(body: bytes) -> None:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    assert erlen_parse(body, content_type) == werkzeug_parse(body, content_type)


URLENCODED_ROWS = [b"", b"a=1&a=2&b=", b"x=%FF&y=a+b&z=%E2%98%83", b"k&=v&&", b"semi=1;2"]


@pytest.mark.parametrize("body", URLENCODED_ROWS)
def test_urlencoded_matches_werkzeug(body: bytes) -> None:
    content_type = "application/x-www-form-urlencoded"
    assert erlen_parse(body, content_type) == werkzeug_parse(body, content_type)


def test_urlencoded_is_not_limited_by_max_form_memory_size() -> None:
    body = b"a=" + b"x" * 1000
    form, _ = erlen_parse(body, "application/x-www-form-urlencoded", max_form_memory_size=10)
    assert form == [("a", "x" * 1000)]


def test_other_mimetypes_give_empty_results() -> None:
    assert erlen_parse(b"a=1", "text/plain") == ([], [])


text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters='\r\n"\\%'), max_size=20
)
values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(text.filter(bool), values), max_size=6),
    st.lists(st.tuples(text.filter(bool), text, st.binary(max_size=200)), max_size=3),
)
def test_generated_forms_match_werkzeug(
    fields: list[tuple[str, str]], uploads: list[tuple[str, str, bytes]]
) -> None:
    data: list[tuple[str, Any]] = list(fields)
    from werkzeug.datastructures import FileStorage as WFileStorage, MultiDict as WMultiDict

    for name, filename, content in uploads:
        data.append(
            (name, WFileStorage(io.BytesIO(content), filename or "f", name, "application/x-test"))
        )
    boundary, body = encode_multipart(WMultiDict(data), boundary="gen-boundary")
    content_type = f"multipart/form-data; boundary={boundary}"
    assert erlen_parse(body, content_type) == werkzeug_parse(body, content_type)


@settings(max_examples=60)
@given(st.lists(st.tuples(values, values), max_size=6))
def test_generated_urlencoded_match_werkzeug(fields: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    body = urlencode(fields).encode()
    content_type = "application/x-www-form-urlencoded"
    assert erlen_parse(body, content_type) == werkzeug_parse(body, content_type)


MALFORMED = [
    ("multipart/form-data", b"--frontier\r\n"),  # no boundary parameter
    ("multipart/form-data; boundary=caf\u00e9", b"x"),
    ("multipart/form-data; boundary=frontier", b"garbage without boundary"),
    ("multipart/form-data; boundary=frontier", multipart(field("a", b"1"))[:-12]),
    ("multipart/form-data; boundary=frontier", multipart(b"X-No-Disposition: 1\r\n\r\nv")),
    (
        "multipart/form-data; boundary=frontier",
        multipart(b"Content-Disposition: form-data\r\n\r\nv"),
    ),
    (
        "multipart/form-data; boundary=frontier",
        multipart(b'Content-Disposition: form-data; name="\xff"\r\n\r\nv'),
    ),
    ("multipart/form-data; boundary=" + "b" * 300, b"x"),
    ("multipart/form-data; boundary=frontier", b""),
]


@pytest.mark.parametrize(("content_type", "body"), MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_multipart_is_400_not_500(content_type: str, body: bytes) -> None:
    # Werkzeug silently returns empty form and files here; erlen answers 400.
    with pytest.raises(BadRequest) as info:
        erlen_parse(body, content_type)
    assert info.value.code == 400


@pytest.mark.parametrize(
    ("body", "limits"),
    [
        (multipart(field("a", b"x" * 101)), {"max_form_memory_size": 100}),
        (multipart(*[field("a", b"1")] * 4), {"max_form_parts": 3}),
    ],
)
def test_limits_give_413_like_werkzeug(body: bytes, limits: dict[str, int]) -> None:
    from werkzeug.exceptions import RequestEntityTooLarge as WerkzeugTooLarge

    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    with pytest.raises(WerkzeugTooLarge):
        werkzeug_parse(body, content_type, **limits)
    with pytest.raises(RequestEntityTooLarge) as info:
        erlen_parse(body, content_type, **limits)
    assert info.value.code == 413


def test_limits_at_the_edge_are_allowed() -> None:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    body = multipart(field("a", b"x" * 100), field("b", b"1"), field("c", b"2"))
    form, _ = erlen_parse(body, content_type, max_form_memory_size=100, max_form_parts=3)
    assert [k for k, _ in form] == ["a", "b", "c"]


def test_file_parts_are_not_limited_by_max_form_memory_size() -> None:
    body = multipart(
        b'Content-Disposition: form-data; name="f"; filename="big"\r\n\r\n' + b"y" * 5000
    )
    _, files = erlen_parse(
        body, f"multipart/form-data; boundary={BOUNDARY}", max_form_memory_size=100
    )
    assert files[0][3] == b"y" * 5000


def test_uploads_are_spooled_to_temporary_files() -> None:
    big = b"z" * (600 * 1024)
    body = multipart(b'Content-Disposition: form-data; name="f"; filename="big"\r\n\r\n' + big)
    _, files = parse_multipart(io.BytesIO(body), BOUNDARY, len(body))
    stream = files["f"].stream
    assert isinstance(stream, SpooledTemporaryFile)
    assert stream._rolled  # type: ignore[attr-defined]  # moved to disk past 500 KiB
    assert files["f"].read() == big
    files["f"].close()


def test_empty_value_written_without_its_own_crlf_is_accepted() -> None:
    # Werkzeug's and erlen's test clients encode an empty value this way.
    body = (
        b'\r\n--b\r\nContent-Disposition: form-data; name="e"\r\n\r\n--b\r\n'
        b'Content-Disposition: form-data; name="f"; filename=""\r\n\r\n--b--\r\n'
    )
    form, files = parse_multipart(io.BytesIO(body), "b", len(body))
    assert list(form.items()) == [("e", "")]
    assert files["f"].read() == b""


def test_value_ending_in_blank_line_before_delimiter_is_kept() -> None:
    body = multipart(field("a", b"\r\n"), field("b", b"x\r\n\r\n"))
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    assert erlen_parse(body, content_type) == werkzeug_parse(body, content_type)


def test_small_reads_parse_the_same() -> None:
    class Trickle(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            return super().read(min(3, size if size and size > 0 else 3))

    body = multipart(field("a", b""), field("b", b"\r\n\r\nvalue"), field("c", b""))
    form, _ = parse_multipart(Trickle(body), BOUNDARY, len(body))
    assert list(form.items()) == [("a", ""), ("b", "\r\n\r\nvalue"), ("c", "")]
