"""The template half of the app: the Jinja environment and its registration methods.

:class:`TemplatesMixin` gives :class:`erlen.Erlen` Flask's template API
(``jinja_env``, ``context_processor``, ``template_filter``, ...). This module
imports nothing outside the standard library: Jinja2 (through
:mod:`erlen.templating`) is imported only when ``app.jinja_env`` is first made,
so an app that renders no template pays nothing for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from erlen.ctx import _cv_context, g, request

if TYPE_CHECKING:
    from erlen.config import Config
    from erlen.json import JSONProvider
    from erlen.templating import DispatchingJinjaLoader, Environment

F = TypeVar("F", bound=Callable[..., Any])
ContextProcessor = Callable[[], dict[str, Any]]

#: Template names (by their ending) rendered with autoescaping on.
AUTOESCAPED_SUFFIXES = (".html", ".htm", ".xml", ".xhtml", ".svg")


def default_template_context() -> dict[str, Any]:
    """The first context processor: the current ``g`` and request as plain objects.

    The environment's globals hold the proxies too (for imported templates);
    these bound objects are quicker to read in the rendered template.
    """
    context = _cv_context.get(None)
    if context is None:
        return {}
    values: dict[str, Any] = {"g": context.g}
    made = context.request
    if made is not None:
        values["request"] = made
    return values


class _DefaultEnvironmentClass:
    """``jinja_environment`` of the base app: erlen's Environment, imported on first read.

    A subclass that sets ``jinja_environment = MyEnvironment`` simply replaces it.
    """

    def __get__(self, instance: object, owner: type | None = None) -> type[Environment]:
        from erlen.templating import Environment

        return Environment


def _optional_template_globals() -> dict[str, Any]:
    """``session`` and ``get_flashed_messages``, when this erlen has them."""
    values: dict[str, Any] = {}
    try:
        from erlen import session
    except ImportError:
        pass
    else:
        values["session"] = session
    try:
        from erlen import get_flashed_messages
    except ImportError:
        pass
    else:
        values["get_flashed_messages"] = get_flashed_messages
    return values


class TemplatesMixin:
    """Flask's template API on the app; everything is made on first use."""

    if TYPE_CHECKING:
        config: Config
        root_path: str
        template_folder: str | os.PathLike[str] | None
        json: JSONProvider
        debug: bool

        def url_for(self, endpoint: str, **values: Any) -> str: ...

        def ensure_sync(self, function: Callable[..., Any]) -> Callable[..., Any]: ...

        #: Context processors by blueprint name (``None``: the app's), from the scaffold.
        template_context_processors: dict[str | None, list[ContextProcessor]]

    #: Keyword arguments for the Jinja environment (read once, when it is made).
    jinja_options: dict[str, Any] = {}
    #: The environment class :meth:`create_jinja_environment` instantiates.
    jinja_environment: Any = _DefaultEnvironmentClass()

    # The environment is made on first use and kept in a plain attribute, as
    # Flask's cached property is (assignable, deletable), but
    # without functools.cached_property: it writes through the instance's
    # ``__dict__``, and on CPython 3.11 reading that dict turns the app's
    # attribute storage into a real dict (every attribute read in a request
    # then costs more).
    _jinja_env: Environment | None = None

    @property
    def jinja_env(self) -> Environment:
        """The Jinja environment, made on first use from :attr:`jinja_options`."""
        environment = self._jinja_env
        if environment is None:
            environment = self._jinja_env = self.create_jinja_environment()
        return environment

    @jinja_env.setter
    def jinja_env(self, environment: Environment) -> None:
        self._jinja_env = environment

    @jinja_env.deleter
    def jinja_env(self) -> None:
        self._jinja_env = None

    def create_jinja_environment(self) -> Environment:
        """Make the Jinja environment: options, autoescaping, reloading and erlen's globals."""
        options = dict(self.jinja_options)
        options.setdefault("autoescape", self.select_jinja_autoescape)
        if "auto_reload" not in options:
            auto_reload = self.config.get("TEMPLATES_AUTO_RELOAD")
            options["auto_reload"] = self.debug if auto_reload is None else auto_reload
        environment: Environment = self.jinja_environment(self, **options)
        # request and g come from the default context processor as plain
        # objects; the proxies are here for templates imported without context.
        environment.globals.update(url_for=self.url_for, config=self.config, request=request, g=g)
        environment.globals.update(_optional_template_globals())
        # Jinja's ``tojson`` filter encodes with the app's provider, then makes
        # the text safe inside HTML (<, >, & and ' as \\u escapes), as Flask's does.
        environment.policies["json.dumps_function"] = self.json.dumps
        return environment

    def create_global_jinja_loader(self) -> DispatchingJinjaLoader:
        """The loader of the environment: the app's folder, then each blueprint's."""
        from erlen.templating import DispatchingJinjaLoader

        return DispatchingJinjaLoader(self)

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Whether a template is autoescaped: strings and .html/.htm/.xml/.xhtml/.svg files."""
        if filename is None:
            return True
        return filename.endswith(AUTOESCAPED_SUFFIXES)

    def _debug_changed(self, value: bool) -> None:
        # Debug switches template reloading too, unless the config decides it;
        # an environment not made yet reads the flag when it is made.
        environment = self._jinja_env
        if environment is not None and self.config.get("TEMPLATES_AUTO_RELOAD") is None:
            environment.auto_reload = value

    # -- context ----------------------------------------------------------------------

    def update_template_context(self, context: dict[str, Any]) -> None:
        """Add the context processors' values to ``context``; its own values win."""
        processors = self.template_context_processors
        names: Iterable[str | None] = (None,)
        if len(processors) > 1:
            current = _cv_context.get(None)
            made = None if current is None else current.request
            if made is not None:
                # Blueprint processors, outermost blueprint first (the
                # request's own blueprint last, so its values win).
                names = (None, *reversed(getattr(made, "blueprints", ())))
        given = dict(context)
        ensure_sync = self.ensure_sync
        for name in names:
            functions = processors.get(name)
            if functions:
                for function in functions:
                    context.update(ensure_sync(function)())
        context.update(given)

    # -- filters, tests, globals ------------------------------------------------------

    def template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator registering a Jinja filter (named after the function by default)."""

        def decorator(function: F) -> F:
            self.add_template_filter(function, name=name)
            return function

        return decorator

    def add_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register ``f`` as a Jinja filter."""
        self.jinja_env.filters[name or f.__name__] = f

    def template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator registering a Jinja test (named after the function by default)."""

        def decorator(function: F) -> F:
            self.add_template_test(function, name=name)
            return function

        return decorator

    def add_template_test(self, f: Callable[..., bool], name: str | None = None) -> None:
        """Register ``f`` as a Jinja test."""
        self.jinja_env.tests[name or f.__name__] = f

    def template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator registering a Jinja global (named after the function by default)."""

        def decorator(function: F) -> F:
            self.add_template_global(function, name=name)
            return function

        return decorator

    def add_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register ``f`` as a Jinja global."""
        self.jinja_env.globals[name or f.__name__] = f
