"""People and grants."""
from __future__ import annotations

from flask import g

from backend.api.blueprint import Blueprint
from backend.api.paging import page
from backend.api.schemas import ID, GrantSchema, UserSchema
from backend.console import schemas
from backend.extensions import db
from backend.models import Grant
from backend.services import access
from backend.services.people import users

blp = Blueprint("console_people", __name__, url_prefix="/api/console",
                description="People and their grants (a role in a scope)")


def _page_of_people(query, pagination_parameters):
    return users.people(g.viewer, page(query, pagination_parameters))


@blp.route("/users", methods=["GET"])
@blp.arguments(schemas.UserQuerySchema, location="query")
@blp.response(200, UserSchema(many=True))
@blp.paginate()
def list_users(query, pagination_parameters):
    """People the user may see, by name or role."""
    return _page_of_people(users.search_users(g.viewer, None, query.get("name"), query.get("role")),
                           pagination_parameters)


@blp.route("/users/search", methods=["POST"])
@blp.arguments(schemas.UserSearchSchema)
@blp.response(200, UserSchema(many=True))
@blp.paginate()
def search_users(body, pagination_parameters):
    """Find people by full phone number (in the body, so it stays out of access logs)."""
    return _page_of_people(users.search_users(g.viewer, body.get("phone"), body.get("name"),
                                               body.get("role")), pagination_parameters)


@blp.route("/users", methods=["POST"])
@blp.arguments(schemas.UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(body):
    """Provision a staff member by phone with a first grant."""
    person = users.create_user(g.viewer, body)
    db.session.commit()
    return person


@blp.route(f"/users/<{ID}:user_id>", methods=["GET"])
@blp.response(200, UserSchema)
def get_user(user_id):
    """One person, with the grants the viewer may see."""
    return users.get_user(g.viewer, user_id)


@blp.route(f"/users/<{ID}:user_id>", methods=["PATCH"])
@blp.arguments(schemas.UserUpdateSchema)
@blp.response(200, UserSchema)
def update_user(body, user_id):
    """Change a name or phone, or disable an account (its tokens are revoked)."""
    person = users.update_user(g.viewer, user_id, body)
    db.session.commit()
    return person


@blp.route(f"/users/<{ID}:user_id>/grants", methods=["POST"])
@blp.arguments(schemas.GrantCreateSchema)
@blp.response(201, GrantSchema)
def create_grant(body, user_id):
    """Give a person a role in a scope."""
    row = users.grant(g.viewer, user_id, body)
    db.session.commit()
    return row


@blp.route(f"/grants/<{ID}:grant_id>", methods=["GET"])
@blp.response(200, GrantSchema)
def get_grant(grant_id):
    """One grant."""
    return access.get_visible(g.viewer, Grant, grant_id)


@blp.route(f"/grants/<{ID}:grant_id>", methods=["DELETE"])
@blp.response(204)
def delete_grant(grant_id):
    """Take a role away; it stops working at once."""
    users.revoke_grant(g.viewer, grant_id)
    db.session.commit()
