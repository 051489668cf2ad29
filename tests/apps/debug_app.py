"""An app whose view fails, for the debug-page browser test."""

from __future__ import annotations

from erlen import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "ok"


@app.get("/boom")
def boom() -> str:
    ledger = {"balance": 0}
    return str(100 / ledger["balance"])  # the failing line the page must show
