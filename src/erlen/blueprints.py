"""Blueprints: groups of routes, hooks and handlers registered on an app later.

A :class:`Blueprint` records what is registered on it; ``app.register_blueprint``
replays those records against the app through a :class:`BlueprintSetupState`,
prefixing URLs with ``url_prefix`` and endpoints with the blueprint's dotted
name, as Flask does.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from erlen.scaffold import Scaffold, _endpoint_from_view_func, setupmethod

if TYPE_CHECKING:
    from erlen.app import Erlen

F = TypeVar("F", bound=Callable[..., Any])
DeferredSetupFunction = Callable[["BlueprintSetupState"], None]

__all__ = ["Blueprint", "BlueprintSetupState"]


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Any = _Unset()


class BlueprintSetupState:
    """One registration of a blueprint on an app: what its recorded functions receive."""

    def __init__(
        self,
        blueprint: Blueprint,
        app: Erlen,
        options: dict[str, Any],
        first_registration: bool,
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        #: Whether this blueprint was not registered on the app before.
        self.first_registration = first_registration
        subdomain = options.get("subdomain")
        self.subdomain: str | None = blueprint.subdomain if subdomain is None else subdomain
        url_prefix = options.get("url_prefix")
        self.url_prefix: str | None = blueprint.url_prefix if url_prefix is None else url_prefix
        self.name: str = options.get("name", blueprint.name)
        self.name_prefix: str = options.get("name_prefix", "")
        self.url_defaults: dict[str, Any] = dict(blueprint.url_values_defaults)
        self.url_defaults.update(options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        **options: Any,
    ) -> None:
        """Register a rule on the app, under the URL prefix and the dotted endpoint name."""
        if self.url_prefix is not None:
            if rule:
                rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
            else:
                rule = self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))
        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults,
            **options,
        )


class Blueprint(Scaffold):
    """Routes, hooks and handlers to register on an app, as ``flask.Blueprint``."""

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _UNSET,
    ) -> None:
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError(f"'name' may not contain a dot '.' character: {name!r}")
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults: dict[str, Any] = {} if url_defaults is None else url_defaults
        self.cli_group = cli_group
        self._blueprints: list[tuple[Blueprint, dict[str, Any]]] = []

    @property
    def cli(self) -> Any:
        """The blueprint's click group (made on first use)."""
        group = self.__dict__.get("_cli")
        if group is None:
            import click

            group = self.__dict__["_cli"] = click.Group()
        return group

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the blueprint"
                f" '{self.name}'. It has already been registered at least once, any"
                " changes will not be applied consistently.\nMake sure all imports,"
                " decorators, functions, etc. needed to set up the blueprint are done"
                " before registering it."
            )

    # -- recording ------------------------------------------------------------------

    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` each time the blueprint is registered on an app."""
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetupFunction) -> None:
        """Like :meth:`record`, but only on the blueprint's first registration on an app."""

        def once(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        once.__name__ = getattr(func, "__name__", "once")
        self.record(once)

    def make_setup_state(
        self, app: Erlen, options: dict[str, Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """The state passed to recorded functions (override to use a subclass)."""
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Nest ``blueprint`` in this one; its endpoints become ``parent.child.name``."""
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def register(self, app: Erlen, options: dict[str, Any]) -> None:
        """Replay this blueprint's records on ``app`` (``app.register_blueprint`` calls this)."""
        name_prefix = options.get("name_prefix", "")
        own_name = options.get("name", self.name)
        if "." in own_name:
            raise ValueError(f"'name' may not contain a dot '.' character: {own_name!r}")
        name = f"{name_prefix}.{own_name}".lstrip(".")
        if name in app.blueprints:
            which = "this" if app.blueprints[name] is self else "a different"
            where = f" '{name}'" if own_name != name else ""
            raise ValueError(
                f"The name '{own_name}' is already registered for {which}"
                f" blueprint{where}. Use 'name=' to provide a unique name."
            )
        first_registration = not any(bp is self for bp in app.blueprints.values())
        first_name_registration = name not in app.blueprints
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_registration)
        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
            )
        if first_registration or first_name_registration:
            self._merge_into(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        self._register_cli(app, name, options)
        for child, child_options in self._blueprints:
            child_options = dict(child_options)
            self._nest_options(state, child, child_options)
            child_options["name_prefix"] = name
            child.register(app, child_options)

    @staticmethod
    def _nest_options(
        state: BlueprintSetupState, child: Blueprint, options: dict[str, Any]
    ) -> None:
        # A child's subdomain goes before the parent's; its URL prefix after.
        subdomain = options.get("subdomain")
        if subdomain is None:
            subdomain = child.subdomain
        if state.subdomain is not None and subdomain is not None:
            options["subdomain"] = f"{subdomain}.{state.subdomain}"
        elif subdomain is not None:
            options["subdomain"] = subdomain
        elif state.subdomain is not None:
            options["subdomain"] = state.subdomain
        url_prefix = options.get("url_prefix")
        if url_prefix is None:
            url_prefix = child.url_prefix
        if state.url_prefix is not None and url_prefix is not None:
            options["url_prefix"] = state.url_prefix.rstrip("/") + "/" + url_prefix.lstrip("/")
        elif url_prefix is not None:
            options["url_prefix"] = url_prefix
        elif state.url_prefix is not None:
            options["url_prefix"] = state.url_prefix

    def _register_cli(self, app: Erlen, name: str, options: dict[str, Any]) -> None:
        group = self.__dict__.get("_cli")
        if group is None or not group.commands:
            return
        app_cli = getattr(app, "cli", None)
        if app_cli is None:
            return
        cli_group = options.get("cli_group", self.cli_group)
        if cli_group is None:
            app_cli.commands.update(group.commands)
        else:
            group.name = name if cli_group is _UNSET else cli_group
            app_cli.add_command(group)

    def _merge_into(self, app: Erlen, name: str) -> None:
        """Copy this blueprint's hooks and handlers into the app's dicts under ``name``."""

        def key_for(key: str | None) -> str:
            return name if key is None else f"{name}.{key}"

        for key, by_code in self.error_handler_spec.items():
            if by_code:
                app.error_handler_spec[key_for(key)] = {
                    code: dict(handlers) for code, handlers in by_code.items()
                }
        for endpoint, function in self.view_functions.items():
            app.view_functions[endpoint] = function
        for own, target in (
            (self.before_request_funcs, app.before_request_funcs),
            (self.after_request_funcs, app.after_request_funcs),
            (self.teardown_request_funcs, app.teardown_request_funcs),
            (self.url_default_functions, app.url_default_functions),
            (self.url_value_preprocessors, app.url_value_preprocessors),
            (self.template_context_processors, app.template_context_processors),
        ):
            for key, functions in own.items():
                if functions:
                    target.setdefault(key_for(key), []).extend(functions)  # type: ignore[arg-type]

    # -- routes ---------------------------------------------------------------------

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Record a rule; at registration it gets the URL prefix and the dotted endpoint."""
        if endpoint and "." in endpoint:
            raise ValueError(f"'endpoint' may not contain a dot '.' character: {endpoint!r}")
        if view_func is not None and "." in getattr(view_func, "__name__", ""):
            raise ValueError(
                f"'view_func' name may not contain a dot '.' character: {view_func.__name__!r}"
            )
        self.record(
            lambda state: state.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    # -- app-wide registrations -----------------------------------------------------

    @setupmethod
    def app_template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator: a template filter for the whole app."""

        def decorator(f: F) -> F:
            self.add_app_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register a template filter for the whole app when the blueprint is registered."""
        self.record_once(lambda state: state.app.add_template_filter(f, name=name))

    @setupmethod
    def app_template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator: a template test for the whole app."""

        def decorator(f: F) -> F:
            self.add_app_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_test(self, f: Callable[..., bool], name: str | None = None) -> None:
        """Register a template test for the whole app when the blueprint is registered."""
        self.record_once(lambda state: state.app.add_template_test(f, name=name))

    @setupmethod
    def app_template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator: a template global for the whole app."""

        def decorator(f: F) -> F:
            self.add_app_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register a template global for the whole app when the blueprint is registered."""
        self.record_once(lambda state: state.app.add_template_global(f, name=name))

    @setupmethod
    def before_app_request(self, f: F) -> F:
        """Like :meth:`before_request`, for every request of the app."""
        self.record_once(
            lambda state: state.app.before_request_funcs.setdefault(None, []).append(f)
        )
        return f

    @setupmethod
    def after_app_request(self, f: F) -> F:
        """Like :meth:`after_request`, for every request of the app."""
        self.record_once(lambda state: state.app.after_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def teardown_app_request(self, f: F) -> F:
        """Like :meth:`teardown_request`, for every request of the app."""
        self.record_once(
            lambda state: state.app.teardown_request_funcs.setdefault(None, []).append(f)
        )
        return f

    @setupmethod
    def app_context_processor(self, f: F) -> F:
        """Like :meth:`context_processor`, for templates rendered by any view."""
        self.record_once(
            lambda state: state.app.template_context_processors.setdefault(None, []).append(f)
        )
        return f

    @setupmethod
    def app_errorhandler(self, code: type[BaseException] | int) -> Callable[[F], F]:
        """Like :meth:`errorhandler`, for errors of any request of the app."""

        def decorator(f: F) -> F:
            self.record_once(lambda state: state.app.register_error_handler(code, f))
            return f

        return decorator

    @setupmethod
    def app_url_value_preprocessor(self, f: F) -> F:
        """Like :meth:`url_value_preprocessor`, for every request of the app."""
        self.record_once(
            lambda state: state.app.url_value_preprocessors.setdefault(None, []).append(f)
        )
        return f

    @setupmethod
    def app_url_defaults(self, f: F) -> F:
        """Like :meth:`url_defaults`, for every endpoint of the app."""
        self.record_once(
            lambda state: state.app.url_default_functions.setdefault(None, []).append(f)
        )
        return f
