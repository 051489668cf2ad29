"""Blueprints against Flask: nesting, hook and handler order, names, URLs, bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import erlen
from erlen import Flask
from erlen.blueprints import Blueprint
from tests.support import make_twin_apps

# Three levels (parent > child > grandchild), each with every kind of hook and
# handler; each call is recorded so the order can be compared with Flask's.
NESTED = """
from erlen import Flask, Blueprint, abort, g, request, url_for

LOG = []
app = Flask("nested")
app.extensions["log"] = LOG

def hooks(scaffold, label):
    @scaffold.url_value_preprocessor
    def pre(endpoint, values):
        LOG.append(f"pre {label} {endpoint}")

    @scaffold.before_request
    def before_one():
        LOG.append(f"before1 {label}")

    @scaffold.before_request
    def before_two():
        LOG.append(f"before2 {label}")

    @scaffold.after_request
    def after_one(response):
        LOG.append(f"after1 {label}")
        response.headers.add("X-After", label)
        return response

    @scaffold.after_request
    def after_two(response):
        LOG.append(f"after2 {label}")
        return response

    @scaffold.teardown_request
    def teardown(error):
        LOG.append(f"teardown {label} {type(error).__name__}")

    @scaffold.url_defaults
    def defaults(endpoint, values):
        LOG.append(f"defaults {label} {endpoint}")

hooks(app, "app")
parent = Blueprint("parent", __name__, url_prefix="/p")
child = Blueprint("child", __name__, url_prefix="/c")
grandchild = Blueprint("grandchild", __name__, url_prefix="/g")
hooks(parent, "parent")
hooks(child, "child")
hooks(grandchild, "grandchild")

class Teapot(Exception):
    pass

@app.errorhandler(404)
def app_404(error):
    return f"app 404 {request.blueprints}", 404

@app.errorhandler(Teapot)
def app_teapot(error):
    return "app teapot", 418

@child.errorhandler(404)
def child_404(error):
    return f"child 404 {request.blueprint}", 404

@parent.errorhandler(Exception)
def parent_anything(error):
    # Also an HTTP error's class handler: the app's 404 (by code) must still win.
    return f"parent caught {type(error).__name__}", 500

@parent.route("/missing")
def parent_missing():
    abort(404)

@grandchild.route("/boom")
def boom():
    raise RuntimeError("boom")

@grandchild.errorhandler(LookupError)
def grandchild_lookup(error):
    return f"grandchild lookup {type(error).__name__}", 500

@parent.route("/")
def parent_index():
    return "parent " + url_for(".parent_index") + " " + url_for("parent.child.grandchild.leaf")

@child.route("/")
def child_index():
    return "child " + ",".join(request.blueprints) + " " + url_for(".child_index")

@child.route("/missing")
def child_missing():
    abort(404)

@grandchild.route("/")
def leaf():
    return f"leaf {request.blueprint} {request.endpoint} {url_for('.leaf')} {url_for('app_page')}"

@grandchild.route("/teapot")
def teapot():
    raise Teapot()

@grandchild.route("/key")
def key():
    raise KeyError("k")

@grandchild.route("/missing")
def grandchild_missing():
    abort(404)

@app.route("/page")
def app_page():
    return "app page " + str(request.blueprint) + " " + str(request.blueprints)

child.register_blueprint(grandchild)
parent.register_blueprint(child)
app.register_blueprint(parent)
"""

NESTED_PATHS = [
    "/p/",
    "/p/c/",
    "/p/c/missing",
    "/p/c/g/",
    "/p/c/g/teapot",
    "/p/c/g/key",
    "/p/c/g/missing",
    "/p/missing",
    "/p/c/g/boom",
    "/p/c/g/nothing-here",
    "/p/nothing-here",
    "/page",
    "/nothing",
    "/p",
]


@pytest.fixture(scope="module")
def nested() -> tuple[Any, Any]:
    return make_twin_apps(NESTED)


@pytest.mark.parametrize("path", NESTED_PATHS)
def test_nested_blueprints_match_flask_with_hook_order(
    nested: tuple[Any, Any], compare: Callable[..., Any], path: str
) -> None:
    ours, theirs = (app.extensions["log"] for app in nested)
    ours.clear()
    theirs.clear()
    compare(nested, "GET", path)
    assert ours == theirs
    assert ours  # the hooks ran


def test_nested_blueprint_names_and_iteration(nested: tuple[Any, Any]) -> None:
    ours, theirs = nested
    assert list(ours.blueprints) == list(theirs.blueprints)
    assert [bp.name for bp in ours.iter_blueprints()] == [
        bp.name for bp in theirs.iter_blueprints()
    ]
    assert sorted(ours.view_functions) == sorted(theirs.view_functions)
    assert sorted(str(rule) for rule in ours.url_map.iter_rules()) == sorted(
        str(rule) for rule in theirs.url_map.iter_rules()
    )


REGISTRATION = """
from erlen import Flask, Blueprint, request, url_for

app = Flask("registration")
bp = Blueprint("bp", __name__, url_prefix="/bp", url_defaults={"lang": "en"})

@bp.route("/")
def index(lang):
    return f"{request.blueprint} {lang} {url_for('.index')}"

@bp.route("/only", defaults={"lang": "xx"})
def only(lang):
    return lang

@bp.get("/get")
def get_only(lang):
    return "get"

@bp.post("/post")
def post_only(lang):
    return "post"

@bp.record
def every_time(state):
    state.app.config.setdefault("RECORDED", []).append(state.name)

@bp.record_once
def first_time(state):
    state.app.config.setdefault("RECORDED_ONCE", []).append(state.name)

@bp.before_app_request
def everywhere():
    request.environ["seen"] = "yes"

@bp.after_app_request
def everywhere_after(response):
    response.headers["X-Seen"] = request.environ.get("seen", "no")
    return response

@bp.app_errorhandler(404)
def everywhere_404(error):
    return "bp says 404", 404

@bp.app_url_defaults
def add_lang(endpoint, values):
    if endpoint == "lang_page":
        values.setdefault("lang", "de")

@bp.app_url_value_preprocessor
def pull_nothing(endpoint, values):
    request.environ["pre"] = endpoint

app.register_blueprint(bp)
app.register_blueprint(bp, name="again", url_prefix="/again", url_defaults={"lang": "fr"})
app.register_blueprint(bp, name="sub", url_prefix="/", subdomain=None)

@app.route("/lang/<lang>")
def lang_page(lang):
    return lang

@app.route("/")
def root():
    return ",".join([
        url_for("bp.index"), url_for("again.index"), url_for("sub.index"),
        url_for("again.only"), url_for("lang_page"),
        str(app.config["RECORDED"]), str(app.config["RECORDED_ONCE"]),
        request.environ["pre"] or "-",
    ])
"""


@pytest.fixture(scope="module")
def registration() -> tuple[Any, Any]:
    return make_twin_apps(REGISTRATION)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/bp/"),
        ("GET", "/again/"),
        ("GET", "/again/only"),
        ("GET", "/bp/only"),
        ("GET", "/bp/get"),
        ("POST", "/bp/get"),
        ("POST", "/again/post"),
        ("OPTIONS", "/bp/post"),
        ("GET", "/nowhere"),
        ("GET", "/bp"),
    ],
)
def test_registering_twice_and_app_wide_hooks_match_flask(
    registration: tuple[Any, Any], compare: Callable[..., Any], method: str, path: str
) -> None:
    # Only the wording of the built-in error pages differs (405, redirects).
    compare(registration, method, path, same_body=(method, path) != ("POST", "/bp/get"))


def test_registering_after_the_first_request_is_refused(make_client: Callable[..., Any]) -> None:
    app = Flask(__name__)

    @app.route("/")
    def index() -> str:
        return "ok"

    assert make_client(app).get("/").status_code == 200
    with pytest.raises(AssertionError, match="already handled its first request"):
        app.add_url_rule("/late", "late", index)
    with pytest.raises(AssertionError, match="setup method 'before_request'"):
        app.before_request(lambda: None)
    with pytest.raises(AssertionError, match="register_blueprint"):
        app.register_blueprint(Blueprint("late", __name__))


def test_blueprint_changed_after_registration_is_refused() -> None:
    app = Flask(__name__)
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(AssertionError, match="already been registered"):
        bp.route("/x")(lambda: "x")


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("package", ["erlen", "flask"])
def test_blueprint_name_with_a_dot_is_refused(package: str) -> None:
    blueprint_class = Blueprint if package == "erlen" else __import__("flask").Blueprint
    with pytest.raises(ValueError, match="dot"):
        blueprint_class("a.b", __name__)
    with pytest.raises(ValueError, match="empty"):
        blueprint_class("", __name__)


@pytest.mark.parametrize("package", ["erlen", "flask"])
def test_blueprint_endpoint_with_a_dot_is_refused(package: str) -> None:
    blueprint_class = Blueprint if package == "erlen" else __import__("flask").Blueprint
    bp = blueprint_class("bp", __name__)
    with pytest.raises(ValueError, match="dot"):
        bp.add_url_rule("/", "a.b", lambda: "x")


@pytest.mark.parametrize("package", ["erlen", "flask"])
def test_same_name_registered_twice_is_refused(package: str) -> None:
    module = __import__(package)
    app = module.Flask(__name__)
    bp = module.Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(ValueError, match="already registered for this blueprint"):
        app.register_blueprint(bp)
    with pytest.raises(ValueError, match="already registered for a different blueprint"):
        app.register_blueprint(module.Blueprint("bp", __name__))
    fresh = module.Blueprint("fresh", __name__)
    with pytest.raises(ValueError, match="on itself"):
        fresh.register_blueprint(fresh)


@pytest.mark.parametrize("package", ["erlen", "flask"])
def test_duplicate_endpoint_for_another_function_is_refused(package: str) -> None:
    module = __import__(package)
    app = module.Flask(__name__)
    bp = module.Blueprint("bp", __name__)

    @bp.route("/a")
    def view() -> str:
        return "a"

    def other() -> str:
        return "b"

    bp.add_url_rule("/b", "view", other)
    with pytest.raises(
        AssertionError, match=r"overwriting an existing endpoint function: bp\.view"
    ):
        app.register_blueprint(bp)


def test_template_registrations_reach_the_app() -> None:
    app = Flask(__name__)
    bp = Blueprint("bp", __name__)

    @bp.app_template_filter()
    def shout(text: str) -> str:
        return text.upper()

    @bp.app_template_global("answer")
    def forty_two() -> int:
        return 42

    @bp.app_template_test()
    def even(number: int) -> bool:
        return number % 2 == 0

    bp.add_app_template_filter(str.lower, "lower_it")
    app.register_blueprint(bp)
    env = app.jinja_env
    assert env.filters["shout"] is shout and env.filters["lower_it"] is str.lower
    assert env.globals["answer"] is forty_two
    assert env.tests["even"] is even
    with app.test_request_context():
        rendered = erlen.render_template_string(
            "{{ 'a'|shout }} {{ 'B'|lower_it }} {{ answer() }} {{ 4 is even }}"
        )
    assert rendered == "A b 42 True"


def test_context_processors_are_kept_by_blueprint_name() -> None:
    app = Flask(__name__)
    bp = Blueprint("bp", __name__)

    def app_wide() -> dict[str, Any]:
        return {}

    def local() -> dict[str, Any]:
        return {}

    bp.app_context_processor(app_wide)
    bp.context_processor(local)
    app.register_blueprint(bp, url_prefix="/x")
    # As in Flask: the app's default processor (request, session, g) comes first.
    from erlen.app_templates import default_template_context

    assert app.template_context_processors == {
        None: [default_template_context, app_wide],
        "bp": [local],
    }


def test_async_views_and_hooks_in_blueprints_keep_flask_order(
    nested: tuple[Any, Any], make_client: Callable[..., Any]
) -> None:
    # Flask needs asgiref for async views: the same app with sync functions is the oracle.
    source = NESTED.replace("def leaf():", "async def leaf():")
    for name in ("before_one", "after_two", "teardown", "child_404", "grandchild_lookup"):
        source = source.replace(f"def {name}(", f"async def {name}(")
    asynchronous, _ = make_twin_apps(source)
    theirs = nested[1]
    for path in ("/p/c/g/", "/p/c/g/key", "/p/c/missing", "/p/c/g/teapot"):
        log, expected_log = asynchronous.extensions["log"], theirs.extensions["log"]
        log.clear()
        expected_log.clear()
        got = make_client(asynchronous).get(path)
        expected = theirs.test_client().get(path)
        assert (got.status_code, got.get_data()) == (expected.status_code, expected.get_data())
        assert got.headers.getlist("X-After") == expected.headers.getlist("X-After")
        assert log == expected_log


def test_a_flask_name_erlen_lacks_fails_with_a_message_that_says_so() -> None:
    import flask

    import erlen

    # Every public name of the flask package is one of erlen's...
    for name in (name for name in dir(flask) if not name.startswith("_")):
        if not isinstance(getattr(flask, name), type(flask)):
            assert hasattr(erlen, name), name
    # ...and the Flask modules erlen lacks say so when imported.
    for module in ("logging", "typing", "debughelpers"):
        with pytest.raises(ImportError, match=f"erlen does not support flask.{module} yet"):
            exec(f"import erlen.{module}", {})
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        exec("import erlen; erlen.no_such_name", {})


@pytest.mark.parametrize("asynchronous", [False, True])
def test_hooks_registered_only_on_a_blueprint_run(
    make_client: Callable[..., Any], asynchronous: bool
) -> None:
    # No app-level hooks: the dispatch must still leave its hook-free short path.
    app = Flask(__name__)
    bp = Blueprint("bp", __name__)
    calls: list[str] = []

    @bp.url_value_preprocessor
    def pre(endpoint: str | None, values: dict[str, Any] | None) -> None:
        calls.append(f"pre {endpoint}")

    @bp.before_request
    def before() -> None:
        calls.append("before")

    @bp.after_request
    def after(response: Any) -> Any:
        calls.append("after")
        response.headers["X-Bp"] = "yes"
        return response

    @bp.teardown_request
    def teardown(error: BaseException | None) -> None:
        calls.append("teardown")

    if asynchronous:

        @bp.route("/x")
        async def view() -> str:
            return "async view"

    else:

        @bp.route("/x")
        def view() -> str:
            return "view"

    @app.route("/plain")
    def plain() -> str:
        return "plain"

    app.register_blueprint(bp, url_prefix="/bp")
    client = make_client(app)
    response = client.get("/bp/x")
    assert response.headers["X-Bp"] == "yes"
    assert calls == ["pre bp.view", "before", "after", "teardown"]
    calls.clear()
    assert "X-Bp" not in client.get("/plain").headers
    assert calls == []
