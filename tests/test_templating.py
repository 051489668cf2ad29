"""Templates rendered through erlen and through Flask: the same bytes, on WSGI and ASGI.

The app (tests/templates_app/app_source.py) uses inheritance, includes, macros,
custom filters, tests and globals, a context processor, autoescaping on and off,
``tojson`` inside ``<script>``, ``Markup`` and ``__html__`` objects, and streaming.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import flask
import jinja2
import pytest

import erlen
from tests.support import make_twin_apps
from tests.templates_app.app_source import SOURCE, TEMPLATES

Twins = tuple[Any, Any]


@pytest.fixture
def twins() -> Twins:
    return make_twin_apps(SOURCE)


PAGES = [
    "/page",
    "/page?who=<mallory>&item=<script>alert(1)</script>&item=&item=x",
    "/page?item=1&item=2&item=3&item=4",
    "/empty",
    "/plain",
    "/feed",
    "/icon",
    "/script",
    "/escapes",
    "/string",
    "/override",
    "/macro",
    "/stream",
    "/stream-string",
]


@pytest.mark.parametrize("path", PAGES)
def test_rendered_bytes_match_flask(twins: Twins, compare: Callable[..., Any], path: str) -> None:
    compare(twins, "GET", path)


def test_page_renders_what_the_templates_say(twins: Twins, make_client: Callable[..., Any]) -> None:
    body = make_client(twins[0]).get("/page?who=<mallory>").get_data(as_text=True)
    assert "<title>&lt;Mallory&gt;'s page | Site</title>" in body
    assert '<li data-i="2">&lt;B&gt;!</li>' not in body  # escaped once, then shouted
    assert '<li data-i="2">&lt;B&gt;! (even)</li>' in body
    assert "<footer>v1.0 &copy; &lt;mallory&gt;</footer>" in body
    assert "/page?q=a+b&amp;r=%3Cx%3E" in body
    assert "<p>/page - ada True</p>" in body


def test_async_view_renders(twins: Twins, make_client: Callable[..., Any]) -> None:
    # Flask needs asgiref for async views (not installed here): erlen alone.
    body = make_client(twins[0]).get("/async").get_data(as_text=True)
    assert '<li data-i="1">ASYNC!</li>' in body
    assert "<title>Coroutine's page | Site</title>" in body


def test_tojson_escapes_html_in_script(twins: Twins, make_client: Callable[..., Any]) -> None:
    body = make_client(twins[0]).get("/script").get_data(as_text=True)
    script = body.split("</script>", 1)[0]
    assert "<script>" not in script[len("<script>") :]
    assert "\\u003c/script\\u003e" in script
    assert "\\u0027x\\u0027" in body and "a\\u0026b" in body


def test_streamed_template_arrives_in_pieces_with_the_request_alive(
    twins: Twins, make_client: Callable[..., Any]
) -> None:
    app = twins[0]
    ended: list[str] = []
    app.teardown_request(lambda error: ended.append("teardown"))
    response = make_client(app).get("/stream-string", buffered=False)
    chunks = [bytes(chunk) for chunk in response.response]
    response.close()
    assert b"".join(chunks) == b"0:/stream-string:ada\n1:/stream-string:ada\n2:/stream-string:ada\n"
    assert len(chunks) > 1
    assert ended == ["teardown"]


def test_jinja_is_imported_only_when_templates_are_used() -> None:
    code = (
        "import sys, erlen\n"
        "app = erlen.Flask('x')\n"
        "app.test_client().get('/')\n"
        "assert 'jinja2' not in sys.modules and 'blinker' not in sys.modules, sys.modules\n"
        "app.jinja_env\n"
        "assert 'jinja2' in sys.modules and 'blinker' not in sys.modules\n"
    )
    import subprocess

    subprocess.run([sys.executable, "-c", code], check=True)


# --- the environment --------------------------------------------------------------


@pytest.mark.parametrize("module", [flask, erlen], ids=["flask", "erlen"])
def test_environment_can_be_replaced_and_made_again(module: Any) -> None:
    # Flask's jinja_env is a cached property: assignable, and made again once deleted.
    app = module.Flask(__name__, template_folder=str(TEMPLATES))
    first = app.jinja_env
    other = module.templating.Environment(app)
    app.jinja_env = other
    assert app.jinja_env is other
    del app.jinja_env
    remade = app.jinja_env
    assert remade is not other and remade is not first
    assert remade is app.jinja_env


@pytest.mark.parametrize("module", [flask, erlen], ids=["flask", "erlen"])
def test_app_and_blueprint_loaders_can_be_set_and_made_again(module: Any) -> None:
    app = module.Flask(__name__, template_folder=str(TEMPLATES))
    blueprint = module.Blueprint("bp", __name__)
    blueprint.jinja_loader = jinja2.DictLoader({"only_bp.html": "from the blueprint"})
    app.register_blueprint(blueprint)
    app.jinja_loader = jinja2.DictLoader({"only_app.html": "from the app"})
    with app.app_context():
        assert module.render_template("only_app.html") == "from the app"
        assert module.render_template("only_bp.html") == "from the blueprint"
    del app.jinja_loader
    assert isinstance(app.jinja_loader, jinja2.FileSystemLoader)


def test_environment_is_made_once_and_knows_the_app() -> None:
    app = erlen.Flask(__name__, template_folder=str(TEMPLATES))
    assert "jinja_env" not in app.__dict__
    env = app.jinja_env
    assert env is app.jinja_env
    assert isinstance(env, erlen.templating.Environment)
    assert env.app is app
    assert isinstance(env.loader, erlen.templating.DispatchingJinjaLoader)
    assert env.globals["config"] is app.config
    assert "page.html" in env.list_templates()


def test_jinja_options_and_environment_class_are_honoured() -> None:
    class MyEnvironment(erlen.templating.Environment):
        pass

    class App(erlen.Flask):
        jinja_options = {"trim_blocks": True, "autoescape": False}
        jinja_environment = MyEnvironment

    app = App(__name__)
    assert isinstance(app.jinja_env, MyEnvironment)
    assert app.jinja_env.trim_blocks is True
    with app.app_context():
        assert erlen.render_template_string("{{ '<b>' }}") == "<b>"


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        (None, True),
        ("a.html", True),
        ("a.htm", True),
        ("a.xml", True),
        ("a.xhtml", True),
        ("a.svg", True),
        ("a.txt", False),
        ("a.js", False),
        ("a.html.j2", False),
    ],
)
def test_select_jinja_autoescape_matches_flask(name: str | None, escaped: bool) -> None:
    import flask

    assert erlen.Flask("x").select_jinja_autoescape(name) is escaped
    assert flask.Flask("x").select_jinja_autoescape(name) is escaped


def test_auto_reload_follows_debug_unless_configured() -> None:
    app = erlen.Flask(__name__)
    assert app.config["TEMPLATES_AUTO_RELOAD"] is None
    assert app.config["EXPLAIN_TEMPLATE_LOADING"] is False
    app.debug = True
    assert app.jinja_env.auto_reload is True
    app.debug = False
    assert app.jinja_env.auto_reload is False
    fixed = erlen.Flask(__name__)
    fixed.config["TEMPLATES_AUTO_RELOAD"] = True
    assert fixed.jinja_env.auto_reload is True
    fixed.debug = False
    assert fixed.jinja_env.auto_reload is True


def test_template_is_reloaded_when_its_file_changes(tmp_path: Any) -> None:
    (tmp_path / "t.html").write_text("one")
    app = erlen.Flask(__name__, root_path=str(tmp_path), template_folder=".")
    app.config["TEMPLATES_AUTO_RELOAD"] = True
    with app.app_context():
        assert erlen.render_template("t.html") == "one"
        import os

        (tmp_path / "t.html").write_text("two")
        stat = os.stat(tmp_path / "t.html")
        os.utime(tmp_path / "t.html", (stat.st_atime, stat.st_mtime + 10))
        assert erlen.render_template("t.html") == "two"


def test_context_processors_are_keyed_like_flask() -> None:
    import flask

    ours, theirs = erlen.Flask("x"), flask.Flask("x")
    assert list(ours.template_context_processors) == list(theirs.template_context_processors)
    assert len(ours.template_context_processors[None]) == 1


def test_template_filter_test_and_global_registration() -> None:
    app = erlen.Flask(__name__)

    @app.template_filter()
    def double(value: int) -> int:
        return value * 2

    @app.template_test("odd_one")
    def odd(value: int) -> bool:
        return value % 2 == 1

    @app.template_global("answer")
    def forty_two() -> int:
        return 42

    app.add_template_global(lambda: "hi", "greet")
    app.add_template_test(lambda value: value == 0, "zero")
    assert app.jinja_env.filters["double"] is double
    assert app.jinja_env.tests["odd_one"] is odd
    with app.app_context():
        rendered = erlen.render_template_string(
            "{{ 3|double }} {{ 3 is odd_one }} {{ answer() }} {{ greet() }} {{ 0 is zero }}"
        )
    assert rendered == "6 True 42 hi True"


def test_rendering_outside_a_request_uses_the_app_context() -> None:
    app = erlen.Flask(__name__, template_folder=str(TEMPLATES))
    with app.app_context():
        erlen.g.user = "bob"
        assert erlen.render_template_string("{{ g.user }} {{ config.DEBUG }}") == "bob False"
    with pytest.raises(RuntimeError, match="application context"):
        erlen.render_template_string("x")


def test_template_loader_searches_blueprints_in_registration_order(tmp_path: Any) -> None:
    # The blueprint seam: any object with ``jinja_loader``, from ``iter_blueprints()``.
    for folder, text in (("app", "app's"), ("one", "one's"), ("two", "two's")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "shared.html").write_text(text)
        (tmp_path / folder / f"only_{folder}.html").write_text(text)

    class Blueprint:
        def __init__(self, name: str) -> None:
            self.name = name
            self.jinja_loader = jinja2.FileSystemLoader(str(tmp_path / name))

    class App(erlen.Flask):
        def iter_blueprints(self) -> list[Blueprint]:
            return [Blueprint("one"), Blueprint("two")]

    app = App(__name__, root_path=str(tmp_path), template_folder="app")
    with app.app_context():
        assert erlen.render_template("shared.html") == "app's"
        assert erlen.render_template("only_one.html") == "one's"
        assert erlen.render_template("only_two.html") == "two's"
    assert sorted(app.jinja_env.list_templates()) == [
        "only_app.html",
        "only_one.html",
        "only_two.html",
        "shared.html",
    ]
    without_own = App(__name__, root_path=str(tmp_path), template_folder=None)
    with without_own.app_context():
        assert erlen.render_template("shared.html") == "one's"


def test_explain_template_loading_logs_each_attempt(caplog: pytest.LogCaptureFixture) -> None:
    app = erlen.Flask("explained", template_folder=str(TEMPLATES))
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    with caplog.at_level(logging.INFO, logger="explained"), app.app_context():
        erlen.render_template("plain.txt", value=1)
        with pytest.raises(jinja2.TemplateNotFound):
            erlen.render_template("nope.html")
    found, missing = (record.getMessage() for record in caplog.records)
    assert found.startswith("Locating template 'plain.txt':")
    assert "the application 'explained'" in found and str(TEMPLATES) in found
    assert "found (" in found
    assert missing.startswith("Locating template 'nope.html':")
    assert "Error: no loader has this template." in missing


# --- bad input ----------------------------------------------------------------------


def test_missing_template_raises_template_not_found() -> None:
    app = erlen.Flask(__name__, template_folder=str(TEMPLATES))
    with app.app_context(), pytest.raises(jinja2.TemplateNotFound) as caught:
        erlen.render_template("missing.html")
    assert caught.value.name == "missing.html"
    assert str(caught.value) == "missing.html"
    assert erlen.templating.TemplateNotFound is jinja2.TemplateNotFound


def test_missing_template_names_the_searched_folders_in_debug() -> None:
    app = erlen.Flask(__name__, template_folder=str(TEMPLATES))
    app.debug = True
    with app.app_context(), pytest.raises(jinja2.TemplateNotFound) as caught:
        erlen.render_template("missing.html")
    assert caught.value.name == "missing.html"
    assert str(TEMPLATES) in str(caught.value)


def test_missing_template_in_a_list_names_every_choice() -> None:
    app = erlen.Flask(__name__, template_folder=str(TEMPLATES))
    with app.app_context(), pytest.raises(jinja2.TemplatesNotFound) as caught:
        erlen.render_template(["a.html", "b.html"])
    assert caught.value.templates == ["a.html", "b.html"]


def test_missing_template_over_http_is_a_500_as_in_flask(
    twins: Twins, protocol: str, make_client: Callable[..., Any]
) -> None:
    for app in twins:
        app.config["TESTING"] = False
        app.add_url_rule("/missing", "missing", lambda: erlen.render_template("missing.html"))
    ours = make_client(twins[0]).get("/missing")
    assert ours.status_code == 500


def test_syntax_error_names_the_file_and_line() -> None:
    app = erlen.Flask(__name__, template_folder=str(TEMPLATES))
    with app.app_context(), pytest.raises(jinja2.TemplateSyntaxError) as caught:
        erlen.render_template("broken.html", items=[])
    error = caught.value
    assert error.lineno == 3
    assert error.name == "broken.html"
    assert error.filename is not None and error.filename.endswith("broken.html")
    # Jinja rewrites the traceback: its last frame is the template's line.
    traceback = error.__traceback__
    assert traceback is not None
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    assert traceback.tb_frame.f_code.co_filename.endswith("broken.html")
    assert traceback.tb_lineno == 3


@pytest.mark.parametrize(
    "name",
    [
        "../secret.txt",
        "partials/../../secret.txt",
        "./../secret.txt",
        "../templates_app/secret.txt",
        str(TEMPLATES.parent / "secret.txt"),
        "..\\secret.txt",
    ],
)
def test_path_traversal_template_names_cannot_leave_the_folder(name: str) -> None:
    # CWE-22: a name taken from user input must not reach files outside the folders.
    app = erlen.Flask(__name__, template_folder=str(TEMPLATES))
    with app.app_context(), pytest.raises(jinja2.TemplateNotFound):
        erlen.render_template(name)


def test_xss_autoescape_cannot_be_bypassed_by_plain_strings(
    twins: Twins, make_client: Callable[..., Any]
) -> None:
    # CWE-79: only Markup (or an object's own __html__) is trusted.
    body = make_client(twins[0]).get("/escapes").get_data(as_text=True)
    assert 'title="&#34; onmouseover=&#34;alert(1)"' in body
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in body
    assert "<em>trusted</em>" in body and "<u>markup of its own</u>" in body
    assert "<script>" not in body


def test_ssti_template_syntax_in_values_is_not_evaluated(
    twins: Twins, make_client: Callable[..., Any]
) -> None:
    # CWE-1336: values are data, never template source.
    body = make_client(twins[0]).get("/string").get_data(as_text=True)
    assert body.startswith("&lt;i&gt;{{ 7 * 7 }}&lt;/i&gt;|<i>{{ 7 * 7 }}</i>|")
    assert "49" not in body


def test_escape_and_markup_are_markupsafe_s() -> None:
    import markupsafe

    assert erlen.escape is markupsafe.escape
    assert erlen.Markup is markupsafe.Markup
    assert str(erlen.escape("<a href='x'>")) == "&lt;a href=&#39;x&#39;&gt;"


def test_tojson_refuses_nan_as_the_json_provider_does() -> None:
    # docs/compat.md: NaN is not JSON; Flask's tojson writes the bare token.
    app = erlen.Flask(__name__)
    with app.app_context(), pytest.raises(erlen.JSONValueError):
        erlen.render_template_string("{{ value|tojson }}", value=float("nan"))


FLASH_APP = """
from erlen import Flask, flash, redirect, render_template_string, session

app = Flask(__name__)
app.secret_key = "test secret"

PAGE = (
    "{% for category, message in get_flashed_messages(with_categories=true) %}"
    "<p class='{{ category }}'>{{ message }}</p>{% endfor %}"
    "<form method=post><input name=x value='{{ session.get(\\"name\\", \\"\\") }}'></form>"
)


@app.post("/save")
def save():
    session["name"] = "<ada>"
    flash("Saved <ok>", "info")
    return redirect("/")


@app.get("/")
def index():
    return render_template_string(PAGE)
"""


def test_session_and_flashed_messages_in_templates_match_flask(
    make_client: Callable[..., Any],
) -> None:
    ours, theirs = make_twin_apps(FLASH_APP)
    pages = []
    for client in (make_client(ours), theirs.test_client()):
        client.post("/save")
        pages.append((client.get("/").get_data(), client.get("/").get_data()))
    assert pages[0] == pages[1]
    first, second = pages[0]
    assert b"<p class='info'>Saved &lt;ok&gt;</p>" in first
    assert b"value='&lt;ada&gt;'" in first
    assert b"Saved" not in second
