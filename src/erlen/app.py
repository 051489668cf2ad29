"""The application: configuration, registration, dispatch, hooks and errors.

The app turns a :class:`~erlen.wrappers.Request` into a
:class:`~erlen.response.Response`; the protocol adapters (``wsgi.py``,
``asgi.py``) feed it and send the result. ``Erlen`` is also exported as
``Flask`` so that Flask code runs with only its import changed.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import timedelta
from typing import IO, TYPE_CHECKING, Any, TypeVar

from erlen import _signal_gate, asgi as _asgi
from erlen.app_templates import TemplatesMixin, default_template_context
from erlen.config import Config
from erlen.ctx import Context, _ContextManager, _cv_context, current_app, g
from erlen.dispatch import Pipeline, release_request
from erlen.exceptions import Aborter, HTTPException, RequestRedirect
from erlen.http.forwarded import apply_proxy_fix
from erlen.json import DefaultJSONProvider, JSONProvider
from erlen.response import Response
from erlen.routing import BuildError, Map, Rule
from erlen.scaffold import Scaffold, _instance_path_for, app_then_blueprints, setupmethod
from erlen.sessions import SecureCookieSessionInterface, SessionInterface
from erlen.wrappers import Request, _request_line, _split_blueprint_path, refuse_untrusted_host
from erlen.wsgi import respond as _wsgi_respond

if TYPE_CHECKING:
    from erlen.blueprints import Blueprint
    from erlen.cli import AppGroup
    from erlen.testing import ErlenClient

F = TypeVar("F", bound=Callable[..., Any])


_RESPONSE_CALL = Response.__call__


def _make_wsgi_request(app: Erlen, method: str, path: str, environ: Any, body: Any) -> Request:
    """The request of a WSGI context routed without it (see Erlen._route_deferred)."""
    return app.request_class(environ)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in {"1", "true", "yes", "on"}


def _server_name(host: str, scheme: str) -> str:
    """``host`` lower-cased, without the scheme's default port."""
    host = host.lower()
    default_port = {"http": ":80", "https": ":443", "ws": ":80", "wss": ":443"}.get(scheme)
    if default_port and host.endswith(default_port):
        host = host[: -len(default_port)]
    return host


def _subdomain_of(host: str, server_name: str) -> str:
    """The labels of ``host`` before ``server_name``; '<invalid>' when it is elsewhere."""
    labels = host.split(".")
    server_labels = server_name.split(".")
    if labels[-len(server_labels) :] != server_labels:
        return "<invalid>"
    return ".".join(label for label in labels[: -len(server_labels)] if label)


class Erlen(Scaffold, TemplatesMixin, Pipeline):
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

    def _make_context(self, environ: dict[str, Any]) -> Context:
        proxy_fix = (self._plan or self._make_plan()).proxy_fix
        if proxy_fix is not None:
            apply_proxy_fix(environ, proxy_fix)
        # ``request.json_module`` is left to its default, ``erlen.json``, whose
        # functions use this app's provider (``app.json``) inside the request.
        has_path = bool(environ.get("PATH_INFO"))
        query_string = environ.get("QUERY_STRING", "")
        request_class = self.request_class
        if request_class._plain_init:
            # PERF: routed from the method and path; the Request is made when
            # something reads it (many views never do).
            method, path = _request_line(environ)
            return self._route_deferred(
                _make_wsgi_request, method, path, environ, None, has_path, query_string
            )
        return self._route(request_class(environ), has_path, query_string)

    def _match(
        self, path: str, method: str, query_string: str, request: Request | None = None
    ) -> tuple[Rule, dict[str, Any]]:
        url_map = self.url_map
        if request is not None and url_map._routes_on_host:
            return url_map.match(path, method, query_string, domain=self._domain_of(request))
        # PERF: the path and method are canonical already; a Map subclass
        # with its own match() still gets every call.
        if type(url_map) is Map:
            return url_map._match_canonical(path, method, query_string)
        return url_map.match(path, method, query_string)

    def _route(self, request: Request, has_path: bool, query_string: str) -> Context:
        """Match ``request`` (its routing attributes are set) and make its context."""
        trusted_hosts = self.config.get("TRUSTED_HOSTS")
        if (trusted_hosts is not None or request.trusted_hosts) and refuse_untrusted_host(
            request, trusted_hosts
        ):
            return Context(self, request)
        try:
            # The path and method Request.__init__ read from the environ (as
            # Flask routes on the environ, not on a subclass's properties).
            request.url_rule, request.view_args = self._match(
                request._path, request._method, query_string, request
            )
        except HTTPException as error:
            self._store_routing_error(request, error)
        if not has_path:
            self._redirect_to_slash(request, query_string)
        return Context(self, request)

    def _route_deferred(
        self,
        make: Callable[..., Request],
        method: str,
        path: str,
        source: Any,
        body: Any,
        has_path: bool,
        query_string: str,
    ) -> Context:
        """Like :meth:`_route` for a request not made yet: ``make(self, method, path,
        source, body)`` makes it, on first use when routing succeeds, at once if not."""
        plan = self._plan
        if plan is None or plan.route_with_request:
            # Routing on the subdomain or host, and trusted hosts, need the
            # request's Host header: no deferring.
            return self._route(make(self, method, path, source, body), has_path, query_string)
        try:
            rule, view_args = self._match(path, method, query_string)
        except HTTPException as error:
            request = make(self, method, path, source, body)
            self._store_routing_error(request, error)
        else:
            if has_path:
                context = Context(self)
                context.pending_request = (make, rule, view_args, method, path, source, body)
                return context
            request = make(self, method, path, source, body)
            request.url_rule, request.view_args = rule, view_args
        if not has_path:
            self._redirect_to_slash(request, query_string)
        return Context(self, request)

    def _store_routing_error(self, request: Request, error: HTTPException) -> None:
        if isinstance(error, RequestRedirect):
            error.new_url = self._absolute_redirect(request, error.new_url)
        # The stored error is raised again at dispatch, with a new traceback;
        # dropping this one breaks a frame/request reference cycle.
        error.__traceback__ = None
        request.routing_exception = error

    def _redirect_to_slash(self, request: Request, query_string: str) -> None:
        # As Werkzeug: an empty path (a mount point without its slash) is
        # redirected to the slash.
        target = self._absolute_redirect(
            request, "/" + (f"?{query_string}" if query_string else "")
        )
        request.url_rule = None
        request.routing_exception = RequestRedirect(target)

    def _domain_of(self, request: Request) -> str:
        """What the request's rules are matched on: its host (``host_matching``),
        else its subdomain under ``SERVER_NAME`` ('' unless ``subdomain_matching``)."""
        url_map = self.url_map
        host = _server_name(request.host, request.scheme)
        if url_map.host_matching:
            return host
        if not self.subdomain_matching:
            return url_map.default_subdomain or ""
        server_name = self.config["SERVER_NAME"]
        server_name = host if not server_name else _server_name(server_name, request.scheme)
        return _subdomain_of(host, server_name)

    @staticmethod
    def _absolute_redirect(request: Request, new_url: str) -> str:
        # ``redirect_to`` may already name a full URL; a path is made absolute.
        if "://" in new_url.split("?", 1)[0]:
            return new_url
        return f"{request.scheme}://{request.host}{request.root_path}{new_url}"

    # -- dispatch -------------------------------------------------------------------

    def wsgi_app(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """The WSGI application; ``app(environ, start_response)`` calls this."""
        # Registrations are over: the setup methods refuse from now on (as Flask's do).
        self._got_first_request = True
        context = self._make_context(environ)
        context.depth = 1
        token = _cv_context.set(context)
        error: BaseException | None = None
        plan = self._plan
        assert plan is not None  # made by _make_context
        if _signal_gate.active is not None:
            _signal_gate.active.send_appcontext_pushed(self)
        try:
            # PERF: _serve_sync's choice, read here to save its frame.
            if plan.flat:
                response, error = self._dispatch_flat(context)
            else:
                response, error = self._serve_sync(context)
            try:
                if type(response).__call__ is _RESPONSE_CALL:
                    return _wsgi_respond(response, environ, start_response)
                return response(environ, start_response)
            except Exception as exception:
                # The headers could not be built (a bad Location, say): release
                # the body and answer 500 instead of leaving the server half-told.
                response.close()
                error = exception
                return self.handle_exception(exception)(environ, start_response)
        except BaseException as exception:
            error = error or exception
            raise
        finally:
            preserve = environ.get("werkzeug.debug.preserve_context")
            if preserve is not None:
                # ``with client:`` keeps the request's context after it ends.
                preserve(_ContextManager(self, context))
            context.depth -= 1
            if context.depth == 0:
                if plan.teardown:
                    self._teardown(context, error)
                elif context._request is not None:
                    release_request(context)  # PERF: _teardown's first case, inline
            _cv_context.reset(token)

    def asgi_app(self, scope: Any, receive: Any, send: Any) -> Awaitable[None]:
        """The ASGI 3 application; ``await app(scope, receive, send)`` calls this."""
        # PERF: an http scope goes straight to its handler's coroutine.
        if scope.get("type") == "http":
            return _asgi._serve_http(self, scope, receive, send)
        return _asgi.asgi_app(self, scope, receive, send)

    def __call__(
        self, environ_or_scope: Any, start_response_or_receive: Any, send: Any = None
    ) -> Any:
        """WSGI with two arguments, ASGI 3 (returning a coroutine) with three."""
        if send is None:
            return self.wsgi_app(environ_or_scope, start_response_or_receive)
        return self.asgi_app(environ_or_scope, start_response_or_receive, send)

    def _wsgi_app_replaced(self) -> bool:
        """Whether ``wsgi_app`` is not this class's own (WSGI middleware wraps it)."""
        return "wsgi_app" in self.__dict__ or type(self).wsgi_app is not Erlen.wsgi_app

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

    @property
    def cli(self) -> AppGroup:
        """The app's click command group: ``@app.cli.command()`` adds ``erlen`` commands."""
        group: AppGroup | None = self.__dict__.get("_cli")
        if group is None:
            from erlen.cli import AppGroup

            group = self.__dict__["_cli"] = AppGroup(self.name)
        return group

    @cli.setter
    def cli(self, group: AppGroup) -> None:
        self.__dict__["_cli"] = group

    def test_cli_runner(self, **kwargs: Any) -> Any:
        """A click ``CliRunner`` whose ``invoke()`` runs this app's commands."""
        from erlen.testing import _make_cli_runner_class

        runner_class: Any = self.test_cli_runner_class or _make_cli_runner_class()
        return runner_class(self, **kwargs)

    @property
    def shell_context_processors(self) -> list[Callable[[], dict[str, Any]]]:
        """Functions whose returned names ``erlen shell`` puts in its namespace."""
        processors: list[Callable[[], dict[str, Any]]] | None = self.__dict__.get(
            "_shell_context_processors"
        )
        if processors is None:
            processors = self.__dict__["_shell_context_processors"] = []
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


# ASGI servers (uvicorn, hypercorn) tell ASGI 3 apps by a coroutine-function
# ``__call__``; mark ours so ``uvicorn module:app`` works, while WSGI servers
# simply call it with two arguments.
if hasattr(inspect, "markcoroutinefunction"):
    inspect.markcoroutinefunction(Erlen.__call__)
    inspect.markcoroutinefunction(Erlen.asgi_app)
_coroutine_marker = getattr(asyncio.coroutines, "_is_coroutine", None)
if _coroutine_marker is not None:
    Erlen.__call__._is_coroutine = _coroutine_marker  # type: ignore[attr-defined]
    Erlen.asgi_app._is_coroutine = _coroutine_marker  # type: ignore[attr-defined]

#: Flask's name for the application class, so Flask code runs unchanged.
Flask = Erlen


def make_response(*args: Any) -> Response:
    """Make a response from view-style return values, in the current app."""
    if not args:
        return current_app.response_class()
    if len(args) == 1:
        return current_app.make_response(args[0])
    return current_app.make_response(args)
