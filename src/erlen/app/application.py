"""The application: configuration, registration, dispatch, hooks and errors.

The app turns a :class:`~erlen.wrappers.Request` into a
:class:`~erlen.response.Response`; the protocol adapters (``wsgi.py``,
``asgi/``) feed it and send the result. ``Erlen`` is also exported as
``Flask`` so that Flask code runs with only its import changed.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import IO, TYPE_CHECKING, Any, TypeVar

from erlen.app.entry_points import EntryPoints
from erlen.app.request_routing import RequestRouting
from erlen.app_templates import TemplatesMixin, default_template_context
from erlen.config import Config
from erlen.ctx import Context, _ContextManager, current_app, g
from erlen.dispatch import Pipeline
from erlen.exceptions import Aborter
from erlen.json import DefaultJSONProvider, JSONProvider
from erlen.response import Response
from erlen.routing import BuildError, Map, Rule
from erlen.scaffold import Scaffold, _instance_path_for, app_then_blueprints, setupmethod
from erlen.sessions import SecureCookieSessionInterface, SessionInterface
from erlen.wrappers import Request, _split_blueprint_path

if TYPE_CHECKING:
    from erlen.blueprints import Blueprint
    from erlen.cli import AppGroup
    from erlen.testing import ErlenClient

F = TypeVar("F", bound=Callable[..., Any])


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in {"1", "true", "yes", "on"}


class Erlen(EntryPoints, RequestRouting, Scaffold, TemplatesMixin, Pipeline):
    """A Flask-compatible application: a WSGI app, with the same routing,
    hooks, error handlers and return-value rules as ``flask.Flask``."""

    #: Class used for responses made from view return values.
    response_class: type[Response] = Response
    #: Class used to wrap each incoming request.
    request_class: type[Request] = Request
    #: JSON provider class; an instance is stored on ``app.json``.
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    #: Test client class used by :meth:`test_client` (``None``: erlen's own).
    test_client_class: type[ErlenClient] | None = None
    #: Rule class used by :meth:`add_url_rule`.
    url_rule_class: type[Rule] = Rule
    #: Map class holding the URL rules.
    url_map_class: type[Map] = Map
    config_class: type[Config] = Config
    #: Class of :attr:`aborter`, made by :meth:`make_aborter`.
    aborter_class: type[Aborter] = Aborter
    #: Opens and saves sessions (signed cookies, as Flask's); replace it to store them elsewhere.
    session_interface: SessionInterface = SecureCookieSessionInterface()

    default_config: dict[str, Any] = {
        "DEBUG": None,
        "TESTING": False,
        "PROPAGATE_EXCEPTIONS": None,
        "SECRET_KEY": None,
        "SECRET_KEY_FALLBACKS": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
        "TRUSTED_HOSTS": None,
        "PROXY_FIX": None,
        "SERVER_NAME": None,
        "APPLICATION_ROOT": "/",
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_PARTITIONED": False,
        "SESSION_COOKIE_SAMESITE": None,
        "SESSION_REFRESH_EACH_REQUEST": True,
        "PREFERRED_URL_SCHEME": "http",
        "MAX_CONTENT_LENGTH": None,
        "MAX_FORM_MEMORY_SIZE": 500_000,
        "MAX_FORM_PARTS": 1_000,
        "SEND_FILE_MAX_AGE_DEFAULT": None,
        "TRAP_BAD_REQUEST_ERRORS": None,
        "TRAP_HTTP_EXCEPTIONS": False,
        "MAX_COOKIE_SIZE": 4093,
        "PROVIDE_AUTOMATIC_OPTIONS": True,
        "TEMPLATES_AUTO_RELOAD": None,
        "EXPLAIN_TEMPLATE_LOADING": False,
    }

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        if instance_path is None:
            instance_path = None  # found below, once root_path is known
        elif not os.path.isabs(instance_path):
            raise ValueError(
                "If an instance path is provided it must be absolute."
                " A relative path was given instead."
            )
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        # The app's own context processor gives every template request, g and
        # (when sessions are in use) session, as Flask's does.
        self.template_context_processors[None] = [default_template_context]
        self.instance_path = instance_path or self.auto_find_instance_path()
        self.config = self.config_class(
            self.instance_path if instance_relative_config else self.root_path,
            self.default_config,
        )
        self.config["DEBUG"] = _env_flag("ERLEN_DEBUG") or _env_flag("FLASK_DEBUG")
        self.json: JSONProvider = self.json_provider_class(self)
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self.teardown_appcontext_funcs: list[Callable[[BaseException | None], Any]] = []
        self.before_serving_funcs: list[Callable[[], Any]] = []
        self.after_serving_funcs: list[Callable[[], Any]] = []
        self.extensions: dict[str, Any] = {}
        #: What :func:`erlen.abort` calls inside this app: code -> exception.
        self.aborter = self.make_aborter()
        #: Registered blueprints by their dotted name.
        self.blueprints: dict[str, Blueprint] = {}
        #: Called as ``handler(error, endpoint, values)`` when ``url_for`` cannot build.
        self.url_build_error_handlers: list[Callable[[Exception, str, dict[str, Any]], str]] = []
        self._got_first_request = False
        # endpoint -> (view, callable that runs it synchronously); rebuilt when
        # ``view_functions`` is changed, so the coroutine check is not per request.
        self._sync_views: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {}
        if self.has_static_folder:
            if bool(static_host) != host_matching:
                raise AssertionError(
                    "Invalid static_host/host_matching combination: static_host"
                    f" {static_host!r} needs host_matching=True, and host_matching"
                    " needs a static_host when there is a static folder."
                )
            # Like Flask: files under static_folder at static_url_path, endpoint 'static'.
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=self.send_static_file,
            )
        self._logger: logging.Logger | None = None

    def auto_find_instance_path(self) -> str:
        """``instance`` next to the app's module or package, or
        ``<prefix>/var/<name>-instance`` for an installed package."""
        return _instance_path_for(self.import_name, self.root_path, self.name)

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> IO[Any]:
        """Open ``resource`` relative to :attr:`instance_path` (may write, unlike open_resource)."""
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    # -- properties -----------------------------------------------------------------

    @property
    def name(self) -> str:
        """The app's name: the import name, or the script's name when run as ``__main__``."""
        if self.import_name == "__main__":
            filename: str | None = getattr(sys.modules["__main__"], "__file__", None)
            if filename is None:
                return "__main__"
            return os.path.splitext(os.path.basename(filename))[0]
        return self.import_name

    @property
    def debug(self) -> bool:
        """Debug mode (``DEBUG`` config): errors propagate and JSON is pretty-printed."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        self._debug_changed(value)

    @property
    def testing(self) -> bool:
        """Testing mode (``TESTING`` config): exceptions propagate to the test client."""
        return bool(self.config["TESTING"])

    @testing.setter
    def testing(self, value: bool) -> None:
        self.config["TESTING"] = value

    @property
    def secret_key(self) -> str | bytes | None:
        """The key that signs session cookies (``SECRET_KEY`` config)."""
        key: str | bytes | None = self.config["SECRET_KEY"]
        return key

    @secret_key.setter
    def secret_key(self, value: str | bytes | None) -> None:
        self.config["SECRET_KEY"] = value

    @property
    def permanent_session_lifetime(self) -> timedelta:
        """How long a permanent session lasts (``PERMANENT_SESSION_LIFETIME``; seconds allowed)."""
        value = self.config["PERMANENT_SESSION_LIFETIME"]
        if isinstance(value, timedelta):
            return value
        return timedelta(seconds=value)

    @permanent_session_lifetime.setter
    def permanent_session_lifetime(self, value: timedelta | int) -> None:
        self.config["PERMANENT_SESSION_LIFETIME"] = value

    @property
    def logger(self) -> logging.Logger:
        """The app's logger, named after the app; unhandled errors are logged here."""
        if self._logger is None:
            logger = logging.getLogger(self.name)
            if self.debug and not logger.level:
                logger.setLevel(logging.DEBUG)
            if not logger.handlers and not logging.getLogger().handlers:
                handler = logging.StreamHandler(sys.stderr)
                handler.setFormatter(
                    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
                )
                logger.addHandler(handler)
            self._logger = logger
        return self._logger

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    # -- registration ---------------------------------------------------------------

    def _check_setup_finished(self, f_name: str) -> None:
        # A registration may change what requests need (see _make_plan).
        self._reset_plan()
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the application."
                " It has already handled its first request, any changes will not be"
                " applied consistently.\nMake sure all imports, decorators, functions,"
                " etc. needed to set up the application are done before running it."
            )

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Register a URL rule, like ``flask.Flask.add_url_rule``."""
        if endpoint is None:
            if view_func is None:
                raise TypeError("add_url_rule() needs an endpoint name or a view function.")
            endpoint = view_func.__name__
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for example:"
                ' @app.route(..., methods=["POST"])'
            )
        method_set = {item.upper() for item in methods}
        required_methods = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            if "OPTIONS" not in method_set and self.config["PROVIDE_AUTOMATIC_OPTIONS"]:
                provide_automatic_options = True
                required_methods.add("OPTIONS")
            else:
                provide_automatic_options = False
        method_set |= required_methods

        rule_object = self.url_rule_class(rule, methods=method_set, **options)
        rule_object.provide_automatic_options = provide_automatic_options
        if view_func is not None:
            existing = self.view_functions.get(endpoint)
            if existing is not None and existing != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing endpoint"
                    f" function: {endpoint}"
                )
        self.url_map.add(rule_object)
        if view_func is not None:
            self.view_functions[endpoint] = view_func

    @setupmethod
    def teardown_appcontext(self, function: F) -> F:
        """Register a function run when the app context ends."""
        self.teardown_appcontext_funcs.append(function)
        return function

    def before_serving(self, function: F) -> F:
        """Register a function run once at server start-up (ASGI lifespan startup)."""
        self.before_serving_funcs.append(function)
        return function

    def after_serving(self, function: F) -> F:
        """Register a function run once at server shutdown (ASGI lifespan shutdown)."""
        self.after_serving_funcs.append(function)
        return function

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Register ``blueprint``'s routes, hooks and handlers on the app.

        ``options`` (``url_prefix``, ``subdomain``, ``url_defaults``, ``name``)
        override the blueprint's own for this registration.
        """
        blueprint.register(self, options)

    def iter_blueprints(self) -> Iterator[Blueprint]:
        """The registered blueprints, in registration order."""
        return iter(self.blueprints.values())

    # -- contexts -------------------------------------------------------------------

    def app_context(self) -> _ContextManager:
        """A context in which ``current_app`` and ``g`` refer to this app."""
        return _ContextManager(self, Context(self))

    def request_context(self, environ: dict[str, Any]) -> _ContextManager:
        """A request context for ``environ`` (what a server hands the WSGI app)."""
        return _ContextManager(self, self._make_context(environ))

    def test_request_context(self, *args: Any, **kwargs: Any) -> _ContextManager:
        """A request context built from test-client style arguments."""
        from erlen.testing import build_environ

        return self.request_context(build_environ(*args, app=self, **kwargs))

    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> ErlenClient:
        """A client that sends requests through this app's WSGI entry point."""
        from erlen.testing import ErlenClient

        client_class = self.test_client_class or ErlenClient
        return client_class(self, self.response_class, use_cookies=use_cookies, **kwargs)

    # -- URL building -------------------------------------------------------------

    def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
        """Let the ``url_defaults`` functions of the app and of the endpoint's
        blueprints (outermost first) fill in ``values`` for ``url_for``."""
        registry = self.url_default_functions
        if not registry:
            return
        blueprints: list[str] = []
        if "." in endpoint:
            blueprints = _split_blueprint_path(endpoint.rpartition(".")[0])
        for function in app_then_blueprints(registry, blueprints):
            function(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, Any]
    ) -> str:
        """Ask each ``url_build_error_handlers`` entry for a URL; re-raise if none gives one."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as new_error:
                error = new_error
            else:
                if rv is not None:
                    return rv
        if error is sys.exc_info()[1]:
            raise
        raise error

    # -- URLs and running -------------------------------------------------------------

    def make_aborter(self) -> Aborter:
        """Make the :attr:`aborter` (an instance of :attr:`aborter_class`)."""
        return self.aborter_class()

    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect response of this app's response class (what :func:`erlen.redirect` calls)."""
        from erlen.redirects import redirect_response

        return redirect_response(location, code, self.response_class)

    def url_for(
        self,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        """Build the URL of ``endpoint``; see :func:`erlen.helpers.url_for`."""
        from erlen.helpers import build_url

        return build_url(self, endpoint, _anchor, _method, _scheme, _external, values)

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: Any,
    ) -> None:
        """Serve the app on the server ``erlen run`` picks (granian by default), for development.

        Does nothing (with a warning) while the ``erlen`` command runs, so an
        unguarded ``app.run()`` cannot block it. Options: ``use_reloader``,
        ``ssl_context=(cert, key)``, ``server``, ``interface``, ``workers``, ``threads``.
        """
        from erlen.cli import run_app

        run_app(self, host, port, debug, load_dotenv, **options)

    # -- command line (erlen.cli; click is imported only here) ------------------------

    #: Class of :meth:`test_cli_runner` (``None``: ``erlen.testing.ErlenCliRunner``).
    test_cli_runner_class: type[Any] | None = None

    # Made on first use. Plain attributes, never ``self.__dict__``: on CPython
    # 3.11, reading an instance's ``__dict__`` turns its attribute storage into
    # a real dict, and every attribute read of the app in a request gets slower.
    _cli: AppGroup | None = None
    _shell_context_processors: list[Callable[[], dict[str, Any]]] | None = None

    @property
    def cli(self) -> AppGroup:
        """The app's click command group: ``@app.cli.command()`` adds ``erlen`` commands."""
        group = self._cli
        if group is None:
            from erlen.cli import AppGroup

            group = self._cli = AppGroup(self.name)
        return group

    @cli.setter
    def cli(self, group: AppGroup) -> None:
        self._cli = group

    def test_cli_runner(self, **kwargs: Any) -> Any:
        """A click ``CliRunner`` whose ``invoke()`` runs this app's commands."""
        from erlen.testing import _make_cli_runner_class

        runner_class: Any = self.test_cli_runner_class or _make_cli_runner_class()
        return runner_class(self, **kwargs)

    @property
    def shell_context_processors(self) -> list[Callable[[], dict[str, Any]]]:
        """Functions whose returned names ``erlen shell`` puts in its namespace."""
        processors = self._shell_context_processors
        if processors is None:
            processors = self._shell_context_processors = []
        return processors

    def shell_context_processor(self, f: F) -> F:
        """Register a function returning names for ``erlen shell``."""
        self.shell_context_processors.append(f)
        return f

    def make_shell_context(self) -> dict[str, Any]:
        """The names ``erlen shell`` starts with: ``app``, ``g`` and the processors' values."""
        namespace: dict[str, Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            namespace.update(processor())
        return namespace


#: Flask's name for the application class, so Flask code runs unchanged.
Flask = Erlen


def make_response(*args: Any) -> Response:
    """Make a response from view-style return values, in the current app."""
    if not args:
        return current_app.response_class()
    if len(args) == 1:
        return current_app.make_response(args[0])
    return current_app.make_response(args)
