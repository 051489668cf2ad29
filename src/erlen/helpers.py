"""View helpers: ``redirect``, ``abort``, ``url_for``, ``flash`` and ``get_flashed_messages``."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote

from erlen.ctx import _cv_context, current_app_or_none, current_context, session
from erlen.exceptions import abort as _abort
from erlen.redirects import redirect_response

if TYPE_CHECKING:
    from erlen.app import Erlen
    from erlen.response import Response

__all__ = ["abort", "flash", "get_flashed_messages", "redirect", "url_for"]

_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


def abort(code: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
    """Raise the HTTPException for ``code`` (through the app's ``aborter`` inside an app).

    Extra arguments go to the exception (``abort(404, 'No such user')``); a
    Response is raised wrapped; an unknown code raises ``LookupError``.
    """
    app = current_app_or_none()
    if app is not None:
        app.aborter(code, *args, **kwargs)
    _abort(code, *args, **kwargs)


def redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:
    """A response that redirects the client to ``location`` (301, 302, 303, 307 or 308).

    Inside an app (and without ``Response``) this is ``app.redirect(location, code)``.

    The body is a short HTML page with the escaped target, as Flask sends it.
    Backslashes and control characters in ``location`` are percent-encoded so
    they can neither split the header nor be read as ``/`` by a browser.
    A ``javascript:``, ``vbscript:`` or ``data:`` target (in any case, with
    any leading whitespace) is refused with ``LocationValueError``: the page
    would hold a clickable script link.
    """
    if Response is None:
        app = current_app_or_none()
        if app is not None:
            return app.redirect(location, code)
        from erlen.response import Response as DefaultResponse

        Response = DefaultResponse
    return redirect_response(location, code, Response)


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: Any,
) -> str:
    """The URL of ``endpoint``; unknown ``values`` become the query string.

    Inside a request the URL is relative unless ``_external`` or ``_scheme`` is
    given; outside one it is external and needs the ``SERVER_NAME`` config.
    """
    app = current_context().app
    return build_url(app, endpoint, _anchor, _method, _scheme, _external, values)


def build_url(
    app: Erlen,
    endpoint: str,
    anchor: str | None,
    method: str | None,
    scheme: str | None,
    external: bool | None,
    values: dict[str, Any],
) -> str:
    """Shared implementation of ``url_for`` and ``app.url_for``."""
    context = _cv_context.get(None)
    request = context.request if context is not None and context.app is app else None
    url_map = app.url_map
    # The adapter's view of the world, as Werkzeug binds it: the server name
    # and the current subdomain (or host) a built rule is compared with.
    if request is not None:
        if endpoint[:1] == ".":
            blueprint = request.blueprint
            endpoint = f"{blueprint}{endpoint}" if blueprint is not None else endpoint[1:]
        if external is None:
            external = scheme is not None
        host = request.host
        root = request.root_path
        default_scheme = request.scheme
        current_domain = ""
        if url_map._routes_on_host:
            current_domain = app._domain_of(request)
            server_name = app.config["SERVER_NAME"]
            if server_name and not url_map.host_matching:
                host = server_name
    else:
        server_name = app.config["SERVER_NAME"]
        if server_name is None:
            raise RuntimeError(
                "Unable to build URLs outside an active request without 'SERVER_NAME'"
                " configured. Also configure 'APPLICATION_ROOT' and"
                " 'PREFERRED_URL_SCHEME' as needed."
            )
        if external is None:
            external = True
        host = server_name
        root = (app.config["APPLICATION_ROOT"] or "/").rstrip("/")
        default_scheme = app.config["PREFERRED_URL_SCHEME"]
        current_domain = server_name if url_map.host_matching else url_map.default_subdomain
    if scheme is not None and not external:
        raise ValueError("When specifying '_scheme', '_external' must be True.")

    app.inject_url_defaults(endpoint, values)
    from erlen.routing import BuildError

    try:
        domain, path = url_map.build_with_domain(endpoint, values, method=method)
    except BuildError as error:
        values.update(_anchor=anchor, _method=method, _scheme=scheme, _external=external)
        return app.handle_url_build_error(error, endpoint, values)
    if url_map._routes_on_host:
        if domain != current_domain:
            external = True  # a rule on another subdomain or host is linked in full
        if url_map.host_matching:
            host = domain or host
        elif domain:
            host = f"{domain}.{host}"
    url = f"{root.rstrip('/')}{path}"
    if external:
        url = f"{scheme or default_scheme}://{host}{url}"
    if anchor is not None:
        url = f"{url}#{quote(anchor, safe=_ANCHOR_SAFE)}"
    return url


# -- message flashing ---------------------------------------------------------------


def flash(message: str, category: str = "message") -> None:
    """Keep ``message`` in the session until a later request reads it with
    :func:`get_flashed_messages`; ``category`` is any label ("error", "info")."""
    # Read, append and store back: assigning marks the session modified.
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    app = current_context().app
    # The message_flashed signal, sent only once erlen.signals was imported
    # (no receiver can be connected before): apps without signals pay nothing.
    signals = sys.modules.get("erlen.signals")
    signal = getattr(signals, "message_flashed", None)
    if signal is not None:
        signal.send(app, _async_wrapper=app.ensure_sync, message=message, category=category)


def get_flashed_messages(
    with_categories: bool = False, category_filter: Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """The flashed messages, taken out of the session on the first call of a
    request (later calls in the same request return them again).

    ``with_categories`` gives ``(category, message)`` pairs; ``category_filter``
    keeps only the listed categories.
    """
    context = current_context()
    flashes: list[tuple[str, str]] | None = getattr(context, "_flashes", None)
    if flashes is None:
        flashes = session.pop("_flashes") if "_flashes" in session else []
        context._flashes = flashes
    if category_filter:
        wanted = set(category_filter) if not isinstance(category_filter, str) else category_filter
        flashes = [item for item in flashes if item[0] in wanted]
    if with_categories:
        return flashes
    return [item[1] for item in flashes]
