"""What the app and blueprints share: the registration API and their files.

:class:`Scaffold` holds routes, hooks, error handlers and URL processors in
dicts keyed by blueprint name (``None`` for the app), as Flask does, so a
blueprint's registrations can be merged into the app under its dotted name.
The module-level helpers order those registrations for one request.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import IO, TYPE_CHECKING, Any, TypeVar

from erlen.exceptions import exception_class_and_code, handler_mro

if TYPE_CHECKING:
    from erlen.response import Response

F = TypeVar("F", bound=Callable[..., Any])
ErrorHandler = Callable[[Any], Any]
HookKey = str | None
HandlerMap = dict[int | None, dict[type[BaseException], ErrorHandler]]


def _find_root_path(import_name: str) -> str:
    """The folder of the module or package ``import_name`` (the cwd when unknown)."""
    module = sys.modules.get(import_name)
    filename: str | None = getattr(module, "__file__", None)
    if filename is None and module is None:
        try:
            spec = importlib.util.find_spec(import_name)
        except (ImportError, ValueError):
            spec = None
        filename = None if spec is None else spec.origin
        if filename in ("namespace", "built-in", "frozen"):
            filename = None
    if filename:
        return os.path.dirname(os.path.abspath(filename))
    return os.getcwd()


def _endpoint_from_view_func(view_func: Callable[..., Any] | None) -> str:
    if view_func is None:
        raise TypeError("add_url_rule() needs an endpoint name or a view function.")
    return view_func.__name__


def setupmethod(function: F) -> F:
    """Mark a registration method: it refuses to run once setup is over."""

    def checked(self: Scaffold, *args: Any, **kwargs: Any) -> Any:
        self._check_setup_finished(function.__name__)
        return function(self, *args, **kwargs)

    checked.__name__ = function.__name__
    checked.__qualname__ = function.__qualname__
    checked.__doc__ = function.__doc__
    checked.__wrapped__ = function  # type: ignore[attr-defined]
    return checked  # type: ignore[return-value]


#: An attribute made on first use that is not made yet.
_UNSET: Any = object()


class Scaffold:
    """The registration API shared by :class:`~erlen.app.Erlen` and
    :class:`~erlen.blueprints.Blueprint`."""

    _static_folder: str | None = None
    _static_url_path: str | None = None

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        self.root_path = root_path or _find_root_path(import_name)
        self.view_functions: dict[str, Callable[..., Any]] = {}
        self.error_handler_spec: dict[HookKey, HandlerMap] = {None: {}}
        self.before_request_funcs: dict[HookKey, list[Callable[[], Any]]] = {}
        self.after_request_funcs: dict[HookKey, list[Callable[[Any], Any]]] = {}
        self.teardown_request_funcs: dict[HookKey, list[Callable[[BaseException | None], Any]]] = {}
        self.template_context_processors: dict[HookKey, list[Callable[[], dict[str, Any]]]] = {}
        self.url_value_preprocessors: dict[
            HookKey, list[Callable[[str | None, dict[str, Any] | None], None]]
        ] = {}
        self.url_default_functions: dict[HookKey, list[Callable[[str, dict[str, Any]], None]]] = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'name', self.import_name)!r}>"

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    # -- files ------------------------------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the static folder, or ``None``."""
        if self._static_folder is None:
            return None
        return os.path.join(self.root_path, self._static_folder)

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip("/\\")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        """Whether a static folder is set (it is served at ``static_url_path``)."""
        return self.static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """The URL prefix of the static route (by default the folder's name)."""
        if self._static_url_path is not None:
            return self._static_url_path
        folder = self.static_folder
        if folder is not None:
            return f"/{os.path.basename(folder)}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        self._static_url_path = None if value is None else value.rstrip("/")

    # A plain attribute, not ``self.__dict__``: see Erlen._cli for why.
    _jinja_loader: Any = _UNSET

    @property
    def jinja_loader(self) -> Any:
        """A Jinja ``FileSystemLoader`` for ``template_folder`` (made once), or ``None``."""
        loader = self._jinja_loader
        if loader is _UNSET:
            if self.template_folder is None:
                loader = None
            else:
                from jinja2 import FileSystemLoader

                loader = FileSystemLoader(os.path.join(self.root_path, self.template_folder))
            self._jinja_loader = loader
        return loader

    @jinja_loader.setter
    def jinja_loader(self, loader: Any) -> None:
        # Flask's is a cached property: an app or blueprint may set its own loader.
        self._jinja_loader = loader

    @jinja_loader.deleter
    def jinja_loader(self) -> None:
        self._jinja_loader = _UNSET

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """``max_age`` for static files: ``SEND_FILE_MAX_AGE_DEFAULT`` (seconds) or None."""
        from erlen.ctx import current_context

        value = current_context().app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return int(value)

    def send_static_file(self, filename: str) -> Response:
        """Serve ``filename`` from ``static_folder`` (404 when missing or outside it)."""
        from erlen.ctx import current_context
        from erlen.files import send_from_directory

        folder = self.static_folder
        if folder is None:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        max_age = current_context().app.ensure_sync(self.get_send_file_max_age)(filename)
        return send_from_directory(folder, filename, max_age=max_age)

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> IO[Any]:
        """Open ``resource`` (relative to ``root_path``) for reading."""
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    # -- routes -----------------------------------------------------------------------

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Register a URL rule (see ``flask.Flask.add_url_rule``)."""
        raise NotImplementedError

    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Decorator registering a view for ``rule`` (``methods``, ``endpoint``, ...)."""

        def decorator(function: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, function, **options)
            return function

        return decorator

    def _method_route(self, method: str, rule: str, options: dict[str, Any]) -> Callable[[F], F]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    def patch(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    def delete(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    @setupmethod
    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Decorator attaching a view function to an endpoint registered elsewhere."""

        def decorator(function: F) -> F:
            self.view_functions[endpoint] = function
            return function

        return decorator

    # -- hooks ------------------------------------------------------------------------

    @setupmethod
    def before_request(self, function: F) -> F:
        """Register a function run before each request; a non-None return is the response."""
        self.before_request_funcs.setdefault(None, []).append(function)
        return function

    @setupmethod
    def after_request(self, function: F) -> F:
        """Register a function that receives and returns each response (last added runs first)."""
        self.after_request_funcs.setdefault(None, []).append(function)
        return function

    @setupmethod
    def teardown_request(self, function: F) -> F:
        """Register a function run when the request ends, given the unhandled error or None."""
        self.teardown_request_funcs.setdefault(None, []).append(function)
        return function

    @setupmethod
    def context_processor(self, function: F) -> F:
        """Register a function whose returned dict is added to every template's context."""
        self.template_context_processors.setdefault(None, []).append(function)
        return function

    @setupmethod
    def url_value_preprocessor(self, function: F) -> F:
        """Register ``function(endpoint, view_args)``, run before the before-request hooks."""
        self.url_value_preprocessors.setdefault(None, []).append(function)
        return function

    @setupmethod
    def url_defaults(self, function: F) -> F:
        """Register ``function(endpoint, values)`` that may fill in ``url_for`` values."""
        self.url_default_functions.setdefault(None, []).append(function)
        return function

    # -- errors -----------------------------------------------------------------------

    @setupmethod
    def errorhandler(self, code_or_exception: type[BaseException] | int) -> Callable[[F], F]:
        """Decorator registering a handler for an HTTP status code or an exception class."""

        def decorator(function: F) -> F:
            self.register_error_handler(code_or_exception, function)
            return function

        return decorator

    @setupmethod
    def register_error_handler(
        self, code_or_exception: type[BaseException] | int, function: ErrorHandler
    ) -> None:
        """Register ``function`` for a status code or exception class (see :meth:`errorhandler`)."""
        exception_class, code = self._exception_class_and_code(code_or_exception)
        handlers = self.error_handler_spec.setdefault(None, {}).setdefault(code, {})
        handlers[exception_class] = function

    _exception_class_and_code = staticmethod(exception_class_and_code)
    _get_exc_class_and_code = _exception_class_and_code


# -- ordering registrations for one request ----------------------------------------------


def app_then_blueprints(registry: Mapping[HookKey, list[Any]], blueprints: list[str]) -> list[Any]:
    """Functions to call in order: the app's, then each blueprint's, outermost first.

    Flask's order for ``url_value_preprocessor`` and ``before_request``.
    """
    functions: list[Any] = list(registry.get(None, ()))
    for name in reversed(blueprints):
        functions.extend(registry.get(name, ()))
    return functions


def blueprints_then_app(
    registry: Mapping[HookKey, list[Any]], blueprints: Iterable[str]
) -> list[Any]:
    """Functions to call in order: innermost blueprint first, the app last, each
    group last-registered first. Flask's order for ``after_request`` and teardown."""
    functions: list[Any] = []
    for name in (*blueprints, None):
        registered = registry.get(name)
        if registered:
            functions.extend(reversed(registered))
    return functions


def find_error_handler(
    spec: Mapping[HookKey, HandlerMap],
    exception_class: type[BaseException],
    code: int | None,
    blueprints: list[str],
) -> ErrorHandler | None:
    """The handler for an error: by code, then by class; blueprints innermost
    first, then the app."""
    names = (*blueprints, None)
    for key in (code, None) if code is not None else (None,):
        for name in names:
            by_code = spec.get(name)
            if not by_code:
                continue
            handlers = by_code.get(key)
            if not handlers:
                continue
            for klass in handler_mro(exception_class):
                handler = handlers.get(klass)
                if handler is not None:
                    return handler
    return None


# -- the instance folder ---------------------------------------------------------------


def _package_folder(import_name: str) -> str:
    """The folder holding the top-level module or package of ``import_name``."""
    top_name = import_name.partition(".")[0]
    try:
        spec = importlib.util.find_spec(top_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return os.getcwd()
    locations = list(spec.submodule_search_locations or ())
    if not locations:
        # A plain module: its own folder.
        return os.path.dirname(os.path.abspath(spec.origin or ""))
    if spec.origin not in (None, "namespace"):
        # A regular package: the folder around the package's folder.
        return os.path.dirname(os.path.dirname(os.path.abspath(spec.origin)))
    # A namespace package: the location that holds the wanted subpackage.
    chosen = locations[0]
    try:
        sub_spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        sub_spec = None
    if sub_spec is not None and sub_spec.submodule_search_locations:
        common = os.path.commonpath(list(sub_spec.submodule_search_locations))
        for location in locations:
            if common == location or common.startswith(location.rstrip(os.sep) + os.sep):
                chosen = location
                break
    return os.path.dirname(chosen)


def _instance_path_for(import_name: str, root_path: str, name: str) -> str:
    """Flask's default instance folder for an app called ``import_name``."""
    folder = _package_folder(import_name)
    prefix = os.path.abspath(sys.prefix)
    installed_under: str | None = None
    if folder == prefix or folder.startswith(prefix.rstrip(os.sep) + os.sep):
        installed_under = prefix
    else:
        site_parent, site_folder = os.path.split(folder)
        if site_folder.lower() == "site-packages":
            parent, lib = os.path.split(site_parent)
            if lib.lower() == "lib":
                installed_under = parent
            elif os.path.basename(parent).lower() == "lib":
                installed_under = os.path.dirname(parent)
            else:
                installed_under = site_parent
    if installed_under is None:
        return os.path.join(folder, "instance")
    return os.path.join(installed_under, "var", f"{name}-instance")
