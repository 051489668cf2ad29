"""Finding the app: ``--app`` specs, default files, factories, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from erlen.cli import AppTarget, CLIError, find_app, main, parse_app_spec
from tests.cli.support import WSGI_APP, write


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("hello", ("hello", None)),
        ("hello:app", ("hello", "app")),
        ("hello:create_app()", ("hello", "create_app()")),
        ("hello:create_app('dev', debug=True)", ("hello", "create_app('dev', debug=True)")),
        ("pkg.sub.mod:application", ("pkg.sub.mod", "application")),
    ],
)
def test_parse_module_specs(spec: str, expected: tuple[str, str | None], tmp_path: Path) -> None:
    module, app_dir, expression = parse_app_spec(spec, str(tmp_path))
    assert (module, expression) == expected
    assert app_dir == str(tmp_path)


def test_parse_file_specs_climb_out_of_packages(tmp_path: Path) -> None:
    write(tmp_path, "proj/pkg/__init__.py", "")
    write(tmp_path, "proj/pkg/web.py", WSGI_APP)
    write(tmp_path, "proj/single.py", WSGI_APP)
    root = str(tmp_path / "proj")
    assert parse_app_spec("proj/pkg/web.py", str(tmp_path)) == ("pkg.web", root, None)
    assert parse_app_spec("proj/pkg/web.py:app", str(tmp_path)) == ("pkg.web", root, "app")
    assert parse_app_spec("proj/pkg/__init__.py", str(tmp_path)) == ("pkg", root, None)
    assert parse_app_spec("proj/single.py:make()", str(tmp_path)) == ("single", root, "make()")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "module or file name"),
        (" hello", "module or file name"),
        ("hello:", "nothing after"),
        ("hel-lo", "not a module name"),
        ("missing/file.py", "no such file"),
    ],
)
def test_bad_specs(spec: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(CLIError, match=message):
        parse_app_spec(spec, str(tmp_path))


# --- discovery ----------------------------------------------------------------


def test_finds_named_attribute(tmp_path: Path) -> None:
    write(tmp_path, "named_a.py", WSGI_APP + "\nother = app\n")
    target, app = find_app("named_a:other", str(tmp_path))
    assert target == AppTarget("named_a", str(tmp_path), "other")
    assert app.__name__ == "app"


@pytest.mark.parametrize("attribute", ["app", "application"])
def test_bare_module_uses_app_or_application(tmp_path: Path, attribute: str) -> None:
    write(tmp_path, f"bare_{attribute}.py", WSGI_APP.replace("def app", f"def {attribute}"))
    target, _ = find_app(f"bare_{attribute}", str(tmp_path))
    assert (target.name, target.factory) == (attribute, False)


@pytest.mark.parametrize("factory", ["create_app", "make_app"])
def test_bare_module_falls_back_to_factory(tmp_path: Path, factory: str) -> None:
    write(
        tmp_path,
        f"fact_{factory}.py",
        WSGI_APP.replace("def app", "def _wsgi") + f"\ndef {factory}():\n    return _wsgi\n",
    )
    target, app = find_app(f"fact_{factory}", str(tmp_path))
    assert (target.name, target.factory, target.expression) == (factory, True, f"{factory}()")
    assert app.__name__ == "_wsgi"


def test_bare_module_finds_single_erlen_app(tmp_path: Path) -> None:
    write(tmp_path, "one_erlen.py", "from erlen import Erlen\nweb = Erlen(__name__)\n")
    target, app = find_app("one_erlen", str(tmp_path))
    assert target.name == "web" and hasattr(app, "asgi_app")


def test_bare_module_with_two_erlen_apps_is_ambiguous(tmp_path: Path) -> None:
    write(
        tmp_path,
        "two_erlen.py",
        "from erlen import Erlen\nweb = Erlen(__name__)\nadmin = Erlen(__name__)\n",
    )
    with pytest.raises(CLIError, match="several apps"):
        find_app("two_erlen", str(tmp_path))


def test_factory_call_with_literal_arguments(tmp_path: Path) -> None:
    write(
        tmp_path,
        "fact_args.py",
        """
        def create_app(name, *, debug=False):
            def app(environ, start_response):
                return [name.encode(), str(debug).encode()]
            app.config = (name, debug)
            return app
        """,
    )
    target, app = find_app("fact_args:create_app('dev', debug=True)", str(tmp_path))
    assert app.config == ("dev", True)
    assert target.factory and target.call == "create_app('dev', debug=True)"


def test_named_function_without_parameters_is_a_factory(tmp_path: Path) -> None:
    write(tmp_path, "fact_named.py", WSGI_APP + "\ndef build():\n    return app\n")
    target, app = find_app("fact_named:build", str(tmp_path))
    assert target.factory and app.__name__ == "app"
    # A WSGI function (2 parameters) is used as it is, not called.
    target, app = find_app("fact_named:app", str(tmp_path))
    assert not target.factory and app.__name__ == "app"


def test_default_files_wsgi_then_app(tmp_path: Path) -> None:
    write(tmp_path, "app.py", WSGI_APP)
    assert find_app(None, str(tmp_path))[0].module == "app"
    write(tmp_path, "wsgi.py", WSGI_APP)
    assert find_app(None, str(tmp_path))[0].module == "wsgi"


@pytest.mark.parametrize(
    ("files", "spec", "message"),
    [
        ({}, None, "no app given"),
        ({}, "nowhere_mod", "could not import 'nowhere_mod'"),
        ({"needs_dep.py": "import not_installed_dep\n"}, "needs_dep", "not_installed_dep"),
        ({"boom.py": "1 / 0\n"}, "boom", "ZeroDivisionError"),
        ({"noattr.py": WSGI_APP}, "noattr:missing", "no attribute 'missing'"),
        ({"noapp.py": "x = 1\n"}, "noapp", "no 'app' or 'application'"),
        ({"notcall.py": "app = 1\n"}, "notcall:app", "not a WSGI or ASGI application"),
        ({"badfact.py": "def create_app(x):\n    return x\n"}, "badfact", "create_app"),
        ({"raisefact.py": "def create_app():\n    raise KeyError('k')\n"}, "raisefact", "KeyError"),
        ({"nonlit.py": WSGI_APP}, "nonlit:app(x)", "literals"),
        ({"attrexpr.py": WSGI_APP}, "attrexpr:app.wsgi", "not an attribute name"),
        ({"syntax.py": WSGI_APP}, "syntax:app(", "not an attribute name"),
        ({"starstar.py": WSGI_APP}, "starstar:app(**{})", "not allowed"),
    ],
)
def test_app_not_found_errors(
    tmp_path: Path, files: dict[str, str], spec: str | None, message: str
) -> None:
    for name, source in files.items():
        write(tmp_path, name, source)
    with pytest.raises(CLIError, match=message):
        find_app(spec, str(tmp_path))


def test_main_reports_missing_app_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--app", "does_not_exist_mod"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: could not import") and "does_not_exist_mod" in err
    assert "Traceback" not in err
