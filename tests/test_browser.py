"""A real browser (Debian's Chromium, driven by Playwright) against ``erlen run`` (uvicorn).

Uses only ``/usr/bin/chromium``; never a browser downloaded by ``playwright install``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import running_server

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
)

#: Playwright's own time limit for each action and wait, in milliseconds.
ACTION_TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with running_server("erlen-uvicorn", "examples.browser_app:app") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            timeout=30_000,
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(base_url=base_url, accept_downloads=True)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def cookies_by_name(page: Any) -> dict[str, dict[str, Any]]:
    return {cookie["name"]: cookie for cookie in page.context.cookies()}


def log_in(page: Any, password: str = "wonderland") -> None:
    page.goto("/")
    page.fill("#username", "alice")
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#submit")


def test_httponly_session_cookie_is_hidden_from_scripts_but_sent(page: Any) -> None:
    log_in(page)
    # The form POST answered 303 to /whoami; the browser followed it with the cookie.
    assert page.url.endswith("/whoami")
    assert page.text_content("#server-saw") == "yes"
    assert page.text_content("#user") == "alice"
    # Scripts see the plain cookie but not the HttpOnly one.
    assert page.text_content("#script-sees") == "theme=dark"
    assert page.evaluate("document.cookie") == "theme=dark"
    stored = cookies_by_name(page)
    assert stored["session"]["httpOnly"] is True
    assert stored["session"]["sameSite"] == "Lax"
    assert "alice" not in stored["session"]["value"]  # signed, in Flask's format
    assert stored["theme"]["httpOnly"] is False
    # The flashed message shows on the page the redirect led to...
    assert page.text_content("#flashes") == "Welcome, alice"

    # ...and only there: a reload sends the cookie again, the message is gone.
    page.reload()
    assert page.text_content("#server-saw") == "yes"
    assert page.text_content("#flashes") == ""

    with page.expect_navigation():
        page.click("#logout")
    assert page.url.endswith("/whoami")
    assert page.text_content("#server-saw") == "no"
    assert page.evaluate("document.cookie") == ""
    assert cookies_by_name(page) == {}


def test_template_page_with_form_and_flashed_message(page: Any) -> None:
    page.goto("/greet")
    assert page.text_content("#flashes") == ""
    assert page.text_content("#from-script") == " #0"
    name = "<b>Bob</b> & 'co' </script>"
    page.fill("#name", name)
    with page.expect_navigation():
        page.click("#greet")
    assert page.url.endswith("/greet")
    # Autoescaped: the markup arrives as text, no element is made from it.
    assert page.text_content("#flashes") == f"Hello, {name}!"
    assert page.locator("#flashes b").count() == 0
    assert page.input_value("#name") == name
    # tojson kept the script intact and handed the value over unchanged.
    assert page.text_content("#from-script") == f"{name} #1"
    page.reload()
    assert page.text_content("#flashes") == ""
    assert page.text_content("#from-script") == f"{name} #1"


def test_wrong_password_sets_no_cookie(page: Any) -> None:
    log_in(page, password="not it")
    assert page.text_content("#error") == "invalid credentials"
    assert cookies_by_name(page) == {}


def test_goto_follows_redirect_to_target(page: Any, base_url: str) -> None:
    response = page.goto("/go")
    assert page.url == f"{base_url}/landing"
    assert response.status == 200
    assert response.request.redirected_from.url == f"{base_url}/go"
    assert page.title() == "Landing"
    assert page.text_content("#landed") == "You followed the redirect"


def test_download_keeps_its_file_name(page: Any) -> None:
    page.goto("/")
    with page.expect_download() as download_info:
        page.click("#download")
    download = download_info.value
    assert download.suggested_filename == "report.csv"
    assert Path(download.path()).read_bytes() == b"id,title\n1,Buy milk\n"


def test_streamed_page_renders_before_it_ends(page: Any, base_url: str) -> None:
    token = uuid.uuid4().hex
    # "commit": return once the response starts, not when the page has loaded.
    page.goto(f"/streamed?token={token}", wait_until="commit")
    page.wait_for_selector("#first", state="attached")
    # The server is holding the rest back, so the DOM holds only the first part.
    assert page.query_selector("#last") is None
    assert httpx.post(f"{base_url}/release", params={"token": token}, timeout=5).json() == {
        "released": True
    }
    page.wait_for_selector("#done", state="attached")
    assert page.eval_on_selector_all("#items li", "items => items.map(i => i.textContent)") == [
        "first part",
        "released",
    ]
    assert page.title() == "Streamed"


#: What the /sse page lists, in order: (event type, lastEventId, data). The
#: first connection ends after "no id"; the browser reconnects with
#: Last-Event-ID: 2 and the server says what it was sent.
EXPECTED_EVENTS = [
    ("message", "1", "first"),
    ("tick", "2", "line one\nline two"),
    ("message", "2", "no id"),
    ("message", "3", "resumed after 2"),
    ("end", "3", "bye"),
]

LISTED_EVENTS = """items => items.map(
    item => [item.dataset.type, item.dataset.lastEventId, item.textContent]
)"""


@pytest.mark.parametrize("source", ["sync", "async"])
def test_event_source_receives_events_in_order_and_resumes(page: Any, source: str) -> None:
    stream_path = "/events" if source == "sync" else "/async-events"
    requests: list[Any] = []
    page.on("request", lambda sent: requests.append(sent) if stream_path in sent.url else None)
    with page.expect_response(lambda response: stream_path in response.url) as first_stream:
        page.goto(f"/sse?source={source}")
    stream = first_stream.value
    assert stream.status == 200
    assert stream.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert stream.headers["cache-control"] == "no-cache"
    assert stream.headers["x-accel-buffering"] == "no"
    # "closed" is written when the end event arrives, after one reconnection.
    page.wait_for_function("document.getElementById('state').textContent.endsWith('closed')")
    assert page.text_content("#state") == "reconnecting;closed"
    listed = page.eval_on_selector_all("#events li", LISTED_EVENTS)
    # Comments (the greeting, the keep-alives) and the retry-only event dispatch nothing.
    assert [tuple(item) for item in listed] == EXPECTED_EVENTS
    # The browser asked twice: first without an id, then resuming from the last one.
    sent_ids = [sent.all_headers().get("last-event-id") for sent in requests]
    assert sent_ids == [None, "2"]


@pytest.mark.parametrize("debug", [True, False])
def test_debug_page_shows_the_failing_line_and_only_in_debug(
    browser: Any, tmp_path: Path, debug: bool
) -> None:
    kind = "erlen-granian-debug" if debug else "erlen-granian"
    with running_server(kind, "tests.apps.debug_app:app") as url:
        context = browser.new_context(base_url=url)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        try:
            page = context.new_page()
            response = page.goto("/boom")
            assert response is not None and response.status == 500
            shot = tmp_path / "page.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 0
            text = page.inner_text("body")
        finally:
            context.close()
    failing_line = 'return str(100 / ledger["balance"])'
    if debug:
        assert "ZeroDivisionError" in text
        assert failing_line in text
        assert "debug_app.py" in text and "/boom" in text
    else:
        for leaked in ("ZeroDivisionError", "ledger", "debug_app.py", "Traceback"):
            assert leaked not in text
