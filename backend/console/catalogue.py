"""The catalogue and the working calendar, edited by the county."""
from __future__ import annotations

from flask import g

from backend.api.blueprint import Blueprint
from backend.api.catalogue_schemas import CategoryNodeSchema, CategorySchema
from backend.api.schemas import ID
from backend.console import schemas
from backend.extensions import db
from backend.services.catalogue import categories as catalogue

blp = Blueprint("console_catalogue", __name__, url_prefix="/api/console",
                description="The category catalogue (派单目录) and the working calendar")


@blp.route("/categories", methods=["GET"])
@blp.response(200, CategoryNodeSchema(many=True))
def categories():
    """Every category, retired ones too."""
    return catalogue.tree(active_only=False)


@blp.route(f"/categories/<{ID}:category_id>", methods=["PATCH"])
@blp.arguments(schemas.CategoryUpdateSchema)
@blp.response(200, CategorySchema)
def update_category(body, category_id):
    """Edit a category: name, departments, urgency, form fields, time limits, active."""
    category = catalogue.update(g.viewer, category_id, body)
    db.session.commit()
    return category


@blp.route("/calendar", methods=["GET"])
@blp.arguments(schemas.CalendarQuerySchema, location="query")
@blp.response(200, schemas.CalendarDaySchema(many=True))
def calendar_days(query):
    """Holidays and make-up working days of a year."""
    return catalogue.calendar_days(query["year"])


@blp.route("/calendar/<string:day>", methods=["PUT"])
@blp.arguments(schemas.CalendarDayUpdateSchema)
@blp.response(200, schemas.CalendarDaySchema)
def set_calendar_day(body, day):
    """Declare a day a holiday or a make-up working day (调休上班)."""
    row = catalogue.set_day(g.viewer, day, body)
    db.session.commit()
    return row


@blp.route("/calendar/<string:day>", methods=["DELETE"])
@blp.response(204)
def clear_calendar_day(day):
    """Make a day ordinary again (a weekday works, a weekend rests)."""
    catalogue.clear_day(g.viewer, day)
    db.session.commit()
