"""The routes both faces share for one order: read it (timeline, refunds, what you may do)
and take a step on it."""
from __future__ import annotations

from flask import g

from backend.api import order_schemas as schemas
from backend.api.blueprint import Blueprint
from backend.api.paging import page
from backend.api.schemas import ID
from backend.extensions import db
from backend.services.orders import actions, views


def detail(viewer, order_id: int) -> dict:
    return views.detail(viewer, order_id, schemas.OrderDetailSchema().fields)


def add_order_routes(blp: Blueprint, *, mine: bool) -> None:
    """GET "", GET /<id>, POST /<id>/actions/<action>; mine: the list is the viewer's own."""

    @blp.route("", methods=["GET"])
    @blp.arguments(schemas.OrderQuerySchema, location="query")
    @blp.response(200, schemas.OrderSummarySchema(many=True))
    @blp.paginate()
    def list_orders(query, pagination_parameters):
        """Orders you may see, newest first."""
        return page(actions.listing(g.viewer, mine=mine, **query), pagination_parameters)

    @blp.route(f"/<{ID}:order_id>", methods=["GET"])
    @blp.response(200, schemas.OrderDetailSchema)
    def get_order(order_id):
        """One order: its timeline, refunds and the steps you may take now."""
        return detail(g.viewer, order_id)

    @blp.route(f"/<{ID}:order_id>/actions/<string:action>", methods=["POST"])
    @blp.arguments(schemas.OrderActionSchema)
    @blp.response(200, schemas.OrderDetailSchema)
    def take_action(body, order_id, action):
        """Take a step; 409 if the order changed since you read its version."""
        actions.act(g.viewer, order_id, action, body["payload"], body["version"])
        db.session.commit()
        return detail(g.viewer, order_id)
