"""A small app organised in blueprints, as Flask apps usually are.

Two blueprints: ``blog`` (HTML-ish pages, with its own hooks and 404 page)
and ``api`` (JSON, versioned by a nested ``v1`` blueprint with a URL value
preprocessor and a class-based view). Run it on either protocol::

    erlen run --app examples.blueprints_app:app     # uvicorn (ASGI)
    gunicorn examples.blueprints_app:app            # WSGI
"""

from __future__ import annotations

from erlen import Flask, Response, g, request
from examples.blueprints_app.api import api
from examples.blueprints_app.blog import blog

app = Flask(__name__)
app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 60


@app.before_request
def start_trace() -> None:
    g.trace = ["app"]


@app.after_request
def show_trace(response: Response) -> Response:
    response.headers["X-Trace"] = " > ".join(g.get("trace", []))
    response.headers["X-Blueprints"] = ",".join(request.blueprints) or "-"
    return response


@app.get("/")
def index() -> dict[str, str]:
    return {"blog": "/blog/", "api": "/api/v1/items"}


app.register_blueprint(blog, url_prefix="/blog")
app.register_blueprint(api)
# The same blueprint a second time, under another name and prefix.
app.register_blueprint(blog, name="archive", url_prefix="/archive")
