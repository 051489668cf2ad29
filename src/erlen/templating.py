"""Jinja2 templates as Flask renders them: ``render_template`` and friends.

Named like ``flask.templating``. Importing this module imports Jinja2; the app
imports it only when its environment is first made (see
:mod:`erlen.app_templates`). The template signals are sent only once a
receiver is connected to an erlen signal (see :mod:`erlen.signals`), so apps
without receivers never import blinker for rendering.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from jinja2 import BaseLoader, Environment as BaseEnvironment, Template, TemplateNotFound

from erlen import _signal_gate
from erlen.ctx import _cv_context, current_context, stream_with_context

if TYPE_CHECKING:
    from erlen.app import Erlen

__all__ = [
    "DispatchingJinjaLoader",
    "Environment",
    "Template",
    "TemplateNotFound",
    "get_template_attribute",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
]

SourceTriple = tuple[str, "str | None", "Callable[[], bool] | None"]


class Environment(BaseEnvironment):
    """A Jinja environment that knows its app (``env.app``) and loads through it."""

    def __init__(self, app: Any, **options: Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app


def _iter_blueprints(app: Any) -> Iterator[Any]:
    # Blueprints are optional: an app class without them has only its own folder.
    iter_blueprints = getattr(app, "iter_blueprints", None)
    if iter_blueprints is None:
        return iter(())
    return iter(iter_blueprints())


def _describe_loader(loader: BaseLoader) -> list[str]:
    searchpath = getattr(loader, "searchpath", None)
    if searchpath is not None:
        return [f"searching in {path!r}" for path in searchpath]
    return [f"using {loader!r}"]


def _describe_owner(owner: Any, app: Any) -> str:
    if owner is app:
        return f"the application {getattr(owner, 'import_name', owner)!r}"
    return f"the blueprint {getattr(owner, 'name', owner)!r}"


class DispatchingJinjaLoader(BaseLoader):
    """Finds a template in the app's folder, then in each blueprint's, in registration order."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def _loaders(self) -> Iterator[tuple[Any, BaseLoader]]:
        """``(owner, loader)`` for the app and every blueprint that has templates."""
        app = self.app
        loader = app.jinja_loader
        if loader is not None:
            yield app, loader
        for blueprint in _iter_blueprints(app):
            loader = blueprint.jinja_loader
            if loader is not None:
                yield blueprint, loader

    def get_source(self, environment: BaseEnvironment, template: str) -> SourceTriple:
        """The source of ``template`` from the first loader that has it."""
        config = self.app.config
        if config.get("EXPLAIN_TEMPLATE_LOADING"):
            return self._get_source_explained(environment, template)
        for _owner, loader in self._loaders():
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise self._not_found(template)

    def _get_source_explained(self, environment: BaseEnvironment, template: str) -> SourceTriple:
        # Every loader is asked (not only up to the first match), so the log
        # shows a template that one folder shadows in another.
        lines = [f"Locating template {template!r}:"]
        found: SourceTriple | None = None
        matches = 0
        for number, (owner, loader) in enumerate(self._loaders(), 1):
            lines.append(f"{number:5}: trying the loader of {_describe_owner(owner, self.app)}")
            lines.extend(f"       {line}" for line in _describe_loader(loader))
            try:
                source = loader.get_source(environment, template)
            except TemplateNotFound:
                lines.append("       -> not there")
                continue
            matches += 1
            lines.append(f"       -> found ({source[1] or '<string>'!r})")
            if found is None:
                found = source
        if matches == 0:
            lines.append("Error: no loader has this template.")
        elif matches > 1:
            lines.append("Warning: several loaders have this template; the first one is used.")
        self.app.logger.info("\n".join(lines))
        if found is None:
            raise self._not_found(template)
        return found

    def _not_found(self, template: str) -> TemplateNotFound:
        if not self.app.debug:
            return TemplateNotFound(template)
        # In debug mode the message says where erlen looked (the name stays
        # ``error.name``); outside debug it is the bare name, as in Flask.
        places = [line for _owner, loader in self._loaders() for line in _describe_loader(loader)]
        where = "; ".join(places) if places else "no template folder is configured"
        return TemplateNotFound(template, f"{template!r} was not found ({where})")

    def list_templates(self) -> list[str]:
        """Every template name any loader knows (each name once)."""
        names: set[str] = set()
        for _owner, loader in self._loaders():
            names.update(loader.list_templates())
        return list(names)


def _send(signal_name: str, app: Any, template: Template, context: dict[str, Any]) -> None:
    signals = _signal_gate.active
    if signals is not None:
        signals.send_template_signal(signal_name, app, template, context)


def _render(app: Erlen, template: Template, context: dict[str, Any]) -> str:
    app.update_template_context(context)
    _send("before_render_template", app, template, context)
    rendered = template.render(context)
    _send("template_rendered", app, template, context)
    return rendered


def _current_app() -> Erlen:
    return current_context().app


def render_template(
    template_name_or_list: str | Template | list[str | Template], **context: Any
) -> str:
    """Render the named template (the first that exists, given a list) with ``context``."""
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: Any) -> str:
    """Render a template given as source text (autoescaped) with ``context``."""
    app = _current_app()
    template = app.jinja_env.from_string(source)
    return _render(app, template, context)


def _stream(app: Erlen, template: Template, context: dict[str, Any]) -> Iterator[str]:
    app.update_template_context(context)
    _send("before_render_template", app, template, context)

    def generate() -> Iterator[str]:
        yield from template.generate(context)
        _send("template_rendered", app, template, context)

    stream = generate()
    current = _cv_context.get(None)
    if current is not None and current.request is not None:
        # The request stays active (request, g, url_for work) until the body ends.
        return stream_with_context(stream)  # type: ignore[no-any-return]
    return stream


def stream_template(
    template_name_or_list: str | Template | list[str | Template], **context: Any
) -> Iterator[str]:
    """Render the named template piece by piece: an iterator of strings for a response body."""
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: Any) -> Iterator[str]:
    """Render template source piece by piece: an iterator of strings for a response body."""
    app = _current_app()
    template = app.jinja_env.from_string(source)
    return _stream(app, template, context)


def get_template_attribute(template_name: str, attribute: str) -> Any:
    """A macro or variable a template defines, to call from Python."""
    return getattr(_current_app().jinja_env.get_template(template_name).module, attribute)
