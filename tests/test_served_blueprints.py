"""examples/blueprints_app served by real servers (WSGI and ASGI), compared with
the same package run as a Flask app."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.servers import REPO_ROOT, Served, server_fixture

blueprints_server = server_fixture("examples.blueprints_app:app", ("gunicorn", "erlen-uvicorn"))

PACKAGE = REPO_ROOT / "examples" / "blueprints_app"
TWIN = "flask_twin_blueprints_app"

#: (method, path, json body or None)
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/", None),
    ("GET", "/blog/", None),
    ("GET", "/blog/2", None),
    ("GET", "/blog/9", None),
    ("GET", "/blog", None),
    ("GET", "/archive/1", None),
    ("GET", "/api/v1/items", None),
    ("POST", "/api/v1/items", {"name": "cup"}),
    ("GET", "/api/v1/items/1", None),
    ("DELETE", "/api/v1/items/1", None),
    ("GET", "/api/v1/items/5", None),
    ("GET", "/static/hello.txt", None),
]
COMPARED_HEADERS = ("content-type", "content-length", "x-trace", "x-blueprints", "location")


def _load_flask_twin() -> Any:
    """The example package's modules executed with ``flask`` in place of ``erlen``."""
    for name in ("api", "blog", "__init__"):
        full = TWIN if name == "__init__" else f"{TWIN}.{name}"
        path = PACKAGE / f"{name}.py"
        source = path.read_text().replace("from erlen", "from flask")
        source = source.replace("examples.blueprints_app", TWIN)
        module = types.ModuleType(full)
        module.__file__ = str(path)  # the root path, so the static folder is found
        if name == "__init__":
            module.__path__ = [str(PACKAGE)]
        sys.modules[full] = module
        exec(compile(source, str(path), "exec"), module.__dict__)
    return sys.modules[TWIN].app


@pytest.fixture(scope="module")
def flask_app() -> Iterator[Any]:
    app = _load_flask_twin()
    yield app
    for name in [name for name in sys.modules if name.startswith(TWIN)]:
        del sys.modules[name]


@pytest.fixture
def client(blueprints_server: Served) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=blueprints_server.url, follow_redirects=False, timeout=10
    ) as session:
        yield session


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_blueprints_example_matches_flask(
    client: httpx.Client, flask_app: Any, method: str, path: str, body: Any
) -> None:
    expected = flask_app.test_client().open(path, method=method, json=body)
    response = client.request(method, path, json=body)
    assert response.status_code == expected.status_code
    if expected.status_code == 308:
        # Werkzeug words its redirect page differently; the target is what matters.
        assert response.headers["location"].endswith(expected.headers["Location"].split("/", 3)[-1])
        return
    assert response.content == expected.get_data()
    for name in COMPARED_HEADERS:
        if name == "location":
            continue
        assert response.headers.get(name) == expected.headers.get(name), name
