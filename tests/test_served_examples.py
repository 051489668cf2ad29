"""The example apps served by real servers, compared with Flask's answers.

Every route of ``examples/spec_app.py`` is requested over TCP from gunicorn
(WSGI), ``erlen run`` (uvicorn, ASGI), ``erlen run --server hypercorn`` (ASGI)
and plain ``python -m uvicorn`` (uvicorn's own ASGI 3 detection). Status, body
and the headers the app decides are compared with what Flask's test client
returns for the same route of the same source run as a Flask app; headers the
server adds (Date, Server, Connection) are not the app's and are ignored.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.servers import REPO_ROOT, Served, running_server, server_fixture
from tests.support import make_twin_apps, normalize_headers

spec_server = server_fixture("examples.spec_app:app")
notes_server = server_fixture("examples.notes_app:app")

#: (method, path, headers compared exactly with Flask's (lower case)).
SPEC_ROUTES: list[tuple[str, str, tuple[str, ...]]] = [
    ("GET", "/", ("content-type", "content-length")),
    ("GET", "/created", ("content-type", "content-length")),
    ("GET", "/custom-headers", ("content-type", "content-length", "x-custom")),
    ("GET", "/cookie", ("content-type", "content-length", "set-cookie")),
    ("GET", "/raw", ("content-type", "content-length", "x-custom")),
    ("GET", "/api/user", ("content-type", "content-length")),
    ("GET", "/stream", ("content-type", "content-length")),
    ("GET", "/download", ("content-type", "content-length", "content-disposition")),
    ("POST", "/login", ("content-type", "content-length", "set-cookie")),
    ("GET", "/logout", ("content-type", "content-length", "set-cookie")),
    ("GET", "/api/data", ("content-type", "content-length", "x-total-count", "cache-control")),
    ("GET", "/redirect-temp", ("content-type", "content-length", "location")),
    # Errors: 405 with Allow, 404. Content-Length is left out: error pages
    # carry our own description sentence (docs/compat.md), so their length differs.
    ("GET", "/login", ("content-type", "allow")),
    ("DELETE", "/", ("content-type", "allow")),
    ("POST", "/api/user", ("content-type", "allow")),
    ("GET", "/no-such-page", ("content-type",)),
    ("GET", "/api/user/", ("content-type",)),
]
_DESCRIPTION = re.compile(rb"<p>.*</p>")


def page_shape(body: bytes) -> bytes:
    """An error page with its description sentence (erlen's own wording) blanked."""
    return _DESCRIPTION.sub(b"<p>...</p>", body)


GET_PATHS = [path for method, path, _ in SPEC_ROUTES[:12] if method == "GET"]
ALL_PATHS = sorted({path for _, path, _ in SPEC_ROUTES[:12]})


class FlaskAnswer:
    """What Flask's test client returned: status, body, header values by lower-case name."""

    def __init__(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.status = status
        self.body = body
        self.headers = headers

    def values(self, name: str) -> list[str]:
        return [value for key, value in normalize_headers(self.headers, lower=True) if key == name]


@pytest.fixture(scope="module")
def flask_spec_app() -> Any:
    source = (REPO_ROOT / "examples" / "spec_app.py").read_text()
    return make_twin_apps(source)[1]


def flask_answer(app: Any, method: str, path: str) -> FlaskAnswer:
    response = app.test_client().open(path, method=method)
    return FlaskAnswer(response.status_code, response.get_data(), list(response.headers.items()))


def served_values(response: httpx.Response, name: str) -> list[str]:
    pairs = [
        (key.decode("latin-1"), value.decode("latin-1")) for key, value in response.headers.raw
    ]
    return [value for key, value in normalize_headers(pairs, lower=True) if key == name]


def comparable(values: list[str], name: str) -> list[Any]:
    # Flask builds Allow from a set, so its order follows the hash seed.
    if name == "allow":
        return [sorted(value.split(", ")) for value in values]
    return list(values)


@pytest.fixture
def client(spec_server: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=spec_server.url, follow_redirects=False, timeout=10) as session:
        yield session


# --- every route against Flask ------------------------------------------------


@pytest.mark.parametrize(("method", "path", "compared"), SPEC_ROUTES)
def test_route_matches_flask(
    client: httpx.Client, flask_spec_app: Any, method: str, path: str, compared: tuple[str, ...]
) -> None:
    expected = flask_answer(flask_spec_app, method, path)
    response = client.request(method, path)
    assert response.status_code == expected.status
    if expected.status >= 400:
        assert page_shape(response.content) == page_shape(expected.body)
        assert response.headers["content-length"] == str(len(response.content))
    else:
        assert response.content == expected.body
    for name in compared:
        assert comparable(served_values(response, name), name) == comparable(
            expected.values(name), name
        ), name


def test_stream_is_chunked_without_length(client: httpx.Client) -> None:
    response = client.get("/stream")
    assert response.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.headers
    assert response.text == "".join(f"Line {i}\n" for i in range(10))


def test_json_bodies(client: httpx.Client) -> None:
    assert client.get("/api/user").json() == {
        "id": 123,
        "username": "alice",
        "email": "[email protected]",
    }
    data = client.get("/api/data")
    assert data.json() == {"users": ["alice", "bob"], "count": 2}
    assert (data.headers["x-total-count"], data.headers["cache-control"]) == ("2", "no-cache")
    login = client.post("/login")
    assert login.headers["content-type"] == "application/json"
    assert json.loads(login.content) == {"status": "logged in"}


def cookie_attributes(header: str) -> tuple[str, dict[str, str]]:
    pair, *attributes = [part.strip() for part in header.split(";")]
    parsed = {}
    for attribute in attributes:
        name, _, value = attribute.partition("=")
        parsed[name.lower()] = value
    return pair, parsed


def test_cookie_route_sets_plain_cookie(client: httpx.Client) -> None:
    (header,) = client.get("/cookie").headers.get_list("set-cookie")
    assert cookie_attributes(header) == ("username=alice", {"path": "/"})


def test_login_sets_secure_httponly_lax_cookie(client: httpx.Client) -> None:
    (header,) = client.post("/login").headers.get_list("set-cookie")
    pair, attributes = cookie_attributes(header)
    assert pair == "session_id=secure-token-here"
    assert set(attributes) == {"expires", "max-age", "secure", "httponly", "path", "samesite"}
    assert (attributes["max-age"], attributes["samesite"], attributes["path"]) == (
        "3600",
        "Lax",
        "/",
    )
    expires = email.utils.parsedate_to_datetime(attributes["expires"]).timestamp()
    assert abs(expires - (time.time() + 3600)) < 120


def test_logout_expires_cookie_in_1970(client: httpx.Client) -> None:
    (header,) = client.get("/logout").headers.get_list("set-cookie")
    pair, attributes = cookie_attributes(header)
    assert pair == "session_id="
    assert attributes["expires"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert attributes["max-age"] == "0"


def test_redirect_location_and_download_disposition(client: httpx.Client) -> None:
    redirect = client.get("/redirect-temp")
    assert (redirect.status_code, redirect.headers["location"], redirect.content) == (
        302,
        "/new-location",
        b"",
    )
    download = client.get("/download")
    assert download.headers["content-disposition"] == "attachment; filename=file.txt"
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.content == b"File content here"


@pytest.mark.parametrize("path", GET_PATHS)
def test_head_has_no_body_and_get_length(client: httpx.Client, path: str) -> None:
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code
    assert head.content == b""
    assert head.headers.get("content-length") == got.headers.get("content-length")
    assert head.headers["content-type"] == got.headers["content-type"]


@pytest.mark.parametrize("path", ALL_PATHS)
def test_options_answers_allow_like_flask(
    client: httpx.Client, flask_spec_app: Any, path: str
) -> None:
    expected = flask_answer(flask_spec_app, "OPTIONS", path)
    response = client.options(path)
    assert response.status_code == expected.status == 200
    assert comparable(served_values(response, "allow"), "allow") == comparable(
        expected.values("allow"), "allow"
    )
    assert response.content == expected.body == b""


def test_answer_comes_from_the_expected_server(spec_server: Served, client: httpx.Client) -> None:
    # The Server header proves which server answered (not a stale process).
    server = client.get("/").headers["server"]
    expected = {"gunicorn": "gunicorn", "erlen-uvicorn": "uvicorn", "uvicorn": "uvicorn"}
    assert server.startswith(expected.get(spec_server.kind, "hypercorn"))


# --- the notes app: a login round trip ----------------------------------------


def test_notes_login_cookie_me_logout(notes_server: Served) -> None:
    with httpx.Client(base_url=notes_server.url, follow_redirects=False, timeout=10) as session:
        assert session.get("/me").status_code == 401
        refused = session.post("/login", json={"username": "alice", "password": "nope"})
        assert (refused.status_code, refused.json()) == (401, {"error": "invalid credentials"})
        assert not session.cookies

        login = session.post("/login", json={"username": "alice", "password": "wonderland"})
        assert login.json() == {"status": "logged in", "user": "alice"}
        pair, attributes = cookie_attributes(login.headers["set-cookie"])
        # A signed session cookie (Flask's format), permanent for an hour.
        assert pair.startswith("session=") and "alice" not in pair
        assert set(attributes) == {"expires", "httponly", "path", "samesite"}
        assert attributes["samesite"] == "Lax"
        expires = email.utils.parsedate_to_datetime(attributes["expires"]).timestamp()
        assert 3500 < expires - time.time() < 3700
        assert login.headers["vary"] == "Cookie"
        # The client's cookie jar sends the cookie back; the server recognises it.
        me = session.get("/me")
        assert (me.status_code, me.json()) == (200, {"user": "alice"})
        assert me.request.headers["cookie"] == pair
        missing = session.get("/notes/999999")
        assert (missing.status_code, missing.json()) == (404, {"error": "not found"})

        logout = session.post("/logout")
        assert logout.json() == {"status": "logged out"}
        assert "Max-Age=0" in logout.headers["set-cookie"]
        assert not session.cookies
        assert session.get("/me").status_code == 401


def test_notes_url_for_in_views(notes_server: Served) -> None:
    with httpx.Client(base_url=notes_server.url, follow_redirects=False, timeout=10) as session:
        home = session.get("/")
        assert (home.status_code, home.headers["location"]) == (302, "/notes")
        session.post("/login", json={"username": "alice", "password": "wonderland"})
        created = session.post("/notes", json={"title": "served"})
        assert created.status_code == 201
        assert created.headers["location"] == f"/notes/{created.json()['id']}"
        assert session.get(created.headers["location"]).json()["title"] == "served"


def test_notes_streamed_report_and_async_view(notes_server: Served) -> None:
    with httpx.Client(base_url=notes_server.url, timeout=10) as session:
        report = session.get("/report")
        assert report.headers["transfer-encoding"] == "chunked"
        assert report.text.startswith("<!doctype html><title>Report</title><ul><li>")
        assert report.text.endswith("</ul>")
        count = session.get("/slow-count").json()["count"]
        assert count == len(session.get("/notes").json()["notes"])
        csv = session.get("/notes.csv")
        assert csv.headers["content-disposition"] == "attachment; filename=notes.csv"
        assert csv.text.startswith("id,title,done\n1,Buy milk,False\n")


# --- the server helper itself ---------------------------------------------------


def test_server_stops_even_when_the_block_fails() -> None:
    with pytest.raises(ZeroDivisionError), running_server("uvicorn") as url:
        assert httpx.get(url, timeout=5).status_code == 200
        1 / 0  # noqa: B018
    with pytest.raises(httpx.TransportError):
        httpx.get(url, timeout=2)


def test_server_that_cannot_start_reports_its_output() -> None:
    with (
        pytest.raises(RuntimeError, match="no_such_module") as failure,
        running_server("gunicorn", "no_such_module:app"),
    ):
        pass  # pragma: no cover - never reached
    assert "did not answer" in str(failure.value)
