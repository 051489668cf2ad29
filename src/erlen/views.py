"""Class-based views: :class:`View` and :class:`MethodView`, as in ``flask.views``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

__all__ = ["MethodView", "View", "http_method_funcs"]

#: The HTTP methods a :class:`MethodView` may define handlers for.
http_method_funcs = frozenset(["get", "post", "head", "options", "delete", "put", "trace", "patch"])


def _current_app() -> Any:
    from erlen.ctx import current_context

    return current_context().app


class View:
    """A view as a class: subclass it, implement :meth:`dispatch_request`, and
    register ``MyView.as_view("name")``."""

    #: The methods the view's rule allows (default: the app's, GET).
    methods: ClassVar[Any] = None
    #: Whether OPTIONS is answered automatically (default: the app's setting).
    provide_automatic_options: ClassVar[bool | None] = None
    #: Decorators applied, in order, to the function ``as_view`` returns.
    decorators: ClassVar[list[Callable[..., Any]]] = []
    #: Make one instance per request (True) or one for all requests (False).
    init_every_request: ClassVar[bool] = True

    def dispatch_request(self, **kwargs: Any) -> Any:
        """The view's body: called with the URL's variables; returns a response value."""
        raise NotImplementedError()

    @classmethod
    def as_view(cls, name: str, *class_args: Any, **class_kwargs: Any) -> Callable[..., Any]:
        """A view function named ``name`` for ``add_url_rule`` (arguments go to ``__init__``)."""
        if cls.init_every_request:

            def view(**kwargs: Any) -> Any:
                instance = view.view_class(*class_args, **class_kwargs)  # type: ignore[attr-defined]
                return _current_app().ensure_sync(instance.dispatch_request)(**kwargs)

        else:
            shared = cls(*class_args, **class_kwargs)

            def view(**kwargs: Any) -> Any:
                return _current_app().ensure_sync(shared.dispatch_request)(**kwargs)

        if cls.decorators:
            view.__name__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                view = decorator(view)
        # Read by add_url_rule and by tools that look for the class behind a view.
        view.view_class = cls  # type: ignore[attr-defined]
        view.__name__ = name
        view.__doc__ = cls.__doc__
        view.__module__ = cls.__module__
        view.methods = cls.methods  # type: ignore[attr-defined]
        view.provide_automatic_options = cls.provide_automatic_options  # type: ignore[attr-defined]
        return view


class MethodView(View):
    """A view that calls the method named after the request's HTTP method
    (``get``, ``post``, ...); ``methods`` is filled in from those it defines."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" not in cls.__dict__:
            methods: set[str] = set()
            for base in cls.__bases__:
                if getattr(base, "methods", None):
                    methods.update(base.methods)  # type: ignore[attr-defined]
            for name in http_method_funcs:
                if hasattr(cls, name):
                    methods.add(name.upper())
            if methods:
                cls.methods = methods

    def dispatch_request(self, **kwargs: Any) -> Any:
        """Call the handler for the request's method (``get`` also answers HEAD)."""
        from erlen.ctx import current_context

        request = current_context().request
        assert request is not None
        handler = getattr(self, request.method.lower(), None)
        if handler is None and request.method == "HEAD":
            handler = getattr(self, "get", None)
        assert handler is not None, f"Unimplemented method {request.method!r}"
        return _current_app().ensure_sync(handler)(**kwargs)
