"""Routing a request to its rule: the context made from an environ or from an adapter's
parts, matching on the path and method (and the host or subdomain when the map asks),
redirects to a slash, the request made only when something reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from erlen.ctx import Context
from erlen.exceptions import HTTPException, RequestRedirect
from erlen.http.forwarded import apply_proxy_fix
from erlen.routing import Map, Rule
from erlen.wrappers import Request, _request_line, refuse_untrusted_host

if TYPE_CHECKING:
    from erlen.app.application import Erlen
    from erlen.config import Config
    from erlen.dispatch import DispatchPlan


def _make_wsgi_request(app: Erlen, method: str, path: str, environ: Any, body: Any) -> Request:
    """The request of a WSGI context routed without it (see Erlen._route_deferred)."""
    return app.request_class(environ)


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


class RequestRouting:
    """The app's side of routing, mixed into :class:`~erlen.app.Erlen`.

    The app provides the settings read here (``config``, ``url_map``, the
    request class, the dispatch plan); contexts are made for the app itself.
    """

    if TYPE_CHECKING:
        config: Config
        url_map: Map
        request_class: type[Request]
        subdomain_matching: bool
        _plan: DispatchPlan | None

        def _make_plan(self) -> DispatchPlan: ...

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
            return Context(self, request)  # type: ignore[arg-type]  # self is the app
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
        return Context(self, request)  # type: ignore[arg-type]  # self is the app

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
            url_map = self.url_map
            # PERF: _match's case for a request not made yet, inline.
            if type(url_map) is Map:
                rule, view_args = url_map._match_canonical(path, method, query_string)
            else:
                rule, view_args = url_map.match(path, method, query_string)
        except HTTPException as error:
            request = make(self, method, path, source, body)
            self._store_routing_error(request, error)
        else:
            if has_path:
                context = Context(self)  # type: ignore[arg-type]  # self is the app
                context.pending_request = (make, rule, view_args, method, path, source, body)
                return context
            request = make(self, method, path, source, body)
            request.url_rule, request.view_args = rule, view_args
        if not has_path:
            self._redirect_to_slash(request, query_string)
        return Context(self, request)  # type: ignore[arg-type]  # self is the app

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
