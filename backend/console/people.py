"""People and grants."""
from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from backend.console import schemas
from backend.extensions import db
from backend.models import Grant, User
from backend.services import access, people
from backend.web.auth import login_required
from backend.web.paging import page
from backend.web.schemas import GrantSchema, UserSchema

blp = Blueprint("console_people", __name__, url_prefix="/api/console",
                description="People and their grants (a role in a scope)")


@blp.route("/users", methods=["GET"])
@blp.arguments(schemas.UserQuerySchema, location="query")
@blp.response(200, UserSchema(many=True))
@blp.paginate()
@login_required
def list_users(query, pagination_parameters):
    """People the user may see; find one by full phone number, name or role."""
    return page(people.search_users(g.viewer, query.get("phone"), query.get("name"), query.get("role")),
                pagination_parameters)


@blp.route("/users", methods=["POST"])
@blp.arguments(schemas.UserCreateSchema)
@blp.response(201, UserSchema)
@login_required
def create_user(body):
    """Provision a staff member by phone with a first grant."""
    user = people.create_user(g.viewer, body)
    db.session.commit()
    return user


@blp.route("/users/<int:user_id>", methods=["GET"])
@blp.response(200, UserSchema)
@login_required
def get_user(user_id):
    """One person."""
    return access.get_visible(g.viewer, User, user_id)


@blp.route("/users/<int:user_id>", methods=["PATCH"])
@blp.arguments(schemas.UserUpdateSchema)
@blp.response(200, UserSchema)
@login_required
def update_user(body, user_id):
    """Change a name or phone, or disable an account (its tokens are revoked)."""
    user = people.update_user(g.viewer, user_id, body)
    db.session.commit()
    return user


@blp.route("/users/<int:user_id>/grants", methods=["POST"])
@blp.arguments(schemas.GrantCreateSchema)
@blp.response(201, GrantSchema)
@login_required
def create_grant(body, user_id):
    """Give a person a role in a scope."""
    row = people.grant(g.viewer, access.get_visible(g.viewer, User, user_id), body)
    db.session.commit()
    return row


@blp.route("/grants/<int:grant_id>", methods=["GET"])
@blp.response(200, GrantSchema)
@login_required
def get_grant(grant_id):
    """One grant."""
    return access.get_visible(g.viewer, Grant, grant_id)


@blp.route("/grants/<int:grant_id>", methods=["DELETE"])
@blp.response(204)
@login_required
def delete_grant(grant_id):
    """Take a role away; it stops working at once."""
    people.revoke_grant(g.viewer, grant_id)
    db.session.commit()
