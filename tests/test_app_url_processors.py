"""URL processors, rule options, build errors, hosts and subdomains, against Flask."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from erlen import Flask
from erlen.routing import BaseConverter, RuleError
from tests.support import make_twin_apps

PROCESSORS = """
from erlen import Flask, Blueprint, g, request, url_for
from erlen.routing import BaseConverter

class ListConverter(BaseConverter):
    def to_python(self, value):
        return value.split("+")

    def to_url(self, values):
        return "+".join(super(ListConverter, self).to_url(v) for v in values)

app = Flask("processors")
app.url_map.converters["list"] = ListConverter
app.url_map.strict_slashes = True

@app.url_value_preprocessor
def pull_lang(endpoint, values):
    g.lang = values.pop("lang", None) if values else None

@app.url_defaults
def add_lang(endpoint, values):
    if "lang" in values or endpoint != "about":
        return
    if app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = g.lang

@app.route("/<lang>/about")
def about():
    return f"about {g.lang} {url_for('about')} {url_for('about', lang='fr')}"

@app.route("/tags/<list:tags>")
def tags(tags):
    return f"{tags} {url_for('tags', tags=['x', 'y z'])}"

@app.route("/old/<int:n>", redirect_to="/new/<n>")
def old(n):
    return "never"

@app.route("/old-fn/<int:n>", redirect_to=lambda adapter, n: f"/new/{n * 2}")
def old_fn(n):
    return "never"

@app.route("/new/<int:n>")
def new(n):
    return f"new {n}"

@app.route("/pages/", defaults={"page": 1})
@app.route("/pages/<int:page>")
def pages(page):
    return f"page {page} {url_for('pages', page=1)} {url_for('pages', page=2)}"

app.add_url_rule("/built-only/<x>", "built_only", build_only=True)

@app.route("/loose", strict_slashes=False)
def loose():
    return "loose"

@app.route("/keep//double", merge_slashes=False)
def double():
    return "double"

@app.route("/merged/path")
def merged():
    return "merged"

def fallback(error, endpoint, values):
    if endpoint == "external_thing":
        return "https://elsewhere.example/" + str(values.get("id"))
    return None

app.url_build_error_handlers.append(fallback)

@app.route("/links")
def links():
    return " ".join([url_for("built_only", x="1"), url_for("external_thing", id=7)])

@app.route("/unbuildable")
def unbuildable():
    return url_for("no_such_endpoint")

shop = Blueprint("shop", __name__, url_prefix="/<lang>/shop")

@shop.url_value_preprocessor
def shop_pull(endpoint, values):
    # The app's preprocessor ran first (app, then blueprint) and took "lang".
    g.shop_lang = g.lang

@shop.url_defaults
def shop_lang(endpoint, values):
    values.setdefault("lang", g.shop_lang)

@shop.route("/")
def shop_index():
    return f"shop {g.shop_lang} {url_for('.shop_index')} {url_for('shop.shop_index', lang='en')}"

app.register_blueprint(shop)
"""

PROCESSOR_CASES = [
    ("/de/about", True),
    ("/tags/a+b", True),
    ("/old/3", False),
    ("/old-fn/3", False),
    ("/pages/", True),
    ("/pages/1", False),
    ("/pages/4", True),
    ("/built-only/1", False),
    ("/loose", True),
    ("/loose/", True),
    ("/keep//double", True),
    ("/merged//path", False),
    ("/links", True),
    ("/unbuildable", False),
    ("/fr/shop/", True),
    ("/fr/shop", False),
]


@pytest.fixture(scope="module")
def processors() -> tuple[Any, Any]:
    return make_twin_apps(PROCESSORS)


@pytest.mark.parametrize(("path", "same_body"), PROCESSOR_CASES)
def test_url_processors_and_rule_options_match_flask(
    processors: tuple[Any, Any], compare: Callable[..., Any], path: str, same_body: bool
) -> None:
    compare(processors, "GET", path, same_body=same_body)


def test_build_error_handler_outside_a_request() -> None:
    for package in ("erlen", "flask"):
        module = __import__(package)
        app = module.Flask(__name__)
        app.config["SERVER_NAME"] = "example.com"
        app.url_build_error_handlers.append(lambda error, endpoint, values: f"/{endpoint}")
        with app.app_context():
            assert module.url_for("missing") == "/missing"


# -- hosts and subdomains ---------------------------------------------------------------

SUBDOMAINS = """
from erlen import Flask, Blueprint, request, url_for

app = Flask("subdomains", subdomain_matching=True)
app.config["SERVER_NAME"] = "example.com"

@app.route("/")
def index():
    return " ".join([
        "index",
        url_for("index"),
        url_for("api_index"),
        url_for("user_home", user="ann"),
        url_for("index", _external=True, _scheme="https"),
        url_for("api.status"),
    ])

@app.route("/", subdomain="api")
def api_index():
    return "api " + url_for("api_index") + " " + url_for("index")

@app.route("/", subdomain="<user>")
def user_home(user):
    return f"user {user} " + url_for("user_home", user=user)

api = Blueprint("api", __name__, subdomain="api", url_prefix="/v1")

@api.route("/status")
def status():
    return "status " + url_for(".status")

app.register_blueprint(api)
"""

SUBDOMAIN_CASES = [
    ("http://example.com/", True),
    ("http://api.example.com/", True),
    ("http://ann.example.com/", True),
    ("http://api.example.com/v1/status", True),
    ("http://example.com/v1/status", False),
    ("http://other.test/", False),
    ("http://a.b.example.com/", True),
]


@pytest.fixture(scope="module")
def subdomains() -> tuple[Any, Any]:
    return make_twin_apps(SUBDOMAINS)


@pytest.mark.filterwarnings("ignore:Current server name")  # Flask's, for other.test
@pytest.mark.parametrize(("url", "same_body"), SUBDOMAIN_CASES)
def test_subdomain_matching_matches_flask(
    subdomains: tuple[Any, Any], compare: Callable[..., Any], url: str, same_body: bool
) -> None:
    compare(subdomains, "GET", url, same_body=same_body)


def test_url_for_subdomain_outside_a_request() -> None:
    results = []
    for app in make_twin_apps(SUBDOMAINS):
        with app.app_context():
            results.append(
                [app.url_for("api_index"), app.url_for("index"), app.url_for("api.status")]
            )
    assert results[0] == results[1]
    assert results[0][0] == "http://api.example.com/"


HOSTS = """
from erlen import Flask, request, url_for

app = Flask("hosts", host_matching=True, static_host="static.example.com",
            static_folder="static")

@app.route("/", host="example.com")
def index():
    return "main " + url_for("index") + " " + url_for("shop") + " " + url_for(
        "tenant", tenant="acme") + " " + url_for("static", filename="a.css")

@app.route("/", host="shop.example.com")
def shop():
    return "shop " + url_for("index")

@app.route("/t", host="<tenant>.tenants.test")
def tenant(tenant):
    return "tenant " + tenant + " " + url_for("tenant", tenant=tenant, _external=True)
"""

HOST_CASES = [
    ("http://example.com/", True),
    ("http://shop.example.com/", True),
    ("http://acme.tenants.test/t", True),
    ("http://unknown.test/", False),
    ("http://example.com:80/", True),
]


@pytest.fixture(scope="module")
def hosts() -> tuple[Any, Any]:
    return make_twin_apps(HOSTS)


@pytest.mark.parametrize(("url", "same_body"), HOST_CASES)
def test_host_matching_matches_flask(
    hosts: tuple[Any, Any], compare: Callable[..., Any], url: str, same_body: bool
) -> None:
    compare(hosts, "GET", url, same_body=same_body)


def test_subdomains_ignored_without_subdomain_matching(compare: Callable[..., Any]) -> None:
    source = SUBDOMAINS.replace("subdomain_matching=True", "subdomain_matching=False")
    twins = make_twin_apps(source)
    compare(twins, "GET", "http://example.com/")
    compare(twins, "GET", "http://api.example.com/v1/status", same_body=False)


# -- bad input ------------------------------------------------------------------------


def test_repeated_variable_name_is_refused() -> None:
    # Werkzeug refuses it too, with a SyntaxError from its generated code
    # (see docs/compat.md); erlen names the variable and the rule.
    import flask

    with pytest.raises(SyntaxError):
        flask.Flask(__name__).add_url_rule("/a/<x>/<x>", "twice", lambda x: x)
    app = Flask(__name__)
    with pytest.raises(RuleError, match="variable name 'x' used twice in rule '/a/<x>/<x>'"):
        app.add_url_rule("/a/<x>/<x>", "twice", lambda x: x)


def test_repeated_variable_in_subdomain_and_path_is_refused() -> None:
    app = Flask(__name__, subdomain_matching=True)
    with pytest.raises(RuleError, match="'x' used twice"):
        app.add_url_rule("/<x>", "twice", lambda x: x, subdomain="<x>")


@pytest.mark.parametrize("package", ["erlen", "flask"])
def test_unknown_converter_is_refused(package: str) -> None:
    app = __import__(package).Flask(__name__)
    with pytest.raises(LookupError, match="nope"):
        app.add_url_rule("/a/<nope:x>", "bad", lambda x: x)


@pytest.mark.parametrize("domain", ["a/b", "a b", "<x", "api\r\nX: y", "*.example.com"])
def test_malformed_subdomain_or_host_is_refused(domain: str) -> None:
    app = Flask(__name__, subdomain_matching=True)
    with pytest.raises(RuleError, match="malformed subdomain"):
        app.add_url_rule("/", "bad", lambda: "x", subdomain=domain)
    hosted = Flask(__name__, host_matching=True, static_folder=None)
    with pytest.raises(RuleError, match="malformed host"):
        hosted.add_url_rule("/", "bad", lambda: "x", host=domain)


@pytest.mark.parametrize("package", ["erlen", "flask"])
def test_static_host_needs_host_matching(package: str) -> None:
    flask_class = __import__(package).Flask
    with pytest.raises(AssertionError, match="static_host/host_matching"):
        flask_class(__name__, static_host="static.example.com")
    with pytest.raises(AssertionError, match="static_host/host_matching"):
        flask_class(__name__, host_matching=True)


def test_converter_class_registered_on_the_map(make_client: Callable[..., Any]) -> None:
    class Upper(BaseConverter):
        def to_python(self, value: str) -> str:
            return value.upper()

    app = Flask(__name__)
    app.url_map.converters["upper"] = Upper

    @app.route("/u/<upper:word>")
    def upper(word: str) -> str:
        return word

    assert make_client(app).get("/u/abc").get_data() == b"ABC"
