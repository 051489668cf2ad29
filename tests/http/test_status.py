"""parse_status and HTTP_STATUS_CODES, checked against Werkzeug's Response."""

from __future__ import annotations

import unicodedata
from http import HTTPStatus

import pytest
from hypothesis import given, strategies as st
from werkzeug.http import HTTP_STATUS_CODES as WERKZEUG_STATUS_CODES
from werkzeug.wrappers import Response as WerkzeugResponse

from erlen.errors import ArgumentTypeError, StatusCodeError
from erlen.http.status import HTTP_STATUS_CODES, parse_status


def werkzeug_status(value: object) -> tuple[int, str]:
    response = WerkzeugResponse(status=value)  # type: ignore[arg-type]
    return response.status_code, response.status


def test_reason_phrase_table_matches_werkzeug() -> None:
    assert HTTP_STATUS_CODES == WERKZEUG_STATUS_CODES
    assert list(HTTP_STATUS_CODES) == sorted(HTTP_STATUS_CODES)


@pytest.mark.parametrize("code", range(100, 600))
def test_every_int_code_matches_werkzeug(code: int) -> None:
    assert parse_status(code) == werkzeug_status(code)
    assert parse_status(str(code)) == werkzeug_status(str(code))


@pytest.mark.parametrize("code", [600, 700, 999])
def test_codes_600_999_are_refused_where_werkzeug_sends_them(code: int) -> None:
    # Documented difference (docs/compat.md): RFC 9110 section 15 makes them invalid.
    assert werkzeug_status(code) == (code, f"{code} UNKNOWN")
    with pytest.raises(StatusCodeError, match="100-599"):
        parse_status(code)
    with pytest.raises(StatusCodeError, match="100-599"):
        parse_status(str(code))


@pytest.mark.parametrize("member", list(HTTPStatus), ids=lambda m: str(m.value))
def test_http_status_members_match_werkzeug(member: HTTPStatus) -> None:
    result = parse_status(member)
    assert result == werkzeug_status(member)
    assert type(result[0]) is int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (201, (201, "201 CREATED")),
        (418, (418, "418 I'M A TEAPOT")),
        (299, (299, "299 UNKNOWN")),
        ("200 Whatever", (200, "200 Whatever")),
        ("200", (200, "200 OK")),
    ],
)
def test_documented_examples(value: int | str, expected: tuple[int, str]) -> None:
    assert parse_status(value) == expected


STRING_STATUSES = [
    "200 OK",
    "200 ok",
    "200 Whatever",
    "404 not found",
    "404 NOT FOUND",
    "201 ",
    " 201",
    "  201  ",
    "\t201\t",
    " 200 OK ",
    "\x0b200 x\x0c",
    "200  two spaces",
    "200 OK OK",
    "200 O\tK",
    "200 \u00d6kay",
    "200 caf\u00e9",
    "299",
    "299 Custom",
    "418",
    "418 Teapot",
    "100",
    "100 Continue please",
    "599",
    "500 Internal Server Error",
    "302 Found",
    "204",
    "451",
    "599 Network Connect Timeout",
    "200 !#$%&'()*+,-./:;<=>?@[]^_`{|}~",
    '200 "quoted"',
]


@pytest.mark.parametrize("value", STRING_STATUSES)
def test_string_status_matches_werkzeug(value: str) -> None:
    assert parse_status(value) == werkzeug_status(value)


def test_int_result_is_cached() -> None:
    assert parse_status(404) is parse_status(404)
    assert parse_status(HTTPStatus.NOT_FOUND) is parse_status(404)


@given(
    code=st.integers(100, 599),
    phrase=st.text(
        st.characters(max_codepoint=0xFF, exclude_categories=["Cc"], include_characters="\t"),
        max_size=30,
    ),
)
def test_property_code_and_phrase_match_werkzeug(code: int, phrase: str) -> None:
    value = f"{code} {phrase}"
    assert parse_status(value) == werkzeug_status(value)


@given(st.text(max_size=20))
def test_property_accepted_strings_match_werkzeug_and_are_safe(value: str) -> None:
    try:
        result = parse_status(value)
    except StatusCodeError:
        return
    assert result == werkzeug_status(value)
    code, line = result
    assert 100 <= code <= 599
    assert line[:3] == str(code)
    assert not {"\r", "\n", "\0"} & set(line)
    line.encode("latin-1")
    assert all(char == "\t" or unicodedata.category(char) != "Cc" for char in line)


BAD_STATUS_VALUES = [
    "",
    "   ",
    "\t",
    "OK",
    "OK 200",
    "Whatever",
    "20",
    "20 OK",
    "2000 OK",
    "99",
    "099 Low",
    "000",
    "1000",
    "-1 x",
    "-200",
    "+200 X",
    "2_00 X",
    "0200 OK",
    "0200",
    "\u0662\u0660\u0660 X",  # Arabic-Indic digits, int() reads them
    "\uff12\uff10\uff10",  # fullwidth digits
    "200\tOK",
    "200.0",
    "200 OK\r\n",
    "200 OK\r\nSet-Cookie: evil=1",
    "\r\n200 OK",
    "200\r\nX: y",
    "200 O\nK",
    "200 O\rK",
    "200 O\x00K",
    "\x00",
    0,
    1,
    99,
    600,
    999,
    1000,
    -5,
    10**20,
]


@pytest.mark.parametrize("value", BAD_STATUS_VALUES)
def test_bad_status_raises_status_code_error(value: int | str) -> None:
    with pytest.raises(StatusCodeError) as info:
        parse_status(value)
    assert repr(value)[:40] in str(info.value) or str(value) in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("value", [None, 200.0, b"200", b"200 OK", [200], (200,), True, False])
def test_wrong_type_raises_argument_type_error(value: object) -> None:
    with pytest.raises(ArgumentTypeError) as info:
        parse_status(value)  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)
    assert repr(value) in str(info.value)


# Deliberate differences: Werkzeug accepts these and sends a broken or
# misleading status line; erlen refuses them.


@pytest.mark.parametrize(
    ("value", "werkzeug_result"),
    [
        ("Whatever", (0, "0 Whatever")),
        ("200\tOK", (0, "0 200\tOK")),
        ("2_00 X", (200, "2_00 X")),
        ("+200 X", (200, "+200 X")),
        ("0200 OK", (200, "0200 OK")),
        ("-1 x", (-1, "-1 x")),
        ("99", (99, "99 UNKNOWN")),
        ("1000", (1000, "1000 UNKNOWN")),
        # RFC 9110 15: a status code is 100-599; Werkzeug sends "600 UNKNOWN".
        (600, (600, "600 UNKNOWN")),
        ("600", (600, "600 UNKNOWN")),
        ("999 Max", (999, "999 Max")),
        (1000, (1000, "1000 UNKNOWN")),
        (0, (0, "0 UNKNOWN")),
        ("200 OK\r\n", (200, "200 OK")),
        # every control but HTAB, and text Latin-1 cannot encode, inside the phrase
        ("200 O\x0bK", (200, "200 O\x0bK")),
        ("200 O\x0cK", (200, "200 O\x0cK")),
        ("200 O\x1cK", (200, "200 O\x1cK")),
        ("200 O\x7fK", (200, "200 O\x7fK")),
        ("200 O\x85K", (200, "200 O\x85K")),
        ("200 O\u2028K", (200, "200 O\u2028K")),
        ("200 O\u2029K", (200, "200 O\u2029K")),
        ("200 \u2603", (200, "200 \u2603")),
    ],
)
def test_stricter_than_werkzeug(value: int | str, werkzeug_result: tuple[int, str]) -> None:
    assert werkzeug_status(value) == werkzeug_result
    with pytest.raises(StatusCodeError):
        parse_status(value)


def test_status_line_injection_is_rejected() -> None:
    # Werkzeug keeps CR/LF inside the phrase; it would reach the status line.
    value = "200 OK\r\nSet-Cookie: session=attacker"
    assert "\r\n" in werkzeug_status(value)[1]
    with pytest.raises(StatusCodeError, match="CR, LF or NUL"):
        parse_status(value)


def test_bool_is_not_a_status() -> None:
    assert werkzeug_status(True) == (1, "1 UNKNOWN")
    with pytest.raises(ArgumentTypeError):
        parse_status(True)


def test_str_subclass_is_parsed_by_its_text() -> None:
    class Sneaky(str):
        def __contains__(self, item: object) -> bool:
            return False

        def strip(self, chars: str | None = None) -> str:
            return "200 OK"

    with pytest.raises(StatusCodeError):
        parse_status(Sneaky("200 OK\r\nX: y"))
    assert parse_status(Sneaky(" 201 Made ")) == (201, "201 Made")


@pytest.mark.parametrize(
    ("value", "label"),
    [("200 O\x0bK", "U+000B"), ("404 N\x85F", "U+0085"), ("200 a\u2028b", "U+2028"),
     ("200 a\x01", "U+0001"), ("200 snow\u2603man", "U+2603")],
)  # fmt: skip
def test_unsendable_reason_phrase_error_names_the_character(value: str, label: str) -> None:
    with pytest.raises(StatusCodeError) as info:
        parse_status(value)
    assert label in str(info.value)
    assert repr(value) in str(info.value)


def test_status_code_setter_refuses_codes_outside_100_599() -> None:
    from werkzeug.wrappers import Response as WerkzeugResponse

    from erlen import Response

    theirs = WerkzeugResponse()
    theirs.status_code = 600
    assert theirs.status == "600 UNKNOWN"  # what Werkzeug would put on the wire
    ours = Response()
    with pytest.raises(StatusCodeError, match="100-599"):
        ours.status_code = 600
    with pytest.raises(StatusCodeError):
        ours.status = "600 Whatever"
    with pytest.raises(StatusCodeError):
        Response(status=999)
    assert ours.status_code == 200  # unchanged by the refused writes
    ours.status_code = 599
    assert ours.status == "599 UNKNOWN"
