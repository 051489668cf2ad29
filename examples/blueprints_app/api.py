"""The ``api`` blueprint with a nested, versioned ``v1`` blueprint."""

from __future__ import annotations

from typing import Any

from erlen import Blueprint, abort, g, request, url_for
from erlen.views import MethodView

api = Blueprint("api", __name__, url_prefix="/api")
v1 = Blueprint("v1", __name__, url_prefix="/v1")

ITEMS: dict[int, dict[str, Any]] = {1: {"id": 1, "name": "kettle"}}


@api.before_request
def note_api() -> None:
    g.trace.append("api")


@v1.before_request
def note_v1() -> None:
    g.trace.append("v1")


@api.errorhandler(404)
def api_not_found(error: Exception) -> tuple[dict[str, str], int]:
    return {"error": "not found", "blueprint": request.blueprint or "-"}, 404


@v1.url_value_preprocessor
def load_item(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values and "item_id" in values:
        item = ITEMS.get(values.pop("item_id"))
        if item is None:
            abort(404)
        g.item = item


class ItemAPI(MethodView):
    def get(self) -> dict[str, Any]:
        return {**g.item, "url": url_for(".item", item_id=g.item["id"])}

    def delete(self) -> tuple[str, int]:
        return "", 204


class ItemList(MethodView):
    def get(self) -> dict[str, Any]:
        return {"items": list(ITEMS.values()), "url": url_for(".items")}

    def post(self) -> tuple[dict[str, Any], int]:
        data = request.get_json()
        item = {"id": max(ITEMS) + 1, "name": str(data["name"])}
        return item, 201  # not stored: each worker of a real server has its own dict


v1.add_url_rule("/items", view_func=ItemList.as_view("items"))
v1.add_url_rule("/items/<int:item_id>", view_func=ItemAPI.as_view("item"))
api.register_blueprint(v1)
