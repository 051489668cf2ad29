"""The template test app's source, written against erlen; the tests also run it as Flask."""

from __future__ import annotations

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "templates"

SOURCE = """
from markupsafe import Markup

from erlen import (
    Flask, g, get_template_attribute, render_template, render_template_string,
    request, stream_template, stream_template_string,
)

app = Flask(__name__, template_folder=__TEMPLATES__)
app.config["TESTING"] = True


@app.template_filter()
def shout(value):
    return str(value).upper() + "!"


@app.template_filter("rev")
def reverse(value):
    return value[::-1]


@app.template_global()
def site_name():
    return "Site"


@app.template_test()
def even(number):
    return number % 2 == 0


def bracket(value):
    return "[" + value + "]"


app.add_template_filter(bracket)


@app.context_processor
def inject():
    return {"version": "1.0", "who": "the processor"}


@app.before_request
def remember_user():
    g.user = "ada"


class HTMLThing:
    def __html__(self):
        return "<u>markup of its own</u>"


@app.get("/page")
def page():
    items = request.args.getlist("item") or ["a", "<b>", "c & d"]
    return render_template("page.html", items=items, who=request.args.get("who", "viewer"))


@app.get("/empty")
def empty():
    return render_template(["missing.html", "page.html"], items=[], who="nobody")


@app.get("/plain")
def plain():
    return render_template("plain.txt", value="<b>&</b>")


@app.get("/feed")
def feed():
    return render_template("feed.xml", title="<fish> & chips")


@app.get("/icon")
def icon():
    return render_template("icon.svg", label="<tspan>")


@app.get("/script")
def script():
    data = {
        "html": "</script><script>alert('x')</script>",
        "amp": "a&b",
        "list": [1, 2.5, None, True, "\\u2028"],
        "nested": {"z": 1, "a": "quote\\"d"},
    }
    return render_template("script.html", data=data)


@app.get("/escapes")
def escapes():
    return render_template(
        "escapes.html",
        attr='" onmouseover="alert(1)',
        text="<script>alert('x')</script>",
        marked=Markup("<em>trusted</em>"),
        html_object=HTMLThing(),
        raw="<i>raw</i>",
    )


@app.get("/string")
def string():
    return render_template_string(
        "{{ value }}|{{ value|safe }}|{{ marked }}|{{ version }}|{{ request.method }}",
        value="<i>{{ 7 * 7 }}</i>",
        marked=Markup("<em>ok</em>"),
    )


@app.get("/override")
def override():
    # Values given to render_template win over the context processor's.
    return render_template_string("{{ version }} {{ who }}", version="given")


@app.get("/macro")
def macro():
    hello = get_template_attribute("macros.html", "hello")
    return hello("World <3")


@app.get("/stream")
def stream():
    return stream_template("page.html", items=["x", "y"], who="streamer")


@app.get("/stream-string")
def stream_string():
    return stream_template_string(
        "{% for i in range(3) %}{{ i }}:{{ request.path }}:{{ g.user }}\\n{% endfor %}"
    )


@app.get("/async")
async def async_page():
    return render_template("page.html", items=["async"], who="coroutine")
""".replace("__TEMPLATES__", repr(str(TEMPLATES)))
