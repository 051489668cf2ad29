"""Template lookup order with real blueprints, against Flask: the app's folder
first, then each blueprint's in registration order."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import flask
import pytest

import erlen


@pytest.fixture
def root(tmp_path: pathlib.Path) -> pathlib.Path:
    files = {
        "templates/shared.html": "app {{ who }}",
        "first/templates/shared.html": "first {{ who }}",
        "first/templates/only_first.html": "only first {{ request.blueprint }}",
        "second/templates/only_first.html": "second shadowed",
        "second/templates/only_second.html": "only second {{ greeting }}",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def build(module: Any, root: pathlib.Path) -> Any:
    app = module.Flask("tpl", root_path=str(root))
    for name in ("first", "second"):
        bp = module.Blueprint(name, "tpl", template_folder="templates", root_path=str(root / name))

        @bp.app_context_processor
        def greeting() -> dict[str, str]:
            return {"greeting": "hello"}

        @bp.route(f"/{name}/<template>")
        def show(template: str) -> str:
            return module.render_template(template, who="ada")

        app.register_blueprint(bp)
    return app


@pytest.mark.parametrize(
    "path",
    ["/first/shared.html", "/second/shared.html", "/second/only_first.html",
     "/first/only_second.html", "/first/missing.html"],
)  # fmt: skip
def test_blueprint_template_lookup_matches_flask(
    root: pathlib.Path, make_client: Callable[..., Any], path: str
) -> None:
    ours = make_client(build(erlen, root)).get(path)
    theirs = build(flask, root).test_client().get(path)
    assert ours.status_code == theirs.status_code
    if ours.status_code == 200:
        assert ours.get_data() == theirs.get_data()
