"""A streamed template through real servers (gunicorn WSGI, uvicorn ASGI) arrives in pieces.

As in test_served_streaming.py, no clock is involved: the template's loop
waits for a marker file the test creates. The test reads the part before the
loop over TCP, checks that the loop has not finished (no record written), and
only then creates the marker and reads the rest. While the stream waits, other
requests are answered: under ASGI the template is produced in a worker thread,
not on the event loop, whether the view is sync or ``async def``.
"""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import Served, running_server, wait_for_record
from tests.test_served_streaming import read_until

KINDS = ("gunicorn", "erlen-uvicorn")

TEMPLATE = """<p>first</p>
{% for line in wait_for(token) %}<p>{{ line }}</p>{% endfor %}
<p>{{ request.path }} {{ g.who }}</p>
"""

APP = textwrap.dedent(
    """
    import os
    import time
    from pathlib import Path

    from erlen import Flask, g, stream_template

    SIGNALS = Path(os.environ["TEMPLATE_SIGNALS"])
    app = Flask(__name__)


    @app.template_global()
    def wait_for(token):
        outcome = "closed early"
        try:
            marker = SIGNALS / (token + ".go")
            for _ in range(250):
                if marker.exists():
                    yield "rest <released>"
                    break
                time.sleep(0.02)
            else:
                yield "rest (timed out)"
            outcome = "completed"
        finally:
            (SIGNALS / (token + ".done")).write_text(outcome)


    @app.get("/")
    def ping():
        return "pong"


    @app.get("/wait/<token>")
    def wait(token):
        g.who = "sync"
        return stream_template("wait.html", token=token)


    @app.get("/async-wait/<token>")
    async def async_wait(token):
        g.who = "async"
        return stream_template("wait.html", token=token)
    """
)


@pytest.fixture(scope="module")
def signals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("template-signals")


@pytest.fixture(scope="module", params=KINDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, signals: Path
) -> Iterator[Served]:
    app_dir = tmp_path_factory.mktemp("template-app")
    (app_dir / "served_template_app.py").write_text(APP)
    (app_dir / "templates").mkdir()
    (app_dir / "templates" / "wait.html").write_text(TEMPLATE)
    with running_server(
        request.param,
        "served_template_app:app",
        cwd=app_dir,
        env={"TEMPLATE_SIGNALS": str(signals)},
    ) as url:
        yield Served(request.param, url)


@pytest.mark.parametrize("route", ["wait", "async-wait"])
def test_streamed_template_arrives_incrementally(served: Served, signals: Path, route: str) -> None:
    token = uuid.uuid4().hex
    record = signals / f"{token}.done"
    with (
        httpx.Client(base_url=served.url, timeout=10) as client,
        client.stream("GET", f"/{route}/{token}") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "content-length" not in response.headers
        chunks = response.iter_raw()
        assert read_until(chunks, b"<p>first</p>\n") == b"<p>first</p>\n"
        # The first piece is here while the template's loop still waits.
        assert not record.exists()
        if served.is_asgi:
            # ... and the server answers other requests meanwhile.
            with httpx.Client(base_url=served.url, timeout=5) as other:
                assert other.get("/").text == "pong"
        (signals / f"{token}.go").touch()
        rest = b"".join(chunks)
    who = "async" if route == "async-wait" else "sync"
    # Autoescaped, and the request context was alive to the end of the stream.
    assert rest == f"<p>rest &lt;released&gt;</p>\n<p>/{route}/{token} {who}</p>".encode()
    assert wait_for_record(record) == "completed"
