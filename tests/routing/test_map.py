"""erlen.routing.Map against werkzeug.routing.Map: the same rules in both maps, same answers."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from erlen import routing as er
from erlen.exceptions import MethodNotAllowed, NotFound, RequestRedirect
from tests.routing.support import (
    CUSTOM,
    R,
    RuleSpec,
    _erlen_map,
    _werkzeug_map,
    erlen_match,
    werkzeug_match,
)
from tests.routing.test_converters import _ROUND_TRIP

# -- the differential table ----------------------------------------------------------

USERS = [R("/user/<name>", "by_name"), R("/user/<int:id>", "by_id")]
USERS_REVERSED = list(reversed(USERS))
SLASHES = [R("/dir/", "dir"), R("/leaf", "leaf"), R("/", "index")]
CONVERTERS = [
    R("/s/<string(minlength=2, maxlength=3):v>", "s23"),
    R("/len/<string(length=4):v>", "len4"),
    R("/i/<int:v>", "int"),
    R("/imin/<int(min=10, max=20):v>", "intrange"),
    R("/ifix/<int(fixed_digits=3):v>", "intfix"),
    R("/isigned/<int(signed=True):v>", "intsigned"),
    R("/f/<float:v>", "float"),
    R("/fs/<float(signed=True, min=0.5, max=9):v>", "floatrange"),
    R("/p/<path:v>", "path"),
    R("/p/<path:v>/edit", "path_edit"),
    R("/u/<uuid:v>", "uuid"),
    R("/a/<any(about, help, 'foo,bar', \"x y\"):v>", "any"),
    R("/d/<default:v>", "default"),
]
METHODS = [
    R("/m", "m_get", methods=["GET"]),
    R("/m", "m_post", methods=["post"]),
    R("/only-put", "put", methods=["PUT"]),
    R("/any-method", "any_method"),
    R("/dyn/<int:x>", "dyn_get", methods=["GET"]),
    R("/dyn/<name>", "dyn_delete", methods=["DELETE"]),
]
DEFAULTS = [
    R("/all/", "all", defaults={"page": 1}),
    R("/all/page/<int:page>", "all"),
    R("/lang/<lang>/", "lang", defaults={"lang": "en"}),
    R("/blog/", "blog", defaults={"kind": "post"}),
]
ORDER = [
    R("/<a>/<b>", "two_vars"),
    R("/x/<b>", "static_first"),
    R("/<a>/y", "static_second"),
    R("/files/<path:p>", "files"),
    R("/files/<name>.txt", "txt"),
    R("/files/<int:n>", "numbered"),
    R("/pre-<name>", "prefixed"),
    R("/<name>-post", "suffixed"),
    R("/v<int:major>.<int:minor>", "version"),
    R("/deep/<path:p>/<int:n>/end", "deep"),
]
NON_STRICT = [
    R("/ns", "ns", strict_slashes=False),
    R("/nsdir/", "nsdir", strict_slashes=False),
    R("/nsdyn/<x>", "nsdyn", strict_slashes=False),
]
PATH_SLASH = [R("/tree/<path:p>/", "tree"), R("/repo/<path:p>/blob/<name>", "blob")]
MERGE = [R("/a/b/c", "abc"), R("/a/<x>/", "ax"), R("/m//n", "mn"), R("/k/<path:p>", "kp")]
CUSTOM_RULES = [
    R("/tags/<list:tags>", "tags"),
    R("/n/<even:x>", "even"),
    R("/n/<int:x>", "int_fallback"),
    R("/sl/<slashy:s>/end", "slashy"),
]
REDIRECT_TO = [
    R("/old/<int:id>", "old", redirect_to="new/<id>"),
    R("/new/<int:id>", "new"),
    R("/gone", "gone", redirect_to="/elsewhere"),
]

ROWS: list[tuple[str, list[RuleSpec], dict[str, Any], str, str, str]] = []


def rows(name: str, rules: list[RuleSpec], requests: list[Any], **map_options: Any) -> None:
    for request in requests:
        if isinstance(request, str):
            request = (request,)
        path, method, query = (*request, "GET", "")[:3] if len(request) == 1 else (*request, "")[:3]
        ROWS.append((name, rules, map_options, path, method, query))


rows("users", USERS, ["/user/42", "/user/bob", "/user/", "/user", "/user/-1", "/user/4.2"])
rows("users-rev", USERS_REVERSED, ["/user/42", "/user/bob", "/user/007"])
rows(
    "slashes",
    SLASHES,
    [
        "/dir",
        "/dir/",
        "/leaf",
        "/leaf/",
        "/",
        "",
        "//",
        "///dir",
        "/dir//",
        ("/dir", "GET", "a=1&b=two%20words"),
        ("/dir", "POST", "x=%0D%0A"),
        "/nope",
    ],
)
rows(
    "converters",
    CONVERTERS,
    [
        "/s/a",
        "/s/ab",
        "/s/abc",
        "/s/abcd",
        "/len/abcd",
        "/len/abc",
        "/i/0",
        "/i/123",
        "/i/-1",
        "/i/1.5",
        "/i/١٢",
        "/imin/9",
        "/imin/10",
        "/imin/20",
        "/imin/21",
        "/ifix/007",
        "/ifix/07",
        "/ifix/0007",
        "/isigned/-5",
        "/isigned/5",
        "/isigned/--5",
        "/f/1.5",
        "/f/1",
        "/f/-1.5",
        "/fs/-2.5",
        "/fs/0.4",
        "/fs/0.5",
        "/fs/9.0",
        "/fs/9.1",
        "/p/a",
        "/p/a/b/c",
        "/p/a/b/edit",
        "/p/",
        "/p//x",
        "/u/12345678-1234-5678-1234-567812345678",
        "/u/12345678-1234-5678-1234-56781234567",
        "/u/ABCDEF12-1234-5678-1234-567812345678",
        "/a/about",
        "/a/help",
        "/a/foo,bar",
        "/a/x y",
        "/a/other",
        "/d/ünïcode",
        "/d/a b",
        "/d/a%2Fb",
    ],
)
rows(
    "methods",
    METHODS,
    [
        ("/m", "GET"),
        ("/m", "HEAD"),
        ("/m", "POST"),
        ("/m", "PUT"),
        ("/m", "get"),
        ("/only-put", "GET"),
        ("/only-put", "PUT"),
        ("/any-method", "PATCH"),
        ("/dyn/3", "GET"),
        ("/dyn/3", "DELETE"),
        ("/dyn/abc", "GET"),
        ("/dyn/abc", "DELETE"),
        ("/dyn/3", "PATCH"),
        ("/missing", "POST"),
    ],
)
rows(
    "defaults",
    DEFAULTS,
    [
        "/all/",
        "/all",
        "/all/page/1",
        "/all/page/2",
        ("/all/page/1", "GET", "q=1"),
        "/lang/en/",
        "/lang/de/",
        "/blog/",
    ],
)
rows(
    "defaults-no-redirect",
    DEFAULTS,
    ["/all/page/1", "/all/page/2"],
    redirect_defaults=False,
)
rows(
    "order",
    ORDER,
    [
        "/x/y",
        "/x/z",
        "/q/y",
        "/q/z",
        "/files/a.txt",
        "/files/12",
        "/files/a/b.txt",
        "/files/readme",
        "/pre-fix",
        "/fix-post",
        "/pre-post",
        "/v1.2",
        "/v1.x",
        "/deep/a/b/3/end",
        "/deep/a/3/end",
        "/deep/3/end",
    ],
)
rows(
    "non-strict",
    NON_STRICT,
    ["/ns", "/ns/", "/nsdir", "/nsdir/", "/nsdyn/a", "/nsdyn/a/", ("/ns/", "POST")],
)
rows("strict-off-map", SLASHES, ["/dir", "/leaf/", "/dir/"], strict_slashes=False)
rows(
    "path-slash",
    PATH_SLASH,
    [
        "/tree/a",
        "/tree/a/",
        "/tree/a/b",
        "/tree/a/b/",
        "/tree/",
        "/repo/x/y/blob/z",
        "/repo/x/blob/z",
    ],
)
rows(
    "merge",
    MERGE,
    [
        "/a//b/c",
        "/a/b//c",
        "/a//b//c",
        "/a/b/c",
        "/a//x",
        "/a//x/",
        "/m/n",
        "/m//n",
        "/k/a//b",
        ("/a//b/c", "GET", "z=1"),
        ("/a//b/c", "POST"),
    ],
)
rows("merge-off", MERGE, ["/a//b/c", "/a/b/c", "/m//n", "/m/n"], merge_slashes=False)
rows(
    "custom",
    CUSTOM_RULES,
    [
        "/tags/a,b,c",
        "/tags/a",
        "/tags/A",
        "/tags/a,,b",
        "/n/4",
        "/n/5",
        "/sl/a/b/end",
        "/sl/a/end",
    ],
    converters=CUSTOM,
)
rows("redirect-to", REDIRECT_TO, ["/old/7", "/new/7", "/gone"])
rows(
    "quoting",
    [R("/caf\u00e9/<name>", "cafe"), R("/sp ace/", "space"), R("/q?x/", "qmark")],
    ["/caf\u00e9/x", "/sp ace", "/q?x", "/caf\u00e9/a b/"],
)
rows(
    "newline",
    [R("/p/<path:v>", "p"), R("/s/<v>", "s"), R("/nl/", "nl")],
    ["/p/a\nb", "/p/x/\n", "/s/a\nb", "/s/\n", "/nl\n", "/nl/\n", "/s/a\rb/"],
)
rows(
    "head",
    [R("/h", "h", methods=["GET"]), R("/hp", "hp", methods=["POST"])],
    [("/h", "HEAD"), ("/hp", "HEAD"), ("/hp", "OPTIONS")],
)


@pytest.mark.parametrize(
    ("name", "rules", "map_options", "path", "method", "query"),
    ROWS,
    ids=[f"{row[0]}:{row[4]}:{row[3]}" for row in ROWS],
)
def test_match_like_werkzeug(
    name: str,
    rules: list[RuleSpec],
    map_options: dict[str, Any],
    path: str,
    method: str,
    query: str,
) -> None:
    expected = werkzeug_match(rules, path, method, query, **dict(map_options))
    assert erlen_match(rules, path, method, query, **dict(map_options)) == expected


def test_differential_table_is_large() -> None:
    assert len(ROWS) >= 100


# -- building -----------------------------------------------------------------------------

BUILD_RULES = [
    *CONVERTERS,
    R("/user/<int:id>", "user"),
    R("/user/<int:id>/<tab>", "user"),
    R("/all/", "all", defaults={"page": 1}),
    R("/all/page/<int:page>", "all"),
    R("/post", "post", methods=["POST"]),
    R("/post/get", "post", methods=["GET"]),
    R("/caf\u00e9 & co/<name>", "cafe"),
    R("/tags/<list:tags>", "tags"),
    R("/static", "static"),
]

BUILD_CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("static", {}, None),
    ("static", {"q": "a b", "n": 1}, None),
    ("static", {"q": None}, None),
    ("static", {"q": ["x", "y"], "z": ("1", None)}, None),
    ("static", {"q": "ä/?&=#+"}, None),
    ("static", {"sp ace": "&"}, None),
    ("user", {"id": 5}, None),
    ("user", {"id": 5, "tab": "posts"}, None),
    ("user", {"id": "7", "x": 1}, None),
    ("all", {}, None),
    ("all", {"page": 1}, None),
    ("all", {"page": 3}, None),
    ("post", {}, None),
    ("post", {}, "POST"),
    ("post", {}, "GET"),
    ("cafe", {"name": "a/b c?d#e"}, None),
    ("s23", {"v": "ab"}, None),
    ("intfix", {"v": 7}, None),
    ("intsigned", {"v": -3}, None),
    ("float", {"v": 2.5}, None),
    ("path", {"v": "a/b c/d"}, None),
    ("uuid", {"v": uuid.UUID("12345678-1234-5678-1234-567812345678")}, None),
    ("any", {"v": "help"}, None),
    ("default", {"v": "x%y"}, None),
    ("tags", {"tags": ["a", "b c"]}, None),
]


@pytest.mark.parametrize(("endpoint", "values", "method"), BUILD_CASES)
def test_build_like_werkzeug(endpoint: str, values: dict[str, Any], method: str | None) -> None:
    expected = (
        _werkzeug_map(BUILD_RULES, converters=dict(CUSTOM))
        .bind("localhost")
        .build(endpoint, dict(values), method)
    )
    actual = _erlen_map(BUILD_RULES, converters=dict(CUSTOM)).build(endpoint, dict(values), method)
    assert actual == expected


@pytest.mark.parametrize(
    ("endpoint", "values", "method"),
    [
        ("user", {}, None),
        ("user", {"tab": "x"}, None),
        ("nope", {}, None),
        ("post", {}, "PUT"),
        ("all", {"page": "x"}, None),
    ],
)
def test_build_errors_like_werkzeug(
    endpoint: str, values: dict[str, Any], method: str | None
) -> None:
    werkzeug_adapter = _werkzeug_map(BUILD_RULES, converters=dict(CUSTOM)).bind("localhost")
    erlen_map = _erlen_map(BUILD_RULES, converters=dict(CUSTOM))
    try:
        werkzeug_result: Any = werkzeug_adapter.build(endpoint, values, method)
    except Exception as error:
        werkzeug_result = type(error).__name__
    try:
        erlen_result: Any = erlen_map.build(endpoint, values, method)
    except Exception as error:
        erlen_result = type(error).__name__
    assert erlen_result == werkzeug_result


def test_build_error_message_names_endpoint_and_missing_values() -> None:
    url_map = _erlen_map(BUILD_RULES, converters=dict(CUSTOM))
    with pytest.raises(er.BuildError) as info:
        url_map.build("user", {"tab": "x"})
    message = str(info.value)
    assert "'user'" in message and "'id'" in message
    assert isinstance(info.value, LookupError)
    with pytest.raises(er.BuildError, match="Did you mean 'user'"):
        url_map.build("usr")
    post_only = er.Map([er.Rule("/p", endpoint="p", methods=["POST"])])
    with pytest.raises(er.BuildError, match=r"accepts only \['POST'\]"):
        post_only.build("p", method="PUT")


def test_any_converter_build_refuses_other_values() -> None:
    url_map = _erlen_map(CONVERTERS)
    with pytest.raises(ValueError, match="'nope'"):
        url_map.build("any", {"v": "nope"})


def test_sort_parameters() -> None:
    rules = [R("/", "index")]
    werkzeug_adapter = _werkzeug_map(rules, sort_parameters=True).bind("localhost")
    erlen_map = _erlen_map(rules, sort_parameters=True)
    values = {"b": 1, "a": [3, 2], "c": 0}
    assert erlen_map.build("index", values) == werkzeug_adapter.build("index", values)


def test_allowed_methods_like_werkzeug() -> None:
    ours, theirs = _erlen_map(METHODS), _werkzeug_map(METHODS).bind("localhost")
    for path in ("/m", "/only-put", "/dyn/3", "/dyn/x", "/missing", "/any-method"):
        assert ours.allowed_methods(path) == set(theirs.allowed_methods(path)), path


def test_method_not_allowed_lists_sorted_methods() -> None:
    url_map = _erlen_map(METHODS)
    with pytest.raises(MethodNotAllowed) as info:
        url_map.match("/m", "PUT")
    assert info.value.valid_methods == ["GET", "HEAD", "POST"]
    assert ("Allow", "GET, HEAD, POST") in info.value.get_headers()


def test_view_args_are_fresh_per_match() -> None:
    url_map = _erlen_map([R("/s", "s"), R("/d/<x>", "d")])
    first = url_map.match("/s", "GET")[1]
    first["injected"] = 1
    assert url_map.match("/s", "GET")[1] == {}
    assert url_map.match("/d/1", "GET")[1] == {"x": "1"}


def test_redirect_never_becomes_protocol_relative() -> None:
    # CWE-601: a path like //evil.example/ must not redirect to "//evil.example/"
    url_map = _erlen_map([R("/evil.example/", "e")])
    with pytest.raises(RequestRedirect) as info:
        url_map.match("//evil.example", "GET")
    assert info.value.new_url == "/evil.example/"
    assert werkzeug_match([R("/evil.example/", "e")], "//evil.example") == (
        "redirect",
        "/evil.example/",
    )


def test_redirect_query_with_control_characters_is_encoded() -> None:
    # CWE-113: raw CR/LF in a query string never reaches the Location header
    url_map = _erlen_map([R("/d/", "d")])
    with pytest.raises(RequestRedirect) as info:
        url_map.match("/d", "GET", "a=1\r\nSet-Cookie: x=1")
    assert info.value.new_url == "/d/?a=1%0D%0ASet-Cookie: x=1"


def test_alias_rule_redirects_to_canonical() -> None:
    rules = [R("/canonical/<x>", "e"), R("/alias/<x>", "e", alias=True)]
    assert erlen_match(rules, "/alias/1", "GET", "q=2") == werkzeug_match(
        rules, "/alias/1", "GET", "q=2"
    )


def test_callable_redirect_to_gets_values() -> None:
    url_map = _erlen_map([R("/c/<int:n>", "c", redirect_to=lambda _map, n: f"/n/{n + 1}")])
    with pytest.raises(RequestRedirect) as info:
        url_map.match("/c/1", "GET")
    assert info.value.new_url == "/n/2"


def test_build_only_rule_builds_but_never_matches() -> None:
    rules = [R("/static/<path:filename>", "static", build_only=True)]
    assert erlen_match(rules, "/static/a.css") == werkzeug_match(rules, "/static/a.css")
    assert _erlen_map(rules).build("static", {"filename": "a b.css"}) == "/static/a%20b.css"


def test_validation_error_means_not_found() -> None:
    url_map = _erlen_map([R("/n/<even:x>", "e")], converters=CUSTOM)
    with pytest.raises(NotFound):
        url_map.match("/n/3", "GET")


def test_many_routes_use_the_index() -> None:
    # 1000 static and 1000 dynamic routes: the tree has one literal edge per
    # route under the root, so a lookup never scans the other routes' regexes.
    url_map = er.Map()
    for number in range(1000):
        url_map.add(er.Rule(f"/static{number}", endpoint=f"s{number}"))
        url_map.add(er.Rule(f"/items{number}/<int:id>", endpoint=f"d{number}"))
    assert url_map.match("/static999", "GET")[0].endpoint == "s999"
    assert url_map.match("/items999/5", "GET")[1] == {"id": 5}
    root = url_map._root.static[""]
    assert len(root.static) == 2000 and root.dynamic == []
    assert len(url_map._static) == 1000


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1), st.text() | st.integers(), max_size=4))
def test_query_building_like_werkzeug(values: dict[str, Any]) -> None:
    expected = _WERKZEUG_QUERY.build("query", values)
    assert _ROUND_TRIP.build("query", values) == expected


@settings(max_examples=100, deadline=None)
@given(st.text(st.sampled_from("ab/-.%1 é"), max_size=12))
def test_random_paths_like_werkzeug(path: str) -> None:
    assert erlen_match(ORDER, path) == werkzeug_match(ORDER, path)


_WERKZEUG_QUERY = _werkzeug_map([R("/q", "query")]).bind("localhost")


# -- the greedy walk agrees with the full walk ------------------------------------

_GREEDY_RULES = [
    "/users/<int:id>",
    "/users/<name>",
    "/users/me",
    "/users/<int:id>/posts/<slug>",
    "/users/<name>/posts/latest",
    "/files/<path:rest>",
    "/a/<x>/b",
    "/a/<int:y>/c",
    "/v<int:version>/items",
    "/<lang>/about",
    "/en/<page>",
]
_GREEDY_SEGMENTS = st.sampled_from(
    ["users", "me", "42", "7", "posts", "latest", "x", "files", "a", "b", "c", "v2", "en", ""]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_GREEDY_RULES), min_size=1, max_size=8, unique=True),
    st.lists(_GREEDY_SEGMENTS, min_size=1, max_size=5),
    st.sampled_from(["GET", "POST"]),
)
def test_greedy_walk_finds_what_the_full_walk_finds(
    rules: list[str], segments: list[str], method: str
) -> None:
    url_map = er.Map([er.Rule(rule, endpoint=rule, methods=["GET"]) for rule in rules])
    parts = ["", *segments]
    quick = url_map._walk_greedy(parts, method)
    if quick is not None:
        full = url_map._walk(url_map._root, parts, 0, [], method, set(), [False])
        assert full is not None
        assert (quick[0].rule, quick[1]) == (full[0].rule, full[1])


def test_greedy_walk_answers_a_plain_dynamic_path() -> None:
    # The property test above only compares when the greedy walk answers;
    # this shows it does answer for the common shape.
    url_map = er.Map([er.Rule("/users/<int:id>", endpoint="user")])
    found = url_map._walk_greedy(["", "users", "7"], "GET")
    assert found is not None
    assert (found[0].endpoint, found[1]) == ("user", ["7"])
    assert url_map._walk_greedy(["", "users", "x"], "GET") is None
