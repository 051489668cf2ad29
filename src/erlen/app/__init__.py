"""The application (``erlen.app.Erlen``, also ``Flask``), composed from its parts.

- :mod:`~erlen.app.application`: the ``Erlen`` class: configuration, registration,
  contexts, URL building, the command line, ``make_response``;
- :mod:`~erlen.app.request_routing`: a request routed to its rule and its context made;
- :mod:`~erlen.app.entry_points`: ``wsgi_app``, ``asgi_app`` and ``__call__``, which
  hand requests to the protocol adapters.
"""

from __future__ import annotations

from erlen.app.application import Erlen, Flask, make_response

__all__ = ["Erlen", "Flask", "make_response"]
